/**
 * dropNulls is used on create bodies before validation: the original (Go) agent read an explicit
 * null as "not given", so `{"command": null}` or a port's `"protocol": null` mean the field is
 * absent. Only top-level members and members of objects in top-level arrays (port mappings) are
 * dropped; a null array item stays and fails validation.
 */
export function dropNulls(body: unknown): void {
  if (!isRecord(body)) return;
  for (const [key, value] of Object.entries(body)) {
    if (value === null) delete body[key];
    else if (Array.isArray(value)) value.forEach(dropNullMembers);
  }
}

function dropNullMembers(value: unknown): void {
  if (!isRecord(value)) return;
  for (const [key, member] of Object.entries(value)) if (member === null) delete value[key];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
