import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/**
 * parseJsonColumn is used to read an optional JSON column written by this server: null, text
 * that does not parse, or a value that no longer fits the schema (a row from an older version)
 * all read as null rather than failing the request.
 */
export function parseJsonColumn<T extends TSchema>(
  schema: T,
  text: string | null,
): Static<T> | null {
  if (text === null) return null;
  try {
    const value: unknown = JSON.parse(text);
    return Value.Check(schema, value) ? value : null;
  } catch {
    return null;
  }
}
