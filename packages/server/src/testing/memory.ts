// Memory figures of this process for tests that must show a stream does not buffer. The test
// runs the server and its agents in-process, so these are the server's (and agents') figures.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const collected: unknown = runInNewContext('gc');
const gc = typeof collected === 'function' ? (): unknown => collected() : (): unknown => undefined;

/** MemoryFigures is used to compare memory before and after: `live` is heap plus Buffers. */
export interface MemoryFigures {
  heapUsed: number;
  arrayBuffers: number;
  live: number;
  rss: number;
}

/** memoryFigures is used to read memory after a full garbage collection. */
export function memoryFigures(): MemoryFigures {
  gc();
  const m = process.memoryUsage();
  return {
    heapUsed: m.heapUsed,
    arrayBuffers: m.arrayBuffers,
    live: m.heapUsed + m.arrayBuffers,
    rss: m.rss,
  };
}
