import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Redis } from 'ioredis';
import { findNode } from '../../src/config/inventory.js';
import { loadInventory } from '../../src/config/load-inventory.js';
import { diagnose } from '../../src/diagnosis/diagnose.js';
import { KubeGateway } from '../../src/kube/kube-gateway.js';
import { collectFacts } from '../../src/probes/collect-facts.js';
import { Queues } from '../../src/queue/queues.js';
import type { ExecutorDeps } from '../../src/remediation/executor.js';
import { createPlanSigner } from '../../src/remediation/plan-signer.js';
import { DEFAULT_RUN_TIMING, type RunTiming } from '../../src/remediation/run-timing.js';
import { parseKnownHosts } from '../../src/ssh/known-hosts.js';
import type { RemoteCommand } from '../../src/ssh/remote-command.js';
import { SshTransport } from '../../src/ssh/ssh-transport.js';
import { AuditStore } from '../../src/store/audit-store.js';
import { KubeNodeCache } from '../../src/store/kube-node-cache.js';
import { PlanStore } from '../../src/store/plan-store.js';
import { RunStore } from '../../src/store/run-store.js';
import { createNodeDiagnoser } from '../../src/worker/diagnose-node.js';
import type { Harness } from './netcheck-harness.js';
import { TEST_PLAN_KEY } from './netcheck-harness.js';

/**
 * An executor in the test process, wired to the harness's real Redis, lab nodes (over SSH) and
 * outbox exactly as src/roles/worker.ts wires it, with two handles a worker process does not
 * offer: shorter lease timings, and a hook before every command a step sends.
 */
export interface ExecutorRig {
  readonly deps: ExecutorDeps;
  readonly plans: PlanStore;
  readonly audit: AuditStore;
  readonly redis: Redis;
  /** Every command steps sent, in order (node, text). */
  readonly execs: { node: string; command: string }[];
  /** Awaited before each command is sent: a test pauses a step or acts mid-step here. */
  beforeExec: ((node: string, command: RemoteCommand) => Promise<void>) | undefined;
  close(): Promise<void>;
}

export async function startExecutorRig(
  h: Harness,
  timing: Partial<RunTiming> = {},
  stopping?: AbortSignal,
): Promise<ExecutorRig> {
  const inventory = await loadInventory(h.inventoryPath);
  const redis = new Redis(h.redis.url);
  const writer = new Redis(h.redis.url);
  const queues = new Queues(redis);
  const plans = new PlanStore(redis);
  const audit = new AuditStore(redis, writer, () => new Date().toISOString());
  const runs = new RunStore(redis, () => new Date().toISOString());
  const transport = new SshTransport({
    user: inventory.ssh.user,
    privateKey: await readFile(inventory.ssh.privateKeyPath),
    knownHosts: parseKnownHosts(await readFile(inventory.ssh.knownHostsPath, 'utf8')),
  });
  const kube = new KubeGateway(path.join(h.dir, 'kubeconfig'), new KubeNodeCache(redis), 3000, () =>
    new Date().toISOString(),
  );
  const nodes = createNodeDiagnoser({
    inventory,
    collect: (target) =>
      collectFacts(
        {
          transport,
          kube: (node) => kube.fetch(node),
          now: () => performance.now(),
          isoNow: () => new Date().toISOString(),
        },
        inventory,
        target,
      ),
    diagnose,
  });
  let counter = 0;
  const rig: ExecutorRig = {
    plans,
    audit,
    redis,
    execs: [],
    beforeExec: undefined,
    deps: {
      plans,
      signer: createPlanSigner(TEST_PLAN_KEY),
      target: (name) => {
        const node = findNode(inventory, name);
        return node ? { name: node.name, host: node.host, port: node.port } : undefined;
      },
      exec: async (target, command, opts) => {
        rig.execs.push({ node: target.name, command: command.text });
        await rig.beforeExec?.(target.name, command);
        return transport.exec(target, command, opts);
      },
      post: (message) => queues.enqueueOutbox(message),
      audit,
      diagnose: async (name) => (await nodes.diagnoseByName(name)).report,
      runNode: async (runId) => (await runs.get(runId))?.node,
      newPlanId: () => `plan-rig-${process.pid}-${++counter}`,
      now: () => Date.now(),
      isoNow: () => new Date().toISOString(),
      timing: { ...DEFAULT_RUN_TIMING, ...timing },
      stopping,
    },
    async close() {
      await transport.close();
      await queues.close();
      redis.disconnect();
      writer.disconnect();
    },
  };
  return rig;
}
