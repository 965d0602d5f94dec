/**
 * GpuState is used on both sides for one GPU: what it is, and its live figures (null means the
 * driver cannot tell). The agent reads it from its GPU backend; the server stores it per node.
 */
export interface GpuState {
  index: number;
  uuid: string;
  model: string;
  memoryTotalMiB: number;
  memoryUsedMiB: number | null;
  utilizationPercent: number | null;
  temperatureC: number | null;
}
