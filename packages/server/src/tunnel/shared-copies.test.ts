// A few small modules exist in both packages/agent/src/tunnel and packages/server/src/tunnel
// (neither package can import the other's tunnel code today). This keeps the copies identical.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FRP_CREDENTIAL_META } from './frp-plugin.js';

const here = dirname(fileURLToPath(import.meta.url));
const agentTunnel = join(here, '..', '..', '..', 'agent', 'src', 'tunnel');

describe('tunnel modules shared with the agent', () => {
  for (const file of ['toml.ts', 'process-supervisor.ts', 'free-port.ts', 'frp-binaries.ts']) {
    it(`${file} is identical in agent and server`, async () => {
      const [server, agent] = await Promise.all([
        readFile(join(here, file), 'utf8'),
        readFile(join(agentTunnel, file), 'utf8'),
      ]);
      assert.ok(server === agent, `copy ${file} from the agent (or back) to keep them identical`);
    });
  }

  it('the agent writes the credential under the key the plugin reads', async () => {
    const frpcConfig = await readFile(join(agentTunnel, 'frpc-config.ts'), 'utf8');
    assert.match(frpcConfig, new RegExp(`FRP_CREDENTIAL_META = '${FRP_CREDENTIAL_META}'`));
  });
});
