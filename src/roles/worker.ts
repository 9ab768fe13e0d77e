import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { findNode } from '../config/inventory.js';
import { withDeadline } from '../core/deadline.js';
import { evaluatePreflight } from '../diagnosis/evaluate-preflight.js';
import type { KubeGateway } from '../kube/kube-gateway.js';
import type { KubeNodeWriter } from '../kube/kube-node-writer.js';
import { collectPreflight } from '../probes/collect-preflight.js';
import type { OutboxMessage } from '../queue/job-types.js';
import { QUEUE_NAMES } from '../queue/job-types.js';
import { type MeshHandlers, startMeshWorker } from '../queue/mesh-worker.js';
import { startProbeWorker } from '../queue/probe-worker.js';
import { startRemediationWorker } from '../queue/remediation-worker.js';
import { zoneQueueName } from '../queue/zone-routing.js';
import { executePlan, reportInterruptedRuns } from '../remediation/executor.js';
import { createPlanSigner } from '../remediation/plan-signer.js';
import { planFor } from '../remediation/runbooks.js';
import type { SshTarget } from '../ssh/ssh-target.js';
import { KubeNodeCache } from '../store/kube-node-cache.js';
import { ZONE_HEARTBEAT_EVERY_MS, ZoneLiveness } from '../store/zone-liveness.js';
import { MESH_CHUNK_CONCURRENCY, planMesh } from '../worker/mesh-plan.js';
import { probeMeshChunk } from '../worker/mesh-probe.js';
import { reportMesh } from '../worker/mesh-report.js';
import { runPreflight } from '../worker/preflight-run.js';
import { runProbe } from '../worker/probe-run.js';
import type { RoleContext } from './role-context.js';
import { workerDiagnoser } from './worker-collect.js';
import { startWorkerSweeps } from './worker-sweeps.js';

/** Every Kubernetes API call's deadline: a hung API server must not hold a diagnosis. */
const KUBE_CALL_TIMEOUT_MS = 3000;

/** How often a worker looks for runs whose worker died mid-plan. */
const INTERRUPTED_SWEEP_MS = 3000;

/**
 * How long a stopping worker waits for its running jobs. A plan's running step is let finish
 * within its own timeout (the longest, a join: 30 s to fetch the command, 120 s to run it, 120 s
 * for its check), then the run stops at the step boundary and reports; only then does SSH close.
 * An orchestrator's grace period (Kubernetes terminationGracePeriodSeconds) should be as long.
 */
export const WORKER_DRAIN_MS = 5 * 60 * 1000;

/**
 * A worker: holds the SSH key, runs probe jobs and approved plans. Composition only; what a probe
 * run does is in worker/probe-run.ts, what a plan run does is in remediation/executor.ts.
 */
export async function startWorkerRole(ctx: RoleContext): Promise<void> {
  const { config, logger, clock, ids, redis, queues, runs, plans, audit } = ctx;
  const inventory = config.inventory;
  // Config refuses a worker without NETCHECK_PLAN_KEY; a short or missing key throws here too.
  const signer = createPlanSigner(config.planKey ?? '');

  // Loaded only by processes that run probes: a bot never loads the SSH stack or reads the key.
  const [{ parseKnownHosts }, { SshTransport }] = await Promise.all([
    import('../ssh/known-hosts.js'),
    import('../ssh/ssh-transport.js'),
  ]);
  const [privateKey, knownHostsText] = await Promise.all([
    readFile(inventory.ssh.privateKeyPath),
    readFile(inventory.ssh.knownHostsPath, 'utf8'),
  ]);
  const transport = new SshTransport({
    user: inventory.ssh.user,
    privateKey,
    knownHosts: parseKnownHosts(knownHostsText),
    logger: logger.child({ component: 'ssh' }),
  });
  // Closed last: stop() runs closers in reverse order, and the drain registered below comes first.
  ctx.onStop(() => transport.close());

  // `undefined` keeps the gateway's default call deadline; the one clock stamps its facts.
  // Loaded only with a KUBECONFIG: @kubernetes/client-node loads every generated API model (~45 MB).
  let kube: KubeGateway | undefined;
  let writer: KubeNodeWriter | undefined;
  if (config.kubeconfigPath) {
    const [gateway, nodeWriter] = await Promise.all([
      import('../kube/kube-gateway.js'),
      import('../kube/kube-node-writer.js'),
    ]);
    const cache = new KubeNodeCache(redis);
    kube = new gateway.KubeGateway(
      config.kubeconfigPath,
      cache,
      KUBE_CALL_TIMEOUT_MS,
      clock.isoNow,
      clock.monotonicMs,
    );
    writer = new nodeWriter.KubeNodeWriter(config.kubeconfigPath);
  }
  const { collectDeps, nodes } = workerDiagnoser({ inventory, transport, kube, clock });

  // The zones this worker serves (NETCHECK_ZONE); [undefined]: the default queue (nodes without a
  // zone). A worker never takes another zone's jobs: a zone with no worker is reported, not served
  // from afar (docs/architecture.md, "Zones").
  const zones: readonly (string | undefined)[] = config.zones ?? [undefined];
  const workerId = ids.next(`${hostname()}-${process.pid}`);
  // Heartbeats per zone: the bot queues a zoned node's job only while its zone has a live worker,
  // and a mesh plans chunks only for live zones; the first beat comes before any job is taken.
  const liveness = new ZoneLiveness(redis);
  const beat = () =>
    liveness
      .beat(workerId, zones)
      .catch((error: unknown) => logger.warn({ err: error }, 'could not write the zone heartbeat'));
  await beat();
  const beating = setInterval(beat, ZONE_HEARTBEAT_EVERY_MS);
  beating.unref();
  logger.info({ workerId, zones: zones.map((z) => z ?? '(default)') }, 'worker serves these zones');

  const probeWorkers = zones.map((zone) =>
    startProbeWorker({
      queueName: zoneQueueName(QUEUE_NAMES.probe, zone),
      connection: redis,
      queues,
      logger: logger.child({ component: 'probe-worker', zone }),
      handle: (job) =>
        runProbe(
          {
            nodes,
            planFor: (report, planIds) => planFor(report, planIds, config.backup),
            signer,
            savePlan: (plan, nowMs) => plans.save(plan, nowMs),
            audit,
            clock,
            ids,
            logger,
            worker: { id: workerId, zone },
          },
          job,
        ),
      handlePreflight: (job) =>
        runPreflight(
          {
            resolve: nodes.resolve,
            kube: collectDeps.kube,
            collect: (node, nonce, kubeFacts) =>
              collectPreflight(
                { ...collectDeps, kube: async () => kubeFacts, wallNow: clock.now },
                inventory,
                node,
                nonce,
              ),
            evaluate: evaluatePreflight,
            audit,
            ids,
            logger,
            worker: { id: workerId, zone },
          },
          job,
        ),
    }),
  );
  for (const w of probeWorkers) ctx.addWorker(w);

  // `/netcheck mesh`: plan, chunks of sources over the pooled connections, report (worker/mesh-*.ts).
  // Plan and report (API server, cache, posts) on `mesh` for every worker; chunks SSH into nodes,
  // so like probes they wait in their zone's queue for that zone's workers.
  const meshHandlers = (zone: string | undefined): MeshHandlers => ({
    plan: (job) =>
      planMesh(
        {
          inventory,
          kubeNodes: async () => (kube ? kube.listNodes() : undefined),
          addFlow: (report, chunks) => queues.addMeshFlow(report, chunks),
          audit,
          liveWorkers: (z) => liveness.liveWorkers(z),
        },
        job,
      ),
    probe: (job) =>
      probeMeshChunk({ inventory, transport, now: clock.monotonicMs, worker: { id: workerId, zone } }, job),
    report: (job, chunks) =>
      reportMesh(
        {
          enqueueOutbox: (...messages) => queues.enqueueOutbox(...messages),
          enqueueProbe: (data) => queues.enqueueProbe(data),
          createChildRun: async (run) => {
            if (!(await runs.get(run.runId))) await runs.create(run);
          },
          audit,
          clock,
        },
        job,
        chunks,
      ),
  });
  const meshWorkers = [
    startMeshWorker({
      connection: redis,
      queues,
      logger: logger.child({ component: 'mesh-worker' }),
      handlers: meshHandlers(undefined),
    }),
    ...zones.map((zone) =>
      startMeshWorker({
        queueName: zoneQueueName(QUEUE_NAMES.meshProbe, zone),
        connection: redis,
        queues,
        logger: logger.child({ component: 'mesh-worker', zone }),
        concurrency: MESH_CHUNK_CONCURRENCY,
        handlers: meshHandlers(zone),
      }),
    ),
  ];
  for (const w of meshWorkers) ctx.addWorker(w);

  const post = (message: OutboxMessage) => queues.enqueueOutbox(message);
  const newPlanId = () => ids.next('plan');
  // A run whose worker died (SIGKILL, power loss) is reported as interrupted, never re-run.
  const sweep = () =>
    reportInterruptedRuns({
      plans,
      post,
      audit,
      newPlanId,
      now: clock.now,
      isoNow: clock.isoNow,
      signer,
    }).catch((error: unknown) => logger.error({ err: error }, 'could not check for interrupted runs'));
  await sweep();
  const sweeper = setInterval(sweep, INTERRUPTED_SWEEP_MS);
  sweeper.unref();
  ctx.onStop(async () => clearInterval(sweeper));

  const target = (name: string): SshTarget | undefined => {
    const node = findNode(inventory, name);
    return node ? { name: node.name, host: node.host, port: node.port } : undefined;
  };
  // Aborted when the process stops: a running plan finishes its step, then stops at the boundary.
  const stopping = new AbortController();
  const remediationWorkers = zones.map((zone) =>
    startRemediationWorker({
      queueName: zoneQueueName(QUEUE_NAMES.remediation, zone),
      connection: redis,
      logger: logger.child({ component: 'remediation', zone }),
      handle: (job) =>
        executePlan(
          {
            plans,
            signer,
            target,
            exec: (t, command, opts) => transport.exec(t, command, opts),
            post,
            audit,
            diagnose: async (name) => (await nodes.diagnoseByName(name)).report,
            runNode: async (runId) => (await runs.get(runId))?.node,
            newPlanId,
            drain: writer ? (node) => writer.drainAndDelete(node) : undefined,
            now: clock.now,
            isoNow: clock.isoNow,
            stopping: stopping.signal,
          },
          job.planId,
          job.hash,
        ),
    }),
  );
  for (const w of remediationWorkers) ctx.addWorker(w);

  await startWorkerSweeps(ctx, { zones, nodes, signer, post, writer });

  // The first thing a stopping worker does: take no more jobs and let the running ones reach a step
  // boundary, while SSH, Redis and the outbox are all still there for them to finish and report.
  ctx.onStop(async () => {
    clearInterval(beating);
    await liveness.leave(workerId, zones).catch(() => undefined);
    stopping.abort();
    logger.info('stopping: no new jobs; running steps finish, then their plans stop and report');
    await withDeadline(
      Promise.all([...remediationWorkers, ...probeWorkers, ...meshWorkers].map((w) => w.close())),
      WORKER_DRAIN_MS,
      'letting running jobs finish',
    );
  });
}
