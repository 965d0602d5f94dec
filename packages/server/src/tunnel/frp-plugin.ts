// frps server-plugin decisions (`[[httpPlugins]]`, ops Login + NewProxy). frp has one shared
// token, so this is what makes "a node can act only as itself" true for tunnels: Login needs the
// node's own credential, NewProxy only accepts names (and ports) that node owns.
import type { PortRange } from './frps-config.js';

import { FRP_CREDENTIAL_META } from '@utopia/frp';
export { FRP_CREDENTIAL_META };

/** AllowedProxy is used to describe one tunnel a node may open (name without the user prefix). */
export interface AllowedProxy {
  /** frpc-side name, e.g. `control`; frps sees `<nodeId>.control`. */
  readonly name: string;
  /** A fixed port the node must use; undefined = 0 (frps picks) or any port in allowPorts. */
  readonly remotePort?: number;
}

/** FrpPluginLookup is used to ask the node store; implementations compare secrets in constant time. */
export interface FrpPluginLookup {
  /** True only if nodeId is a known node and credential is its current credential. */
  verifyNodeCredential(nodeId: string, credential: string): Promise<boolean>;
  /** The tunnels nodeId may open: `control` now, claim ports later. */
  allowedProxies(nodeId: string): Promise<readonly AllowedProxy[]>;
}

/** FrpPluginOptions is used for limits that come from the frps config. */
export interface FrpPluginOptions {
  readonly allowPorts: PortRange;
}

/** FrpPluginResponse is used as the exact JSON frps expects back (HTTP 200 in both cases). */
export type FrpPluginResponse =
  | { readonly reject: true; readonly reject_reason: string }
  // `unchange` must be true: with false frps would replace the request with our (absent) content.
  | { readonly reject: false; readonly unchange: true };

/** RejectReason is used to keep frpc-visible reasons stable and free of secrets. */
export const RejectReason = {
  BadRequest: 'malformed plugin request',
  UnsupportedOp: 'operation not allowed',
  UnknownNode: 'unknown node or bad node credential',
  ProxyNotAllowed: 'proxy name not allowed for this node',
  ProxyTypeNotAllowed: 'only tcp proxies are allowed',
  PortNotAllowed: 'remote port not allowed for this proxy',
  LookupFailed: 'node lookup failed, retry later',
} as const;

const ACCEPT: FrpPluginResponse = { reject: false, unchange: true };

function reject(reason: string): FrpPluginResponse {
  return { reject: true, reject_reason: reason };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function credentialOf(metas: unknown): string {
  return isRecord(metas) ? str(metas[FRP_CREDENTIAL_META]) : '';
}

/**
 * decideFrpPluginRequest is used by the plugin route: it takes frps's request body
 * (`{ version, op, content }`) and returns the response to send with HTTP 200. It never throws;
 * a failing lookup rejects (frpc retries its login on its own).
 */
export async function decideFrpPluginRequest(
  body: unknown,
  lookup: FrpPluginLookup,
  options: FrpPluginOptions,
): Promise<FrpPluginResponse> {
  if (!isRecord(body) || !isRecord(body['content'])) return reject(RejectReason.BadRequest);
  const content = body['content'];
  try {
    switch (body['op']) {
      case 'Login':
        return await decideLogin(str(content['user']), content['metas'], lookup);
      case 'NewProxy':
        return await decideNewProxy(content, lookup, options);
      default:
        // frps only sends the ops we configured; anything else means a misconfiguration.
        return reject(RejectReason.UnsupportedOp);
    }
  } catch {
    return reject(RejectReason.LookupFailed);
  }
}

async function decideLogin(
  nodeId: string,
  metas: unknown,
  lookup: FrpPluginLookup,
): Promise<FrpPluginResponse> {
  // An empty user must never pass (the fp-multiuser bypass): no user, no node.
  const credential = credentialOf(metas);
  if (nodeId === '' || credential === '') return reject(RejectReason.UnknownNode);
  return (await lookup.verifyNodeCredential(nodeId, credential))
    ? ACCEPT
    : reject(RejectReason.UnknownNode);
}

async function decideNewProxy(
  content: Record<string, unknown>,
  lookup: FrpPluginLookup,
  options: FrpPluginOptions,
): Promise<FrpPluginResponse> {
  const user = isRecord(content['user']) ? content['user'] : {};
  const nodeId = str(user['user']);
  // Login was checked already, but the credential may have been revoked since: check again.
  const login = await decideLogin(nodeId, user['metas'], lookup);
  if (login.reject) return login;
  if (str(content['proxy_type']) !== 'tcp') return reject(RejectReason.ProxyTypeNotAllowed);

  // The `<user>.` prefix is added by frpc, so a hostile client can send any wire name.
  const wireName = str(content['proxy_name']);
  const prefix = `${nodeId}.`;
  if (!wireName.startsWith(prefix)) return reject(RejectReason.ProxyNotAllowed);
  const name = wireName.slice(prefix.length);
  const allowed = (await lookup.allowedProxies(nodeId)).find((p) => p.name === name);
  if (!allowed) return reject(RejectReason.ProxyNotAllowed);

  const port = content['remote_port'] ?? 0; // omitempty: absent means 0 (frps picks)
  return isPortAllowed(port, allowed, options.allowPorts)
    ? ACCEPT
    : reject(RejectReason.PortNotAllowed);
}

function isPortAllowed(port: unknown, allowed: AllowedProxy, range: PortRange): boolean {
  if (typeof port !== 'number' || !Number.isInteger(port)) return false;
  if (allowed.remotePort !== undefined) return port === allowed.remotePort;
  return port === 0 || (port >= range.start && port <= range.end);
}
