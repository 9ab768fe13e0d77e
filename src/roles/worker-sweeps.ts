import { hostname } from 'node:os';
import type { KubeNodeWriter } from '../kube/kube-node-writer.js';
import type { OutboxMessage } from '../queue/job-types.js';
import { removeSweepSchedule, startSweeps } from '../queue/sweep-queue.js';
import { zoneNodes } from '../queue/zone-routing.js';
import type { PlanSigner } from '../remediation/plan-signer.js';
import { planFor } from '../remediation/runbooks.js';
import { SweepStateStore } from '../store/sweep-state-store.js';
import type { NodeDiagnoser } from '../worker/diagnose-node.js';
import { runSweep } from '../worker/sweep-run.js';
import type { RoleContext } from './role-context.js';

/** How many nodes a scheduled sweep diagnoses at once. */
const SWEEP_CONCURRENCY = 4;

/** What the worker role already built that its sweeps use. */
export interface WorkerSweepDeps {
  readonly zones: readonly (string | undefined)[];
  readonly nodes: NodeDiagnoser;
  readonly signer: Pick<PlanSigner, 'sign'>;
  readonly post: (message: OutboxMessage) => Promise<void>;
  readonly writer: KubeNodeWriter | undefined;
}

/**
 * Scheduled sweeps (NETCHECK_SWEEP_INTERVAL): one BullMQ job scheduler per zone, shared by the
 * zone's workers; a zone's sweep diagnoses only that zone's nodes (the zone rule holds for sweeps).
 * Without the interval, this worker removes its zones' schedules.
 */
export async function startWorkerSweeps(ctx: RoleContext, deps: WorkerSweepDeps): Promise<void> {
  const { config, logger, clock, ids, redis, runs, plans, audit } = ctx;
  const { zones, nodes, signer, post, writer } = deps;
  const inventory = config.inventory;
  if (config.sweep) {
    const sweepConfig = config.sweep;
    const sweepOwner = ids.next(`${hostname()}-${process.pid}`);
    const state = new SweepStateStore(redis);
    for (const zone of zones) {
      const sweeps = await startSweeps({
        connection: redis,
        zone,
        intervalMs: sweepConfig.intervalMs,
        logger: logger.child({ component: 'sweep', zone }),
        handle: (sweepId) =>
          runSweep(
            {
              nodes,
              zone,
              names: zoneNodes(inventory, zone),
              concurrency: SWEEP_CONCURRENCY,
              state,
              planFor: (report, planIds) => planFor(report, planIds, config.backup),
              signer,
              savePlan: (plan, nowMs) => plans.save(plan, nowMs),
              createRun: (run) => runs.create(run),
              post,
              setCondition: writer ? (node, c) => writer.setCondition(node, c, clock.isoNow()) : undefined,
              channel: sweepConfig.channel,
              audit,
              clock,
              ids,
              worker: sweepOwner,
              logger: logger.child({ component: 'sweep', zone }),
            },
            sweepId,
          ),
      });
      ctx.addWorker(sweeps.worker);
      ctx.onStop(() => sweeps.queue.close());
    }
  } else {
    // Not awaited: a worker starts (and serves /netcheck) even if this cannot be done right now.
    void removeSweepSchedule(redis, zones).catch((error: unknown) =>
      logger.warn({ err: error }, 'could not remove the sweep schedule; sweeps are off in this worker'),
    );
  }
}
