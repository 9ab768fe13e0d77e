import { readFile } from 'node:fs/promises';
import { findNode } from '../config/inventory.js';
import { diagnose } from '../diagnosis/diagnose.js';
import type { KubeFacts } from '../kube/kube-facts.js';
import { KubeGateway } from '../kube/kube-gateway.js';
import { KubeNodeWriter } from '../kube/kube-node-writer.js';
import { collectFacts } from '../probes/collect-facts.js';
import type { OutboxMessage } from '../queue/job-types.js';
import { startProbeWorker } from '../queue/probe-worker.js';
import { startRemediationWorker } from '../queue/remediation-worker.js';
import { executePlan, reportInterruptedRuns } from '../remediation/executor.js';
import { createPlanSigner } from '../remediation/plan-signer.js';
import { planFor } from '../remediation/runbooks.js';
import type { SshTarget } from '../ssh/ssh-target.js';
import { KubeNodeCache } from '../store/kube-node-cache.js';
import { createNodeDiagnoser } from '../worker/diagnose-node.js';
import { runProbe } from '../worker/probe-run.js';
import type { RoleContext } from './role-context.js';

/** How often a worker looks for runs whose worker died mid-plan. */
const INTERRUPTED_SWEEP_MS = 3000;

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
  ctx.onStop(() => transport.close());

  // `undefined` keeps the gateway's default call deadline; the one clock stamps its facts.
  const kube = config.kubeconfigPath
    ? new KubeGateway(config.kubeconfigPath, new KubeNodeCache(redis), undefined, clock.isoNow)
    : undefined;
  const writer = config.kubeconfigPath ? new KubeNodeWriter(config.kubeconfigPath) : undefined;
  const collectDeps = {
    transport,
    kube: (node: string): Promise<KubeFacts> =>
      kube ? kube.fetch(node) : Promise.resolve({ status: 'disabled' }),
    // Durations only: a monotonic reading, never compared with the wall clock.
    now: clock.monotonicMs,
    isoNow: clock.isoNow,
  };
  const nodes = createNodeDiagnoser({
    inventory,
    collect: (target) => collectFacts(collectDeps, inventory, target),
    diagnose,
  });

  ctx.addWorker(
    startProbeWorker({
      connection: redis,
      queues,
      logger: logger.child({ component: 'probe-worker' }),
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
          },
          job,
        ),
    }),
  );

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
  ctx.addWorker(
    startRemediationWorker({
      connection: redis,
      logger: logger.child({ component: 'remediation' }),
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
          },
          job.planId,
          job.hash,
        ),
    }),
  );
}
