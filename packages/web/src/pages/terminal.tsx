// The in-browser terminal: xterm.js on the exec WebSocket of a claim (a shell with a TTY). Loaded
// only when opened, so xterm's weight stays off every other page.
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { useEffect, useRef, useState } from 'react';
import { useI18n } from '../i18n/i18n.js';
import { ExecChannel as Channel } from '@utopia/shared';
import { execProtocols, execUrl, frame, statusMessage } from './exec-protocol.js';

/** ClaimTerminal is used on a Running claim's page. */
export default function ClaimTerminal({ claimId }: { claimId: string }) {
  const { t } = useI18n();
  const box = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<string>(t.connecting);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const term = new Terminal({ convertEol: false, fontSize: 13, cursorBlink: true });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(el);
    fit.fit();
    const ws = new WebSocket(
      execUrl(claimId, ['sh', '-c', 'command -v bash >/dev/null && exec bash || exec sh']),
      execProtocols(),
    );
    ws.binaryType = 'arraybuffer';
    const decoder = new TextDecoder();
    const resize = () => {
      fit.fit();
      if (ws.readyState === WebSocket.OPEN)
        ws.send(frame(Channel.Resize, JSON.stringify({ Width: term.cols, Height: term.rows })));
    };
    ws.onopen = () => {
      setState(t.connected);
      resize();
      term.focus();
    };
    ws.onmessage = (e) => {
      if (!(e.data instanceof ArrayBuffer)) return;
      const bytes = new Uint8Array(e.data);
      const body = bytes.subarray(1);
      if (bytes[0] === Channel.Stdout || bytes[0] === Channel.Stderr) term.write(body);
      else if (bytes[0] === Channel.Status) {
        const failure = statusMessage(decoder.decode(body));
        setState(failure ? `${t.sessionEnded}: ${failure}` : t.sessionEnded);
      }
    };
    ws.onerror = () => setState(t.terminalUnavailable);
    ws.onclose = (e) => setState((s) => (s === t.connected ? `${t.sessionEnded} (${e.code})` : s));
    const input = term.onData((data) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(frame(Channel.Stdin, data));
    });
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      input.dispose();
      ws.close();
      term.dispose();
    };
  }, [claimId, t]);

  return (
    <div className="terminal">
      <p className="muted" role="status">
        {state}
      </p>
      <div ref={box} className="terminal-box" data-testid="terminal" />
    </div>
  );
}
