import type { Auditor } from '../audit/audit-event.js';
import type { RunStore } from '../store/run-store.js';
import type { ZoneLiveness } from '../store/zone-liveness.js';
import type { CommandRequest } from './job-types.js';
import type { Queues } from './queues.js';

export interface AcceptCommandDeps {
  readonly runs: RunStore;
  readonly queues: Queues;
  readonly audit: Auditor;
  /** With zones (inventory `zone:`): a zoned node's job is queued only if a worker serves its zone. */
  readonly zones?: {
    readonly zoneOf: (node: string) => string | undefined;
    readonly liveness: Pick<ZoneLiveness, 'liveWorkers'>;
  };
}

/**
 * What an accepted `/netcheck` leads to, off the listener's path: the audit entry first (so the
 * log says who asked before anything happens), then the run record, the probe job and the parent
 * message. Safe to repeat after a crash: a run that exists is not audited again, and the jobs have
 * fixed ids.
 */
export async function acceptCommand(deps: AcceptCommandDeps, command: CommandRequest): Promise<void> {
  const { runId } = command;
  const mesh = command.mesh;
  if (!(await deps.runs.get(runId))) {
    await deps.audit.record({
      type: 'command.received',
      actor: command.requestedBy,
      runId,
      node: command.node,
      summary: mesh
        ? `/netcheck mesh (${mesh.length} nodes) in <#${command.channel}>`
        : `/netcheck ${command.kind ? `${command.kind} ` : ''}${command.node} in <#${command.channel}>`,
      data: {
        channel: command.channel,
        text: command.text.slice(0, 500),
        requestedAt: command.requestedAt,
        ...(mesh ? { mesh } : {}),
      },
    });
    await deps.runs.create({
      runId,
      node: command.node,
      channel: command.channel,
      requestedBy: command.requestedBy,
      createdAt: command.requestedAt,
    });
  }
  if (mesh) {
    // A mesh spans every zone: any worker plans it; its chunks go to their zones' queues, and a
    // zone with no live worker is reported in the summary (worker/mesh-plan.ts, docs/architecture.md).
    await deps.queues.enqueueMesh({
      runId,
      nodes: mesh,
      requestedBy: command.requestedBy,
      channel: command.channel,
      requestedAt: command.requestedAt,
    });
    await deps.queues.enqueueOutbox({
      kind: 'parent',
      runId,
      channel: command.channel,
      node: command.node,
      requestedBy: command.requestedBy,
      label: `the mesh of ${mesh.length} nodes`,
    });
    return;
  }
  const parent = {
    kind: 'parent',
    runId,
    channel: command.channel,
    node: command.node,
    requestedBy: command.requestedBy,
  } as const;
  // A zone nobody serves is said in the thread at once; the job is not left waiting for a worker
  // that may never come (and no worker of another zone takes it: docs/architecture.md, "Zones").
  const zone = deps.zones?.zoneOf(command.node);
  if (zone && deps.zones && (await deps.zones.liveness.liveWorkers(zone)).length === 0) {
    await deps.audit.record({
      type: 'command.refused',
      actor: 'netcheck',
      runId,
      node: command.node,
      summary: `nothing queued for ${command.node}: no live worker in zone ${zone}`,
      data: { zone },
    });
    await deps.queues.enqueueOutbox(parent, {
      kind: 'notice',
      runId,
      text: `:no_entry: no live worker in zone ${zone} for ${command.node} (start one with NETCHECK_ZONE=${zone}). Nothing was queued or run; run the command again once a worker is up.`,
    });
    return;
  }
  await deps.queues.enqueueProbe({
    runId,
    node: command.node,
    requestedBy: command.requestedBy,
    channel: command.channel,
    requestedAt: command.requestedAt,
    ...(command.kind ? { kind: command.kind } : {}),
  });
  await deps.queues.enqueueOutbox(parent);
}
