// Time, injected: the queue and rate limiters read the clock and arm timers only through this
// interface, so tests drive time with a fake clock and never sleep.

/** TimerHandle is used to cancel a timer armed through a TimerClock (Node's Timeout, or a fake's number). */
export type TimerHandle = ReturnType<typeof setTimeout> | number;

/** TimerClock is used to read time and arm timers in the controller's queue. */
export interface TimerClock {
  /** Milliseconds on a monotonic scale; only differences are meaningful. */
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/**
 * monotonicTimerClock is used in production. It reads performance.now(), which never jumps when the wall
 * clock is adjusted, so a backoff cannot become hours long (or zero) after an NTP step.
 */
export const monotonicTimerClock: TimerClock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle),
};
