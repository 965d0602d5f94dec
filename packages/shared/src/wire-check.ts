// Checking JSON from the other side of the wire against its TypeBox schema, without Ajv: for the
// CLI and the web UI, which read the server's answers but should not ship a JSON-schema compiler.
import {
  FormatRegistry,
  KindGuard,
  TypeRegistry,
  type Static,
  type TSchema,
} from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { isText, TEXT_FORMAT } from './api/common.js';

// RFC 3339 date-time, as Ajv's `date-time` format checks it (full-date "T" full-time).
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:?\d{2})$/;

if (!FormatRegistry.Has(TEXT_FORMAT)) FormatRegistry.Set(TEXT_FORMAT, isText);
if (!FormatRegistry.Has('date-time'))
  FormatRegistry.Set('date-time', (v) => DATE_TIME.test(v) && !Number.isNaN(Date.parse(v)));

// StringMap (api/common.ts) is the one Unsafe kind: an object whose keys and values each have a
// schema (propertyNames, additionalProperties), which Value.Check cannot run by itself.
if (!TypeRegistry.Has('Unsafe'))
  TypeRegistry.Set<Record<string, unknown>>('Unsafe', checkStringMap);

function checkStringMap(schema: Record<string, unknown>, value: unknown): boolean {
  const keys = schema.propertyNames;
  const values = schema.additionalProperties;
  if (schema.type !== 'object' || !KindGuard.IsSchema(keys) || !KindGuard.IsSchema(values))
    return false;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const entries = Object.entries(value);
  const max = schema.maxProperties;
  if (typeof max === 'number' && entries.length > max) return false;
  return entries.every(([k, v]) => Value.Check(keys, k) && Value.Check(values, v));
}

/** wireCheck is used by clients to make a type guard for one wire type, e.g. GpuClaim. */
export function wireCheck<S extends TSchema>(schema: S): (value: unknown) => value is Static<S> {
  return (value): value is Static<S> => Value.Check(schema, value);
}
