/** Clock is used to read the time, so tests can move it. */
export interface Clock {
  now(): number;
}

/** systemClock is used in production. */
export const systemClock: Clock = { now: () => Date.now() };

/** isoAt is used to turn epoch milliseconds into the stored time format. */
export function isoAt(ms: number): string {
  return new Date(ms).toISOString();
}
