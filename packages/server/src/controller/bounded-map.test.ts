// mapBounded: never more than `limit` calls in flight, results in order, and with pacing the
// starts spread evenly over the span, grouped on ticks (on a manual clock, so the times are exact).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mapBounded } from './bounded-map.js';
import { createFakeClock, type FakeClock } from './queue-fake-clock.js';

interface Case {
  name: string;
  items: number;
  limit: number;
  spreadMs: number;
  tickMs?: number;
  callMs: number;
  starts: number[];
}

const cases: Case[] = [
  {
    name: 'no pacing: the first `limit` start at once, the rest as calls finish',
    items: 6,
    limit: 2,
    spreadMs: 0,
    callMs: 50,
    starts: [0, 0, 50, 50, 100, 100],
  },
  {
    name: 'pacing: starts every spread/n ms while calls are short',
    items: 5,
    limit: 4,
    spreadMs: 1000,
    callMs: 50,
    starts: [0, 200, 400, 600, 800],
  },
  {
    name: 'pacing never lifts the bound: long calls push starts later',
    items: 5,
    limit: 2,
    spreadMs: 1000,
    callMs: 500,
    starts: [0, 200, 500, 700, 1000],
  },
  {
    name: 'pacing groups the starts on ticks: one wake-up starts several calls',
    items: 10,
    limit: 10,
    spreadMs: 1000,
    tickMs: 250,
    callMs: 50,
    starts: [0, 0, 0, 250, 250, 500, 500, 500, 750, 750],
  },
];

const sleepOn =
  (clock: FakeClock) =>
  (ms: number): Promise<void> =>
    new Promise((resolve) => clock.setTimeout(resolve, ms));

/** runOnClock is used to advance the manual clock in 10 ms steps until the run ends. */
async function runOnClock<R>(clock: FakeClock, run: Promise<R>): Promise<R> {
  let done = false;
  void run.finally(() => (done = true));
  for (let step = 0; !done && step < 10_000; step++) {
    await new Promise((r) => setImmediate(r));
    clock.advance(10);
  }
  return run;
}

describe('mapBounded', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const clock = createFakeClock(1_000);
      const sleep = sleepOn(clock);
      const starts: number[] = [];
      let inFlight = 0;
      let maxInFlight = 0;
      const items = Array.from({ length: c.items }, (_, i) => i);
      const results = await runOnClock(
        clock,
        mapBounded(
          items,
          c.limit,
          async (i) => {
            starts[i] = clock.now() - 1_000;
            maxInFlight = Math.max(maxInFlight, ++inFlight);
            await sleep(c.callMs);
            inFlight--;
            return i * 10;
          },
          {
            spreadMs: c.spreadMs,
            now: clock.now,
            sleep,
            ...(c.tickMs ? { tickMs: c.tickMs } : {}),
          },
        ),
      );
      assert.deepEqual(
        results,
        items.map((i) => i * 10),
      );
      assert.deepEqual(starts, c.starts);
      assert.ok(maxInFlight <= c.limit, `${maxInFlight} in flight, limit ${c.limit}`);
    });
  }
});
