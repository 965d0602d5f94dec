// Nodes registered over the API alone (no agent process): for tests that need node rows, node
// events or a node credential, and no containers.
import type { TestServer } from './harness.js';

/** RegisteredNode is used to act as the node (its credential) or to name it (its id). */
export interface RegisteredNode {
  nodeId: string;
  credential: string;
}

/** registerApiNode is used to register a one-GPU node with a fresh join token of the admin's. */
export async function registerApiNode(
  t: TestServer,
  admin: string,
  hostname: string,
): Promise<RegisteredNode> {
  const jt = await t.api('POST', '/api/join-tokens', {
    token: admin,
    body: { description: hostname },
  });
  const res = await t.api('POST', '/api/nodes/register', {
    body: {
      joinToken: jt.json.token,
      hostname,
      machineId: '',
      agentVersion: '1',
      address: 'http://127.0.0.1:9',
      gpus: [{ index: 0, uuid: `GPU-${hostname}`, model: 'Test GPU', memoryTotalMiB: 1024 }],
    },
  });
  if (res.status !== 201)
    throw new Error(`register ${hostname}: ${res.status} ${JSON.stringify(res.body)}`);
  return { nodeId: String(res.json.nodeId), credential: String(res.json.credential) };
}
