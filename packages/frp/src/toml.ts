// A tiny TOML writer for the handful of shapes frp's config files need. We only ever write TOML
// (frp parses it), so a serializer of a few dozen lines beats a dependency.
/** TomlValue is used to describe every value the writer accepts; `undefined` entries are skipped. */
export type TomlValue = string | number | boolean | readonly TomlValue[] | TomlTable;

/** TomlTable is used as a TOML table: nested tables are written as dotted keys (`auth.token`). */
export interface TomlTable {
  readonly [key: string]: TomlValue | undefined;
}

/** TomlDocument is used to describe a whole file: top-level keys plus `[[name]]` table arrays. */
export interface TomlDocument {
  readonly root: TomlTable;
  readonly tableArrays?: Readonly<Record<string, readonly TomlTable[]>>;
}

const BARE_KEY = /^[A-Za-z0-9_-]+$/;

/** tomlString is used to quote a basic string, escaping everything TOML and frp care about. */
export function tomlString(value: string): string {
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    // frp renders every config file as a Go text/template before parsing it, so a literal `{{`
    // would be executed; escaping braces keeps secrets and ids inert whatever they contain.
    else if (ch === '{' || ch === '}' || code < 0x20 || code === 0x7f) out += unicodeEscape(code);
    else out += ch;
  }
  return out + '"';
}

function unicodeEscape(code: number): string {
  return `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** tomlKey is used to write one key segment, bare when TOML allows it and quoted otherwise. */
export function tomlKey(key: string): string {
  return BARE_KEY.test(key) ? key : tomlString(key);
}

function isTable(value: TomlValue): value is TomlTable {
  return typeof value === 'object' && !Array.isArray(value);
}

/** tomlInline is used to write a value on one line (arrays and inline tables included). */
export function tomlInline(value: TomlValue): string {
  if (typeof value === 'string') return tomlString(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    // frp's config fields are all integers; a float or NaN here is a bug upstream of us.
    if (!Number.isSafeInteger(value)) throw new RangeError(`TOML: not an integer: ${value}`);
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map((v: TomlValue) => tomlInline(v)).join(', ')}]`;
  if (isTable(value)) {
    const parts = entries(value).map(([k, v]) => `${tomlKey(k)} = ${tomlInline(v)}`);
    return parts.length === 0 ? '{}' : `{ ${parts.join(', ')} }`;
  }
  throw new TypeError('TOML: unsupported value');
}

function entries(table: TomlTable): [string, TomlValue][] {
  const out: [string, TomlValue][] = [];
  for (const [key, value] of Object.entries(table)) {
    if (value !== undefined) out.push([key, value]);
  }
  return out;
}

/** Writes `a.b.c = v` lines; an empty nested table is dropped (it would mean nothing to frp). */
function dottedLines(table: TomlTable, prefix: string, lines: string[]): void {
  for (const [key, value] of entries(table)) {
    const path = prefix + tomlKey(key);
    if (isTable(value)) dottedLines(value, `${path}.`, lines);
    else lines.push(`${path} = ${tomlInline(value)}`);
  }
}

/** renderToml is used to write a TOML file: root keys first, then each `[[name]]` table array. */
export function renderToml(doc: TomlDocument): string {
  const lines: string[] = [];
  // Root keys must precede every table header, or TOML would put them inside the last table.
  dottedLines(doc.root, '', lines);
  for (const [name, tables] of Object.entries(doc.tableArrays ?? {})) {
    for (const table of tables) {
      lines.push('', `[[${tomlKey(name)}]]`);
      dottedLines(table, '', lines);
    }
  }
  return `${lines.join('\n')}\n`;
}
