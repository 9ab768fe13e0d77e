import type { Auditor } from '../audit/audit-event.js';
import type { InventoryNode } from '../config/inventory-schema.js';
import type { IdSource } from '../core/ids.js';
import type { PreflightResult } from '../diagnosis/preflight-result.js';
import type { KubeFacts } from '../kube/kube-facts.js';
import type { PreflightFacts } from '../probes/collect-preflight.js';
import type { OutboxMessage, ProbeJobData } from '../queue/job-types.js';

export interface PreflightRunDeps {
  /** The node's inventory entry; throws for a node this worker's inventory lacks. */
  readonly resolve: (name: string) => InventoryNode;
  readonly kube: (node: string) => Promise<KubeFacts>;
  readonly collect: (node: InventoryNode, nonce: string, kube: KubeFacts) => Promise<PreflightFacts>;
  readonly evaluate: (facts: PreflightFacts) => PreflightResult;
  readonly audit: Auditor;
  readonly ids: IdSource;
  readonly logger: { info(obj: object, msg: string): void };
  readonly worker?: { readonly id: string; readonly zone: string | undefined };
}

const ICON = { ready: ':white_check_mark:', incomplete: ':grey_question:', 'not-ready': ':x:' } as const;

/** Is the node already a member? The API's node list (or the last one cached when it is down). */
function member(kube: KubeFacts, node: string): { since?: string } | undefined {
  if (kube.status === 'reachable') return kube.nodes.some((n) => n.name === node) ? {} : undefined;
  if (kube.status === 'unreachable' && kube.cached?.nodes.some((n) => n.name === node))
    return { since: kube.cached.fetchedAt };
  return undefined;
}

/**
 * One `/netcheck preflight <node>` job: refuse a node that is already in the cluster, otherwise
 * probe the candidate and every existing node, evaluate (pure) and return the thread's messages.
 * Read-only on every node: the UDP check only sends datagrams a VXLAN socket drops.
 */
export async function runPreflight(deps: PreflightRunDeps, job: ProbeJobData): Promise<OutboxMessage[]> {
  const node = deps.resolve(job.node);
  await deps.audit.record({
    type: 'run.started',
    actor: 'netcheck',
    runId: job.runId,
    node: job.node,
    summary: `preflight of ${job.node} for <@${job.requestedBy}>`,
    data: {
      preflight: true,
      ...(deps.worker ? { worker: deps.worker.id, zone: deps.worker.zone ?? null } : {}),
    },
  });
  const kube = await deps.kube(node.name);
  const joined = member(kube, node.name);
  if (joined) {
    const text = `${node.name} is already in the cluster${joined.since ? ` (the API server's node list of ${joined.since}; the API is unreachable now)` : ''}; use /netcheck ${node.name} to diagnose it. Preflight is for a node before it runs kubeadm join.`;
    await deps.audit.record({
      type: 'diagnosis',
      actor: 'netcheck',
      runId: job.runId,
      node: job.node,
      summary: `preflight: ${node.name} is already in the cluster; nothing probed`,
      data: { preflight: true, verdict: 'already-joined' },
    });
    return [
      { kind: 'notice', runId: job.runId, text: `:information_source: ${text}` },
      {
        kind: 'preflight-verdict',
        runId: job.runId,
        text: `:information_source: *${node.name}*: already in the cluster — use \`/netcheck ${node.name}\``,
      },
    ];
  }
  const facts = await deps.collect(node, deps.ids.next('pf').replace(/[^A-Za-z0-9-]/g, ''), kube);
  const result = deps.evaluate(facts);
  const failed = result.rows.filter((r) => r.status === 'fail');
  await deps.audit.record({
    type: 'diagnosis',
    actor: 'netcheck',
    runId: job.runId,
    node: job.node,
    summary: `preflight ${result.verdict}: ${result.headline}`,
    data: {
      preflight: true,
      verdict: result.verdict,
      failed: failed.map((r) => ({ check: r.check, id: r.catalogId ?? null, subject: r.subject })),
      unknown: result.rows.filter((r) => r.status === 'unknown').map((r) => r.check),
    },
  });
  deps.logger.info(
    {
      runId: job.runId,
      node: job.node,
      verdict: result.verdict,
      failed: failed.map((r) => r.catalogId ?? r.check),
      ms: Math.round(facts.durationMs),
    },
    'preflight done',
  );
  return [
    { kind: 'preflight', runId: job.runId, result },
    {
      kind: 'preflight-verdict',
      runId: job.runId,
      text: `${ICON[result.verdict]} preflight *${node.name}*: ${result.headline} — table in the thread`,
    },
  ];
}
