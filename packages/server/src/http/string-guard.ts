import { TEXT_FORMAT, TEXT_PATTERN_PREFIX } from '@utopia/shared';

// Formats whose grammar has no room for NUL or a lone surrogate.
const SAFE_FORMATS = new Set(['date-time', 'date', 'time', 'uuid', 'email', 'uri', 'ipv4', 'ipv6']);

// Escapes that can match characters nobody listed: \W \S \D (negated classes), \p{…}/\P{…}
// (Cs is the surrogate category), \u/\x/\0/\c (spelled-out code points).
const OPEN_ESCAPES = new Set(['W', 'S', 'D', 'p', 'P', 'u', 'x', '0', 'c']);

/**
 * isAllowListPattern is used to prove that a pattern only matches characters it names: ASCII
 * source, no negated class, no `.` and no escape that reaches beyond what is written. Such a
 * pattern can never match NUL or a lone surrogate.
 */
export function isAllowListPattern(pattern: string): boolean {
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charCodeAt(i);
    if (c > 0x7e || c < 0x20) return false;
    const ch = pattern[i];
    if (ch === '\\') {
      if (OPEN_ESCAPES.has(pattern[i + 1] ?? '')) return false;
      i++;
    } else if (ch === '[' && !inClass) {
      if (pattern[i + 1] === '^') return false;
      inClass = true;
    } else if (ch === ']' && inClass) inClass = false;
    else if (ch === '.' && !inClass) return false;
  }
  return true;
}

/** isSafeString is used to accept a bounded string schema whose values hold no NUL or lone surrogate. */
function isSafeString(s: Record<string, unknown>): boolean {
  if ('const' in s || 'enum' in s) return true;
  if (typeof s.format === 'string' && SAFE_FORMATS.has(s.format)) return true;
  if (typeof s.pattern !== 'string' || typeof s.maxLength !== 'number') return false;
  // A Text pattern keeps NUL out; its format keeps lone surrogates out.
  if (s.format === TEXT_FORMAT) return s.pattern.startsWith(TEXT_PATTERN_PREFIX);
  return isAllowListPattern(s.pattern);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/**
 * unsafeStrings is used to list the string schemas (as JSON pointers) of a request schema that
 * would let NUL or a lone surrogate in, or that have no maximum length.
 */
export function unsafeStrings(schema: unknown, at = ''): string[] {
  if (Array.isArray(schema)) return schema.flatMap((s, i) => unsafeStrings(s, `${at}/${i}`));
  if (!isRecord(schema)) return [];
  const own = schema.type === 'string' && !isSafeString(schema) ? [at || '/'] : [];
  const nested = Object.entries(schema).flatMap(([k, v]) =>
    isRecord(v) ? unsafeStrings(v, `${at}/${k}`) : [],
  );
  return [...own, ...nested];
}

/**
 * assertSafeStrings is used when a route's schema is compiled: a free string without a Text (or
 * allow-list) pattern would let NUL or a lone surrogate through validation, so the server refuses
 * to start with one.
 */
export function assertSafeStrings(schema: unknown, where: string): void {
  const bad = unsafeStrings(schema);
  if (bad.length > 0) {
    throw new Error(
      `${where}: string fields ${bad.join(', ')} need a maxLength and a pattern that excludes NUL and lone surrogates (use Text() from @utopia/shared)`,
    );
  }
}
