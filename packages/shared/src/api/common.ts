import {
  Type,
  type ObjectOptions,
  type Static,
  type TSchema,
  type TString,
  type TUnsafe,
} from '@sinclair/typebox';

// Free text may hold any character but NUL, which no C string (Docker, a process's argv or env)
// carries. The pattern says so in terms every regex engine reads; the `text` format adds what
// only UTF-16 engines (JavaScript) can see: a lone surrogate, which is no Unicode text at all and
// cannot be stored as UTF-8.

/** TEXT_FORMAT is used to name the format of free text: well-formed Unicode without NUL. */
export const TEXT_FORMAT = 'text';

/** TEXT_PATTERN_PREFIX is used to tell a Text pattern from a field's own pattern in errors. */
export const TEXT_PATTERN_PREFIX = '^[^\\u0000]';

// With the u flag a surrogate pair is one code point, so only a lone surrogate matches.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** isText is used by validators to implement TEXT_FORMAT. */
export function isText(value: string): boolean {
  return !value.includes('\u0000') && !LONE_SURROGATE.test(value);
}

/** TextOptions is used to bound a free-text field: every one has a maximum length. */
export interface TextOptions {
  minLength?: number;
  maxLength: number;
  description?: string;
}

/**
 * Text is used for every free-text field a client sends. The length bounds live in the pattern
 * too, so that generators (Schemathesis, hypothesis) need not filter what the pattern yields.
 */
export function Text(options: TextOptions): TString {
  const min = options.minLength ?? 0;
  return Type.String({
    ...options,
    format: TEXT_FORMAT,
    pattern: `${TEXT_PATTERN_PREFIX}{${min},${options.maxLength}}$`,
  });
}

/**
 * StringMap is used for objects with free keys (env, labels). It says what keys may look like with
 * `propertyNames`, which OpenAPI 3.1 publishes, where TypeBox's Record would use
 * `patternProperties`, which the OpenAPI generator drops.
 */
export function StringMap<V extends TSchema>(
  key: TString,
  value: V,
  options: ObjectOptions,
): TUnsafe<Record<string, Static<V>>> {
  return Type.Unsafe<Record<string, Static<V>>>({
    ...options,
    type: 'object',
    propertyNames: key,
    additionalProperties: value,
  });
}

/** Id is used for every resource id (opaque text). */
export const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' });

/** Timestamp is used for every time on the wire: ISO-8601 UTC. */
export const Timestamp = Type.String({ format: 'date-time' });

/** IdParams is used by routes of the shape /things/:id. */
export const IdParams = Type.Object({ id: Id }, { additionalProperties: false });

/** ServerVersion is used to answer GET /api/version (the CLI's `--version`). */
export const ServerVersion = Type.Object(
  { version: Type.String({ description: 'The server build, e.g. 0.1.0' }) },
  { additionalProperties: false },
);
