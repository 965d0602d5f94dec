// A manual clock for tests of the queue and of anything built on it (like k8s.io/utils/clock/testing).
import type { TimerClock, TimerHandle } from './queue-clock.js';

interface FakeTimer {
  id: number;
  due: number;
  callback: () => void;
}

/** FakeClock is used in tests to move time forward by hand and fire the timers that fall due. */
export interface FakeClock extends TimerClock {
  /** Moves time forward by `ms`, firing due timers in order, each at its own due time. */
  advance(ms: number): void;
  /** Number of armed timers. */
  pendingTimers(): number;
}

/** createFakeClock is used to build a FakeClock starting at `start` ms. */
export function createFakeClock(start = 0): FakeClock {
  let now = start;
  let nextId = 1;
  const timers = new Map<number, FakeTimer>();
  const nextDue = (limit: number): FakeTimer | undefined =>
    [...timers.values()]
      .filter((t) => t.due <= limit)
      .sort((a, b) => a.due - b.due || a.id - b.id)[0];
  return {
    now: () => now,
    setTimeout(callback, ms) {
      const id = nextId++;
      timers.set(id, { id, due: now + Math.max(0, ms), callback });
      return id;
    },
    clearTimeout(handle: TimerHandle) {
      if (typeof handle === 'number') timers.delete(handle);
    },
    advance(ms) {
      const target = now + ms;
      // Timers armed by a callback still fire in this call when they fall due before `target`.
      for (let t = nextDue(target); t !== undefined; t = nextDue(target)) {
        timers.delete(t.id);
        now = t.due;
        t.callback();
      }
      now = target;
    },
    pendingTimers: () => timers.size,
  };
}
