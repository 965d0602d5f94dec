// Parsing of `nvidia-smi --query-gpu` / `--query-compute-apps` CSV. nvidia-smi does not quote: cells
// are separated by ", ", and only free text (a GPU or process name) could hold a comma, so extra
// cells are folded back into that one field. Units ("MiB", "%") and the header are optional, so
// the same code reads `csv,noheader,nounits` and plain `csv`.
import type { GpuDevice, GpuProcess } from './gpu-backend.js';

/** GPU_QUERY_FIELDS is used as the agent's `--query-gpu` list, in this order. */
export const GPU_QUERY_FIELDS = [
  'index',
  'uuid',
  'name',
  'memory.total',
  'memory.used',
  'utilization.gpu',
  'temperature.gpu',
] as const;

/** COMPUTE_APPS_FIELDS is used as the agent's `--query-compute-apps` list, in this order. */
export const COMPUTE_APPS_FIELDS = ['gpu_uuid', 'pid', 'process_name', 'used_memory'] as const;

/** NvidiaSmiParseError is used when nvidia-smi printed something other than the CSV asked for. */
export class NvidiaSmiParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NvidiaSmiParseError';
  }
}

// nvidia-smi accepts aliases; map them to one name.
const ALIASES: Record<string, string> = {
  gpu_uuid: 'uuid',
  gpu_name: 'name',
  'memory.used': 'memory.used',
  used_gpu_memory: 'used_memory',
};

const FREE_TEXT = new Set(['name', 'process_name', 'gpu_name']);

/** CsvTable is used to hold the rows of one query, keyed by canonical field name. */
export type CsvRow = Record<string, string>;

/**
 * parseQueryCsv is used to read nvidia-smi CSV. With `fields` it expects `noheader` output in that
 * column order; without, it reads the column names from the header line (units in brackets are
 * dropped: "memory.total [MiB]" → "memory.total").
 */
export function parseQueryCsv(text: string, fields?: readonly string[]): CsvRow[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  let names: string[];
  if (fields) {
    names = fields.map(canonical);
  } else {
    const header = lines.shift();
    if (header === undefined) return [];
    names = header.split(',').map((h) => canonical(h.trim().replace(/\s*\[[^\]]*\]$/, '')));
  }
  return lines.map((line) => toRow(line, names));
}

function canonical(name: string): string {
  return ALIASES[name] ?? name;
}

function toRow(line: string, names: readonly string[]): CsvRow {
  let cells = line.split(',').map((c) => c.trim());
  const extra = cells.length - names.length;
  const freeAt = names.findIndex((n) => FREE_TEXT.has(n));
  if (extra > 0 && freeAt >= 0) {
    const merged = cells.slice(freeAt, freeAt + extra + 1).join(', ');
    cells = [...cells.slice(0, freeAt), merged, ...cells.slice(freeAt + extra + 1)];
  }
  if (cells.length !== names.length) {
    throw new NvidiaSmiParseError(
      `expected ${names.length} fields, got ${cells.length}: ${line.slice(0, 200)}`,
    );
  }
  const row: CsvRow = {};
  names.forEach((n, i) => {
    row[n] = cells[i] ?? '';
  });
  return row;
}

/**
 * readNumber is used to read a numeric cell. `[N/A]`, `N/A`, `[Not Supported]`, `[Unknown Error]`,
 * deprecation notes and empty cells are null ("the driver cannot tell"), never 0.
 */
export function readNumber(cell: string | undefined): number | null {
  if (cell === undefined) return null;
  const match = /^(-?\d+(?:\.\d+)?)(?:\s*[A-Za-z%/]+)?$/.exec(cell.trim());
  if (!match?.[1]) return null;
  const n = Number(match[1]);
  return Number.isFinite(n) ? n : null;
}

function readText(cell: string | undefined): string | null {
  if (cell === undefined) return null;
  const t = cell.trim();
  if (t === '' || /^\[.*\]$/.test(t) || t === 'N/A') return null;
  return t;
}

/** toGpuDevices is used to turn `--query-gpu` rows into devices; a row without index/uuid fails. */
export function toGpuDevices(rows: readonly CsvRow[]): GpuDevice[] {
  return rows.map((row) => {
    const index = readNumber(row.index);
    const uuid = readText(row.uuid);
    if (index === null || uuid === null) {
      throw new NvidiaSmiParseError(`GPU row without index or uuid: ${JSON.stringify(row)}`);
    }
    return {
      index,
      uuid,
      model: readText(row.name) ?? 'unknown',
      memoryTotalMiB: readNumber(row['memory.total']) ?? 0,
      memoryUsedMiB: readNumber(row['memory.used']),
      utilizationPercent: readNumber(row['utilization.gpu']),
      temperatureC: readNumber(row['temperature.gpu']),
      processes: [],
    };
  });
}

/** toProcessesByUuid is used to group `--query-compute-apps` rows by GPU UUID. */
export function toProcessesByUuid(rows: readonly CsvRow[]): Map<string, GpuProcess[]> {
  const byUuid = new Map<string, GpuProcess[]>();
  for (const row of rows) {
    const uuid = readText(row.uuid);
    if (uuid === null) continue;
    const list = byUuid.get(uuid) ?? [];
    list.push({
      pid: readNumber(row.pid),
      name: readText(row.process_name),
      usedMemoryMiB: readNumber(row.used_memory),
    });
    byUuid.set(uuid, list);
  }
  return byUuid;
}

/** attachProcesses is used to give each device the processes nvidia-smi saw on it. */
export function attachProcesses(
  devices: readonly GpuDevice[],
  byUuid: ReadonlyMap<string, GpuProcess[]>,
): GpuDevice[] {
  return devices.map((d) => ({ ...d, processes: byUuid.get(d.uuid) ?? [] }));
}
