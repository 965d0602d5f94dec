// Load shedding: past a bounded number of requests in progress, the API answers 503 with
// Retry-After at once, instead of queueing until clients time out at connect. Streams (watch,
// followed logs, WebSockets) are long by design and do not count, nor do the health probes a load
// balancer uses to decide where to send traffic.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Errors } from '../errors.js';

/** registerLoadShedding is used once by buildApp; `maxInFlight` is UTOPIA_MAX_IN_FLIGHT_REQUESTS. */
export function registerLoadShedding(app: FastifyInstance, maxInFlight: number): void {
  let inFlight = 0;
  const counted = new WeakSet<FastifyRequest>();
  const release = (request: FastifyRequest): void => {
    if (counted.delete(request)) inFlight--;
  };
  app.addHook('onRequest', async (request) => {
    if (isExempt(request)) return;
    if (inFlight >= maxInFlight) {
      request.log.warn({ inFlight }, 'shedding load');
      throw Errors.unavailable(`server busy: ${inFlight} requests in progress; retry shortly`);
    }
    inFlight++;
    counted.add(request);
  });
  app.addHook('onResponse', async (request) => release(request));
  app.addHook('onRequestAbort', async (request) => release(request));
}

function isExempt(request: FastifyRequest): boolean {
  const path = request.url.split('?', 1)[0] ?? '';
  if (path === '/healthz' || path === '/readyz') return true;
  if (request.headers.upgrade !== undefined) return true;
  const query = request.url.slice(path.length);
  return /[?&](watch|follow)=(1|true)(&|$)/.test(query);
}
