import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { agentErrors, type AgentError } from '../agent-error.js';

/**
 * BRIDGE_SCRIPT is used as the program that runs inside the container's network namespace: it
 * connects to host:port there and copies stdin to the socket and the socket to stdout. Its first
 * stderr line says how the connect went ("connected", or "error CODE message"); a later error
 * line says why an open connection broke. It is the agent's own Node, so nothing has to be
 * installed in the container or on the node (kubelet uses socat the same way).
 */
const BRIDGE_SCRIPT = `
const net = require('node:net');
const [host, port] = process.argv.slice(1);
const socket = net.connect({ host, port: Number(port) });
socket.setNoDelay(true);
socket.once('connect', () => {
  process.stderr.write('connected\\n');
  process.stdin.pipe(socket);
  socket.pipe(process.stdout);
});
socket.on('error', (e) => {
  process.stderr.write('error ' + (e.code || 'ERROR') + ' ' + e.message + '\\n');
  process.exit(3);
});
socket.on('close', () => process.exit(0));
`;

/** How long a bridge may take to connect; a firewalled port would otherwise hang the caller. */
const CONNECT_TIMEOUT_MS = 10_000;
/** How long a bridge whose client has gone may wait for the container to close its side. */
const CLOSE_GRACE_MS = 2_000;
/** Enough of stderr to say why; nsenter and the script write one line each. */
const MAX_STDERR_CHARS = 2_000;

/** BridgeEnd is used to say how a bridge's TCP connection ended: cleanly, or why not. */
export interface BridgeEnd {
  ok: boolean;
  detail: string;
}

/** PortBridge is used as one TCP connection to a container port, as a pair of byte streams. */
export interface PortBridge {
  /** Bytes written here go to the container's port. */
  readonly input: Writable;
  /** Bytes the container's port sends come out here. */
  readonly output: Readable;
  /** Settles once the connection is closed and the output has ended. */
  readonly ended: Promise<BridgeEnd>;
  /** close is used when the client has gone: what it sent is flushed, then the connection ends. */
  close(): void;
}

/**
 * openPortBridge is used to connect to 127.0.0.1:port inside the network namespace of the
 * process `pid` (a container's main process), whatever the container's network mode. It needs
 * util-linux nsenter and root (CAP_SYS_ADMIN), as the agent has when it drives Docker.
 * It resolves once the connection is up, or rejects with a coded AgentError.
 */
export function openPortBridge(pid: number, port: number): Promise<PortBridge> {
  const child = spawn(
    'nsenter',
    [
      `--target=${pid}`,
      '--net',
      '--',
      process.execPath,
      '-e',
      BRIDGE_SCRIPT,
      '127.0.0.1',
      String(port),
    ],
    // No NODE_OPTIONS or anything else of the agent's environment reaches the bridge.
    { stdio: 'pipe', env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' } },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    if (stderr.length < MAX_STDERR_CHARS) stderr += text;
  });
  const ended = new Promise<BridgeEnd>((resolve) => {
    child.once('close', (code, signal) => resolve(describeEnd(stderr, code, signal)));
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(agentErrors.portUnreachable(port, `no connection within ${CONNECT_TIMEOUT_MS} ms`));
    }, CONNECT_TIMEOUT_MS);
    const fail = (err: AgentError): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    child.once('error', (err) =>
      fail(
        agentErrors.internal(
          `port-forward needs util-linux nsenter on the node's PATH: ${err.message}`,
        ),
      ),
    );
    const onStderr = (): void => {
      const first = firstLine(stderr);
      if (first === undefined) return;
      child.stderr.off('data', onStderr);
      if (first === 'connected') {
        clearTimeout(timer);
        resolve(bridgeOf(child, ended));
      } else if (first.startsWith('error ')) {
        fail(agentErrors.portUnreachable(port, first.slice('error '.length)));
      } else {
        fail(agentErrors.internal(`nsenter into the container failed: ${first}`));
      }
    };
    child.stderr.on('data', onStderr);
    // nsenter may exit (no such pid, not permitted) with its message and no newline.
    child.once('exit', () => {
      if (firstLine(stderr) === undefined) fail(agentErrors.internal(`nsenter failed: ${stderr}`));
    });
  });
}

function bridgeOf(child: ChildProcessWithoutNullStreams, ended: Promise<BridgeEnd>): PortBridge {
  // A write to a bridge that has just exited is not an error worth a crash.
  child.stdin.on('error', () => undefined);
  return {
    input: child.stdin,
    output: child.stdout,
    ended,
    close() {
      child.stdin.end();
      setTimeout(() => child.kill('SIGKILL'), CLOSE_GRACE_MS).unref();
    },
  };
}

function firstLine(text: string): string | undefined {
  const end = text.indexOf('\n');
  return end === -1 ? undefined : text.slice(0, end).trim();
}

function describeEnd(stderr: string, code: number | null, signal: string | null): BridgeEnd {
  const lines = stderr.split('\n').map((l) => l.trim());
  const error = lines.slice(1).find((l) => l.startsWith('error '));
  if (error !== undefined) return { ok: false, detail: error.slice('error '.length) };
  if (code === 0) return { ok: true, detail: 'connection closed' };
  return { ok: false, detail: signal !== null ? `bridge killed (${signal})` : `exit ${code}` };
}
