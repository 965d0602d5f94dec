// `-o table|wide|json|yaml|name`: one printer for every kind of object.
import { stringify } from 'yaml';
import { usageError } from '../errors.js';
import { renderTable } from './table.js';

/** OutputFormat is used for `-o`. */
export type OutputFormat = 'table' | 'wide' | 'json' | 'yaml' | 'name';
const FORMATS: readonly OutputFormat[] = ['table', 'wide', 'json', 'yaml', 'name'];

/** parseOutputFormat is used to check `-o`. */
export function parseOutputFormat(raw: string): OutputFormat {
  const f = FORMATS.find((x) => x === raw);
  if (f === undefined)
    throw usageError(`-o must be one of ${FORMATS.join(', ')}, not ${JSON.stringify(raw)}`);
  return f;
}

/** Columns is used to describe how a kind prints as a table. */
export interface Columns<T> {
  kind: string;
  name: (item: T) => string;
  headers: readonly string[];
  row: (item: T) => string[];
  wideHeaders: readonly string[];
  wideRow: (item: T) => string[];
}

/** formatList is used by `get` of several objects; json and yaml are `{ items: [...] }`. */
export function formatList<T>(items: readonly T[], format: OutputFormat, cols: Columns<T>): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify({ items }, null, 2)}\n`;
    case 'yaml':
      return stringify({ items });
    case 'name':
      return items.map((i) => `${cols.kind}/${cols.name(i)}\n`).join('');
    case 'table':
    case 'wide':
      if (items.length === 0) return '';
      return format === 'wide'
        ? renderTable(
            [...cols.headers, ...cols.wideHeaders],
            items.map((i) => [...cols.row(i), ...cols.wideRow(i)]),
          )
        : renderTable(cols.headers, items.map(cols.row));
  }
}

/** formatOne is used by `get KIND NAME`: the object itself in json and yaml. */
export function formatOne<T>(item: T, format: OutputFormat, cols: Columns<T>): string {
  if (format === 'json') return `${JSON.stringify(item, null, 2)}\n`;
  if (format === 'yaml') return stringify(item);
  return formatList([item], format, cols);
}
