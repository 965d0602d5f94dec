import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { AppContext } from '../context.js';
import { claimIdsInPhases, claimIdsToResync, LIVE_PHASES } from '../claims/claims.repository.js';
import { createNodeHealthChecker } from './node-health-checker.js';
import { createClaimReconciler } from './claim-reconciler.js';
import { createClusterModel } from '../cluster/cluster-model.js';
import { createBindBatcher } from './bind-batcher.js';
import { createKeyedLimiter } from './keyed-limiter.js';
import { releaseLease, renewLease, tryAcquireLease, type LeaseHold } from './lease.js';
import { createLeaseFence, type ClaimWrites } from './lease-fence.js';
import { processQueue } from './queue-process.js';
import { createWorkQueue } from './queue.js';
import { monotonicTimerClock } from './queue-clock.js';
import { createDefaultControllerRateLimiter } from './rate-limiter.js';
import { followChanges } from './change-follower.js';

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
  const db = ctx.db.kysely;
  // The current term of leading, if any. heldUntil is in performance.now() time: the local clock
  // keeps running through a SIGSTOP, so a replica that wakes up past it knows at once.
  let term: { hold: LeaseHold; heldUntil: number; stop(): Promise<void> } | undefined;
  let expiryTimer: ReturnType<typeof setTimeout> | undefined;
  let steppingDown = Promise.resolve();
  let leaseTimer: ReturnType<typeof setInterval> | undefined;
  let ticking = Promise.resolve();

  /** stepDown is used the moment this replica learns its term is over; it never waits itself. */
  function stepDown(why: string): void {
    const t = term;
    if (!t) return;
    term = undefined;
    clearTimeout(expiryTimer);
    ctx.metrics.leader.set(0);
    log(`stopped leading (${why}); standing by`, { holder, generation: t.hold.generation });
    steppingDown = steppingDown.then(() => t.stop());
  }

  function armExpiry(t: NonNullable<typeof term>): void {
    clearTimeout(expiryTimer);
    expiryTimer = setTimeout(
      () => {
        if (term === t && performance.now() >= t.heldUntil)
          stepDown('the lease ran out by the local clock');
      },
      Math.max(0, t.heldUntil - performance.now()),
    );
  }

  async function tick(): Promise<void> {
    await steppingDown; // the last term's workers are done before another may start
    const started = performance.now();
    const t = term;
    if (t) {
      let renewed = false;
      try {
        renewed = await renewLease(db, t.hold, cfg.leaseDurationMs, ctx.clock.now());
      } catch (e) {
        log('could not renew the controller lease', { err: e });
      }
      if (term !== t) return; // refused a write meanwhile
      if (!renewed) return stepDown('renewing the lease failed');
      if (performance.now() >= t.heldUntil) return stepDown('the lease ran out by the local clock');
      t.heldUntil = started + cfg.leaseDurationMs;
      armExpiry(t);
      return;
    }
    let hold: LeaseHold | undefined;
    try {
      hold = await tryAcquireLease(db, LEASE_NAME, holder, cfg.leaseDurationMs, ctx.clock.now());
    } catch (e) {
      log('could not take the controller lease', { err: e });
    }
    if (!hold) return;
    log('took the controller lease; reconciling', { holder, generation: hold.generation });
    const next: NonNullable<typeof term> = {
      hold,
      heldUntil: started + cfg.leaseDurationMs,
      stop: () => Promise.resolve(),
    };
    term = next;
    ctx.metrics.leader.set(1);
    next.stop = startLeading(
      createLeaseFence({
        db,
        hold,
        supportsRowLocks: ctx.db.supportsRowLocks,
        clock: ctx.clock,
        heldUntil: () => next.heldUntil,
        onRefused: (why) => {
          ctx.metrics.fencedRefusals.inc();
          log('refused a controller write: this replica no longer holds the lease', {
            why,
            generation: hold.generation,
          });
          if (term === next) stepDown(why);
        },
      }),
    ).stop;
    armExpiry(next);
  }

  function startLeading(writes: ClaimWrites): { stop(): Promise<void> } {
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
    // Built now, not on the first placement: after a start or a takeover the first claims would
    // otherwise wait for every node to be read and parsed.
    model.view().catch((e: unknown) => log('could not build the cluster model', { err: e }));
    // The claim version each reconcile last acted on. A claim this replica's API took is signalled
    // at once and then read from the change log too: without this, the second wake-up would run
    // one more reconcile (two reads) per claim whenever the first was already under way.
    const seen = new Map<string, number>();
    // On MySQL the Running transitions commit beside the binds, on a connection of their own; on
    // SQLite (one writer) a second pipeline would only split the batches.
    const bindBatcher = createBindBatcher(writes);
    const runningBatcher = ctx.db.supportsRowLocks ? createBindBatcher(writes) : bindBatcher;
    const reconcile = createClaimReconciler({
      db: ctx.db.kysely,
      writes,
      clock: ctx.clock,
      agents: ctx.agentClient,
      agentTokenKey: ctx.agentTokenKey,
      policy: cfg.schedulingPolicy,
      runningCheckMs: cfg.runningCheckMs,
      restartBackoffMs: cfg.restartBackoffMs,
      metrics: ctx.metrics,
      supportsRowLocks: ctx.db.supportsRowLocks,
      model,
      bindBatcher,
      runningBatcher,
      perNodeCalls: createKeyedLimiter(AGENT_CREATES_PER_NODE),
      onGpusReleased: () => enqueue(['Pending']),
      onBindConflict: () => {
        model.resync().catch((e: unknown) => log('could not resync the cluster model', { err: e }));
      },
      onSeen: (id, version) => (version === undefined ? seen.delete(id) : seen.set(id, version)),
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
    const wake = {
      claimChanged: (id: string, version?: number) => {
        if (version === undefined || (seen.get(id) ?? -1) < version) queue.add(id);
      },
      claimGone: (id: string) => seen.delete(id),
      nodesChanged: () => {
        model.nodesChanged();
        enqueue(['Pending', 'Scheduled']);
      },
    };
    const unsubscribe = ctx.signals.subscribe(wake);
    // What other replicas' APIs took reaches this one through the change log.
    const follower = followChanges(ctx.watch.feed, wake, log);
    const health = createNodeHealthChecker({
      db: ctx.db.kysely,
      clock: ctx.clock,
      agents: ctx.agentClient,
      agentTokenKey: ctx.agentTokenKey,
      graceMs: cfg.nodeGraceMs,
      concurrency: cfg.nodePollConcurrency,
      // Spread each round's polls over half the interval: the rest is slack for slow agents.
      spreadMs: cfg.nodePollIntervalMs / 2,
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
        claimIdsToResync(ctx.db.kysely).then(
          (ids) => ids.forEach((id) => queue.add(id)),
          (e: unknown) => log('could not list claims to resync', { err: e }),
        );
      }, cfg.resyncIntervalMs),
      repeatWithoutOverlap(
        async () => {
          writes.assertHeld(); // a node's status is the leader's to write too
          await health.pollOnce();
        },
        cfg.nodePollIntervalMs,
        log,
      ),
    ];
    enqueue(LIVE_PHASES);
    return {
      async stop() {
        timers.forEach((t) => clearInterval(t));
        unsubscribe();
        await follower.stop();
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
      const t = term;
      stepDown('shutting down');
      await steppingDown;
      if (t) await releaseLease(db, t.hold, ctx.clock.now()).catch(() => undefined);
    },
    isLeading: () => term !== undefined,
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
