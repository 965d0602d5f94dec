// The request log never shows the frps plugin key, nor does the frps output the server relays.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startTestServer } from '../testing/harness.js';
import { captureLog } from '../testing/log-capture.js';
import { FRP_PLUGIN_PATH } from '../tunnel/frps-config.js';
import { REDACTED, redactSecrets, redactUrl } from './log-redaction.js';

describe('log redaction', () => {
  test('the frps plugin key is not in the request log', async () => {
    const log = captureLog('info');
    // external mode: the server serves the plugin route for an frps it does not run.
    const t = await startTestServer(
      'sqlite',
      {
        UTOPIA_FRP_MODE: 'external',
        UTOPIA_FRPS_ADMIN_URL: 'http://127.0.0.1:9',
        UTOPIA_FRPS_ADMIN_PASSWORD: 'frps-admin-password',
        UTOPIA_FRP_TOKEN: 'frp-token-for-tests',
      },
      undefined,
      log.logger,
    );
    try {
      const key = t.server.ctx.tunnel?.pluginKey ?? '';
      assert.ok(key.length > 20);
      const res = await t.api('POST', `${FRP_PLUGIN_PATH}/${key}?version=0.1.0&op=Login`, {
        body: { version: '0.1.0', op: 'Login', content: {} },
      });
      assert.equal(res.status, 200);
      const incoming = log.find('incoming request').map((l) => l.req);
      assert.ok(
        incoming.some(
          (r) =>
            typeof r === 'object' &&
            r !== null &&
            'url' in r &&
            r.url === `${FRP_PLUGIN_PATH}/${REDACTED}?version=0.1.0&op=Login`,
        ),
        'the plugin call is logged, without its key',
      );
      assert.ok(!log.text().includes(key), 'the key appears nowhere in the log');
    } finally {
      await t.close();
    }
  });

  test('redactUrl hides only the secret segment', () => {
    assert.equal(redactUrl(`${FRP_PLUGIN_PATH}/s3cret`), `${FRP_PLUGIN_PATH}/${REDACTED}`);
    assert.equal(
      redactUrl(`${FRP_PLUGIN_PATH}/s3cret/x?op=NewProxy`),
      `${FRP_PLUGIN_PATH}/${REDACTED}/x?op=NewProxy`,
    );
    assert.equal(redactUrl('/api/nodes/abc?x=1'), '/api/nodes/abc?x=1');
  });

  test('frps output loses the secrets it quotes', () => {
    // What frps prints when a plugin call fails (pkg/plugin/server/manager.go).
    const line =
      'send Login request to plugin [utopia] error: Post "http://127.0.0.1:8080' +
      `${FRP_PLUGIN_PATH}/k3y-k3y?version=0.1.0&op=Login": dial tcp: connection refused`;
    const out = redactSecrets(line, ['k3y-k3y', '']);
    assert.ok(!out.includes('k3y-k3y'));
    assert.ok(out.includes(`${FRP_PLUGIN_PATH}/${REDACTED}?`));
  });
});
