import { readFile, statfs } from 'node:fs/promises';
import { loadavg, totalmem, uptime } from 'node:os';
import type { AgentSystemMetrics } from '@utopia/shared';

/** CpuTimes is used to hold one /proc/stat "cpu" line: busy and total jiffies. */
export interface CpuTimes {
  busy: number;
  total: number;
}

/** parseProcStat is used to read the aggregate cpu line of /proc/stat. */
export function parseProcStat(text: string): CpuTimes | undefined {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return undefined;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest is already inside user).
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = v;
  const idleAll = idle + iowait;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idleAll };
}

/** parseMemInfo is used to read total and available memory (kB) from /proc/meminfo. */
export function parseMemInfo(text: string): { totalKb: number; availableKb: number } | undefined {
  const get = (key: string): number | undefined => {
    const m = new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text);
    return m?.[1] === undefined ? undefined : Number(m[1]);
  };
  const totalKb = get('MemTotal');
  const availableKb = get('MemAvailable');
  if (totalKb === undefined || availableKb === undefined) return undefined;
  return { totalKb, availableKb };
}

/** cpuPercent is used to turn two samples into a usage percentage over the interval. */
export function cpuPercent(a: CpuTimes, b: CpuTimes): number {
  const total = b.total - a.total;
  if (total <= 0) return 0;
  return round1(((b.busy - a.busy) / total) * 100);
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

/**
 * SystemMetricsSampler is used to report CPU usage over the last interval (not since boot, the
 * original agent's defect): a background timer keeps the previous /proc/stat sample, so a request
 * never waits for a measurement.
 */
export class SystemMetricsSampler {
  #previous: CpuTimes | undefined;
  #cpu = 0;
  #timer: NodeJS.Timeout | undefined;
  readonly #diskPath: string;

  constructor(diskPath: string) {
    this.#diskPath = diskPath;
  }

  async start(intervalMs = 5000): Promise<void> {
    await this.#sample();
    this.#timer = setInterval(() => void this.#sample(), intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
  }

  async #sample(): Promise<void> {
    const now = parseProcStat(await readFile('/proc/stat', 'utf8').catch(() => ''));
    if (now && this.#previous) this.#cpu = cpuPercent(this.#previous, now);
    if (now) this.#previous = now;
  }

  async read(): Promise<AgentSystemMetrics> {
    const mem = parseMemInfo(await readFile('/proc/meminfo', 'utf8').catch(() => ''));
    const totalKb = mem?.totalKb ?? Math.floor(totalmem() / 1024);
    const usedKb = mem ? mem.totalKb - mem.availableKb : 0;
    return {
      cpu_usage_percent: this.#cpu,
      memory_usage_percent: totalKb > 0 ? round1((usedKb / totalKb) * 100) : 0,
      memory_total_mb: Math.round(totalKb / 1024),
      memory_used_mb: Math.round(usedKb / 1024),
      disk_usage_percent: await this.#diskPercent(),
      load_average: loadavg().map(round1),
      uptime: Math.floor(uptime()),
    };
  }

  async #diskPercent(): Promise<number> {
    try {
      const s = await statfs(this.#diskPath);
      const total = s.blocks * s.bsize;
      const free = s.bavail * s.bsize;
      return total > 0 ? round1(((total - free) / total) * 100) : 0;
    } catch {
      return 0;
    }
  }
}
