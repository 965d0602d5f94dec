// Server-sent events (the WHATWG `text/event-stream` format): writing one message, and reading a
// stream of them back. Pure text in, text out, so the server, the CLI and the web UI share it.

/** SseMessage is used for one server-sent event: its id, event name and data. */
export interface SseMessage {
  /** undefined: the message had no id field; '' resets the client's last event id. */
  id?: string;
  event: string;
  data: string;
}

/**
 * formatSse is used to write one event. Each line of `data` gets its own `data:` field, so no
 * text, newlines included, can break the framing; ids and names must be single-line.
 */
export function formatSse(message: SseMessage): string {
  if (/[\r\n]/.test(`${message.id ?? ''}${message.event}`))
    throw new Error('an SSE id or event name must be one line');
  let out = message.id === undefined ? '' : `id: ${message.id}\n`;
  out += `event: ${message.event}\n`;
  for (const line of message.data.split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  return `${out}\n`;
}

/** formatSseComment is used for heartbeats: a comment line that clients ignore. */
export function formatSseComment(text: string): string {
  return `: ${text.replace(/[\r\n]+/g, ' ')}\n\n`;
}

/**
 * SseParser is used to read an event stream chunk by chunk, as the EventSource algorithm does:
 * comments are skipped, `data` lines are joined with newlines, an event without data is dropped,
 * and an event without a name is `message`. `lastEventId` follows the spec's last-event-id buffer.
 */
export class SseParser {
  #buffer = '';
  #data: string[] = [];
  #event = '';
  #id: string | undefined;
  #lastEventId = '';

  /** lastEventId is used to reconnect with `Last-Event-ID`, as a browser does. */
  get lastEventId(): string {
    return this.#lastEventId;
  }

  /** push is used to feed the next chunk of text; it answers the events it completed. */
  push(chunk: string): SseMessage[] {
    this.#buffer += chunk;
    const out: SseMessage[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.#buffer);
      // A lone \r at the end may be the first half of \r\n: wait for more.
      if (!match || (match[0] === '\r' && match.index === this.#buffer.length - 1)) break;
      const line = this.#buffer.slice(0, match.index);
      this.#buffer = this.#buffer.slice(match.index + match[0].length);
      const message = this.#line(line);
      if (message) out.push(message);
    }
    return out;
  }

  #line(line: string): SseMessage | undefined {
    if (line === '') return this.#dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.#data.push(value);
    else if (field === 'event') this.#event = value;
    else if (field === 'id' && !value.includes('\0')) {
      this.#id = value;
      this.#lastEventId = value;
    }
    return undefined;
  }

  #dispatch(): SseMessage | undefined {
    const message: SseMessage = { event: this.#event || 'message', data: this.#data.join('\n') };
    if (this.#id !== undefined) message.id = this.#id;
    const hadData = this.#data.length > 0;
    this.#data = [];
    this.#event = '';
    this.#id = undefined;
    return hadData ? message : undefined;
  }
}
