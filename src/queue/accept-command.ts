import type { Auditor } from '../audit/audit-event.js';
import type { RunStore } from '../store/run-store.js';
import type { CommandRequest } from './job-types.js';
import type { Queues } from './queues.js';

export interface AcceptCommandDeps {
  readonly runs: RunStore;
  readonly queues: Queues;
  readonly audit: Auditor;
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
        : `/netcheck ${command.node} in <#${command.channel}>`,
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
  await deps.queues.enqueueProbe({
    runId,
    node: command.node,
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
  });
}
