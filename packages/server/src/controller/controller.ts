import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { AppContext } from '../context.js';
import { claimIdsInPhases, LIVE_PHASES } from '../claims/claims.repository.js';
import { createNodeHealthChecker } from './node-health-checker.js';
import { createClaimReconciler } from './claim-reconciler.js';
import { createClusterModel } from '../cluster/cluster-model.js';
import { createBindBatcher } from './bind-batcher.js';
import { createKeyedLimiter } from './keyed-limiter.js';
import { releaseLease, tryAcquireLease } from './lease.js';
import { processQueue } from './queue-process.js';
import { createWorkQueue } from './queue.js';
import { monotonicTimerClock } from './queue-clock.js';
import { createDefaultControllerRateLimiter } from './rate-limiter.js';

/** Controller is used to run the reconcile loop and the node health loop on the leading replica. */
export interface Controller {
  start(): Promise<void>;
  stop(): Promise<void>;
  isLeading(): boolean;
}

type Log = (msg: string, extra?: object) => void;

const LEASE_NAME = 'controller';
// Node writes by other replicas' APIs reach the model within this; local ones at once (signals).
const NODE_CHECK_MS = 1_000;
// Container creates in flight per agent: enough to overlap a burst, few enough for one Docker.
const AGENT_CREATES_PER_NODE = 4;

/** createController is used once per server; only the replica holding the lease does the work. */
export function createController(ctx: AppContext, log: Log): Controller {
  const holder = `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
  const cfg = ctx.config;
  let leading: { stop(): Promise<void> } | undefined;
  let leaseTimer: ReturnType<typeof setInterval> | undefined;
  let ticking = Promise.resolve();

  async function tick(): Promise<void> {
    let acquired = false;
    try {
      acquired = await tryAcquireLease(
        ctx.db.kysely,
        LEASE_NAME,
        holder,
        cfg.leaseDurationMs,
        ctx.clock.now(),
      );
    } catch (e) {
      log('could not renew the controller lease', { err: e });
    }
    if (acquired && !leading) {
      log('took the controller lease; reconciling', { holder });
      leading = startLeading();
    } else if (!acquired && leading) {
      log('lost the controller lease; standing by', { holder });
      const l = leading;
      leading = undefined;
      await l.stop();
    }
  }

  function startLeading(): { stop(): Promise<void> } {
    // Retries back off to a minute at most: an agent that was down should be retried soon after
    // it is back, and the resync is the safety net beyond that.
    const queue = createWorkQueue({
      rateLimiter: createDefaultControllerRateLimiter(monotonicTimerClock, { maxDelayMs: 60_000 }),
    });
    const enqueue = (phases: readonly (typeof LIVE_PHASES)[number][]): void => {
      claimIdsInPhases(ctx.db.kysely, phases).then(
        (ids) => ids.forEach((id) => queue.add(id)),
        (e: unknown) => log('could not list claims to enqueue', { err: e }),
      );
    };
    const model = createClusterModel(ctx.db.kysely, { nodeCheckMs: NODE_CHECK_MS, log });
    const reconcile = createClaimReconciler({
      db: ctx.db.kysely,
      clock: ctx.clock,
      agents: ctx.agentClient,
      agentTokenKey: ctx.agentTokenKey,
      policy: cfg.schedulingPolicy,
      runningCheckMs: cfg.runningCheckMs,
      restartBackoffMs: cfg.restartBackoffMs,
      metrics: ctx.metrics,
      supportsRowLocks: ctx.db.supportsRowLocks,
      model,
      bindBatcher: createBindBatcher(ctx.db.kysely),
      perNodeCalls: createKeyedLimiter(AGENT_CREATES_PER_NODE),
      onGpusReleased: () => enqueue(['Pending']),
      onBindConflict: () => {
        model.resync().catch((e: unknown) => log('could not resync the cluster model', { err: e }));
      },
    });
    const workers = processQueue(
      queue,
      cfg.reconcileConcurrency,
      reconcile,
      (key, err, willRetry) =>
        log(`reconcile of claim ${key} failed${willRetry ? '; retrying' : ''}`, {
          err: err instanceof Error ? err.message : err,
        }),
    );
    const unsubscribe = ctx.signals.subscribe({
      claimChanged: (id) => queue.add(id),
      nodesChanged: () => {
        model.nodesChanged();
        enqueue(['Pending', 'Scheduled']);
      },
    });
    const health = createNodeHealthChecker({
      db: ctx.db.kysely,
      clock: ctx.clock,
      agents: ctx.agentClient,
      agentTokenKey: ctx.agentTokenKey,
      graceMs: cfg.nodeGraceMs,
      concurrency: cfg.nodePollConcurrency,
      liveFigures: ctx.liveFigures,
      ...(ctx.tunnel ? { discoverTunnels: ctx.tunnel.discover } : {}),
      onNodesChanged: () => {
        model.nodesChanged();
        enqueue(['Pending', 'Scheduled']);
      },
      onClaimChanged: (id) => queue.add(id),
      log,
    });
    const timers = [
      setInterval(() => {
        // The safety net for the model too: rebuilt from the database, any drift logged.
        model.resync().catch((e: unknown) => log('could not resync the cluster model', { err: e }));
        enqueue(LIVE_PHASES);
      }, cfg.resyncIntervalMs),
      repeatWithoutOverlap(() => health.pollOnce(), cfg.nodePollIntervalMs, log),
    ];
    enqueue(LIVE_PHASES);
    return {
      async stop() {
        timers.forEach((t) => clearInterval(t));
        unsubscribe();
        queue.shutDown();
        await workers;
      },
    };
  }

  return {
    async start() {
      await tick();
      leaseTimer = setInterval(
        () => {
          ticking = ticking.then(tick);
        },
        Math.max(200, Math.floor(cfg.leaseDurationMs / 3)),
      );
    },
    async stop() {
      if (leaseTimer) clearInterval(leaseTimer);
      await ticking;
      if (leading) {
        await leading.stop();
        leading = undefined;
        await releaseLease(ctx.db.kysely, LEASE_NAME, holder, ctx.clock.now()).catch(
          () => undefined,
        );
      }
    },
    isLeading: () => leading !== undefined,
  };
}

function repeatWithoutOverlap(
  fn: () => Promise<void>,
  everyMs: number,
  log: Log,
): ReturnType<typeof setInterval> {
  let running = false;
  return setInterval(() => {
    if (running) return;
    running = true;
    fn()
      .catch((e: unknown) =>
        log('node health poll failed', { err: e instanceof Error ? e.message : e }),
      )
      .finally(() => {
        running = false;
      });
  }, everyMs);
}
