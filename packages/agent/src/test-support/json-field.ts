// Reads answers of the agent API in tests without casting them; tests only.

/** field is used to read one member of a JSON object answer (undefined when absent). */
export function field(json: unknown, key: string): unknown {
  return typeof json === 'object' && json !== null && !Array.isArray(json)
    ? Reflect.get(json, key)
    : undefined;
}

/** errorOf is used to read the stable parts of an agent error answer. */
export function errorOf(json: unknown): { reason: unknown; permanent: unknown } {
  return { reason: field(json, 'reason'), permanent: field(json, 'permanent') };
}
