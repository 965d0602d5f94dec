import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  type AgentCapacity,
  AgentErrorBody,
  AgentHealthResponse,
  AgentMetricsResponse,
  AgentStatusResponse,
  type AgentGpuInjection,
  type AgentGpuMetrics,
} from '@utopia/shared';
import type { GpuDevice } from '../gpu/gpu-backend.js';
import type { GpuInjectionStatus } from '../gpu/gpu-injection.js';
import type { GpuMonitor } from '../gpu/gpu-monitor.js';
import type { SystemMetricsSampler } from '../metrics/system-metrics.js';
import type { ContainerService } from '../runtime/container.service.js';

/** NodeRoutesOptions is used to hand the node routes what they report on. */
export interface NodeRoutesOptions {
  nodeId: () => string;
  version: string;
  gpus: GpuMonitor;
  system: SystemMetricsSampler;
  containers: ContainerService;
  /** What claims may use of this node in all (settings capacityCpus / capacityMemoryMiB). */
  capacity: () => AgentCapacity;
  /** How containers get their GPUs (absent: embedders that set no injector). */
  gpuInjection?: () => GpuInjectionStatus;
}

/** metricsRoutes is used to serve GET /api/v1/metrics (authenticated; node id from identity). */
export const metricsRoutes: FastifyPluginAsyncTypebox<NodeRoutesOptions> = async (app, opts) => {
  app.get(
    '/metrics',
    {
      schema: { response: { 200: AgentMetricsResponse, 401: AgentErrorBody, 503: AgentErrorBody } },
    },
    async () => {
      const system = await opts.system.read();
      // Without Docker the node still reports itself; GPUs then count as busy only by their use.
      const used = await opts.containers
        .usedGpus(opts.gpus.current())
        .catch(() => new Map<number, string>());
      return {
        node_id: opts.nodeId(),
        cpu_usage_percent: system.cpu_usage_percent,
        memory_usage_percent: system.memory_usage_percent,
        gpus: opts.gpus.current().map((g) => toGpuMetrics(g, used.has(g.index))),
        system,
        capacity: opts.capacity(),
        ...injectionOf(opts),
      };
    },
  );
};

function injectionOf(opts: NodeRoutesOptions): { gpu_injection?: AgentGpuInjection } {
  if (!opts.gpuInjection) return {};
  const { mode, reason } = opts.gpuInjection();
  return { gpu_injection: { mode, reason } };
}

/** toGpuMetrics is used to map a device to the original GPUInfo; busy also counts our own claims. */
export function toGpuMetrics(g: GpuDevice, assigned: boolean): AgentGpuMetrics {
  const memUsed = g.memoryUsedMiB ?? 0;
  const util = g.utilizationPercent ?? 0;
  const heavy = g.memoryTotalMiB > 0 && memUsed / g.memoryTotalMiB > 0.1;
  return {
    id: g.index,
    temperature_c: g.temperatureC ?? 0,
    memory_total_mb: g.memoryTotalMiB,
    memory_used_mb: memUsed,
    name: g.model,
    uuid: g.uuid,
    busy: assigned || heavy || util > 10 || g.processes.length > 0,
    usage_percent: util,
  };
}

/** publicRoutes is used to serve GET /health and GET /status, which need no token. */
export const publicRoutes: FastifyPluginAsyncTypebox<NodeRoutesOptions> = async (app, opts) => {
  app.get('/health', { schema: { response: { 200: AgentHealthResponse } } }, async () => ({
    status: 'healthy' as const,
    timestamp: Math.floor(Date.now() / 1000),
  }));

  app.get('/status', { schema: { response: { 200: AgentStatusResponse } } }, async () => {
    let docker = 'ok';
    let count = 0;
    try {
      count = (await opts.containers.list()).length;
    } catch (err) {
      docker = err instanceof Error ? err.message : String(err);
    }
    return {
      node_id: opts.nodeId(),
      version: opts.version,
      gpu_count: opts.gpus.current().length,
      gpu_backend: opts.gpus.backend.kind,
      gpu_condition: opts.gpus.backend.condition,
      docker,
      container_count: count,
      ...injectionOf(opts),
      ...(opts.gpuInjection ? { cdi_hooks: opts.gpuInjection().hooks } : {}),
    };
  });
};
