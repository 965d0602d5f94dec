// Reading a secret from the terminal without echo, or one line from a pipe (--password-stdin).
import type { CliStreams } from '../cli-context.js';
import { CliError, usageError } from '../errors.js';

/** readLine is used for --password-stdin: the first line of stdin, without its newline. */
export async function readLine(stdin: CliStreams['stdin']): Promise<string> {
  let text = '';
  for await (const chunk of stdin) {
    text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    const nl = text.search(/\r?\n/);
    if (nl !== -1) return text.slice(0, nl);
    if (text.length > 4096) throw usageError('the line on stdin is too long');
  }
  return text;
}

/** promptSecret is used by login and users create: the terminal shows nothing as you type. */
export async function promptSecret(streams: CliStreams, question: string): Promise<string> {
  const { stdin, stderr } = streams;
  if (!stdin.isTTY || !stdin.setRawMode)
    throw usageError('no terminal to ask for a password: pass --password-stdin or --token');
  stderr.write(question);
  stdin.setRawMode(true);
  stdin.resume();
  try {
    return await new Promise<string>((resolve, reject) => {
      let value = '';
      const onData = (chunk: Buffer | string): void => {
        for (const ch of typeof chunk === 'string' ? chunk : chunk.toString('utf8')) {
          if (ch === '\r' || ch === '\n') {
            stdin.off('data', onData);
            stderr.write('\n');
            resolve(value);
            return;
          }
          if (ch === '\u0003') {
            stdin.off('data', onData);
            stderr.write('\n');
            reject(new CliError('interrupted', { code: 'INTERRUPTED' }));
            return;
          }
          if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
          else value += ch;
        }
      };
      stdin.on('data', onData);
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
  }
}
