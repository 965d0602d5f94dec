import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { AGENT_SETTINGS, renderAgentHelp } from '@utopia/agent';
import { renderHelp, SERVER_SETTINGS } from './settings.js';

const page = readFileSync(new URL('../../../../docs/configuration.md', import.meta.url), 'utf8');

test('docs/configuration.md names every server and agent setting', () => {
  for (const s of SERVER_SETTINGS)
    assert.ok(page.includes(s.env), `${s.env} missing from docs/configuration.md`);
  for (const s of AGENT_SETTINGS)
    assert.ok(
      page.includes(s.flag.split(' ')[0] ?? s.flag),
      `${s.flag} missing from docs/configuration.md`,
    );
});

test('docs/configuration.md shows both --help texts as the programs print them', () => {
  assert.ok(page.includes(`\`\`\`\n${renderHelp()}\n\`\`\``), 'utopia-server --help differs');
  assert.ok(page.includes(`\`\`\`\n${renderAgentHelp()}\n\`\`\``), 'utopia-agent --help differs');
});
