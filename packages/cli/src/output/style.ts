// Colour only for people: never when NO_COLOR is set or the stream is not a terminal.

/** Style is used to colour words in human output. */
export interface Style {
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  bold(s: string): string;
}

/** styleFor is used once per stream. */
export function styleFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): Style {
  const on = stream.isTTY === true && env.NO_COLOR === undefined && env.TERM !== 'dumb';
  const wrap =
    (open: number, close: number) =>
    (s: string): string =>
      on ? `\u001b[${open}m${s}\u001b[${close}m` : s;
  return { red: wrap(31, 39), green: wrap(32, 39), yellow: wrap(33, 39), bold: wrap(1, 22) };
}
