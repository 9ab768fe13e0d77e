import type { AuditEntry } from '../../src/audit/audit-event.js';
import type { FaultSpec } from '../../src/lab/fault-spec.js';
import { addFault, clearFault } from '../../src/lab/lab.js';
import type { AuditWatch } from './audit-watch.js';
import type { FakeMessage } from './fake-slack.js';
import type { Harness } from './netcheck-harness.js';

/**
 * A fault injected until a sweep announces it, then cleared until a sweep resolves it, on the real
 * schedule: awaits both audit entries and returns the sweep channel's announcement once its
 * resolution reply is there (the caller asserts what it says and that nothing else was posted).
 */
export async function sweepFaultCycle(
  h: Harness,
  audit: AuditWatch,
  spec: FaultSpec,
  channel: string,
  timeoutMs: number,
): Promise<FakeMessage> {
  const mark = await audit.lastId();
  await addFault({ labId: h.lab.labId }, spec);
  let announced: AuditEntry;
  try {
    announced = await audit.waitFor(
      (e) => e.type === 'problem.announced',
      timeoutMs,
      'the announcement',
      mark,
    );
  } finally {
    await clearFault({ labId: h.lab.labId }, spec);
  }
  await audit.waitFor((e) => e.type === 'problem.resolved', timeoutMs, 'the resolution', announced.id);
  return h.slack.waitFor(
    () => {
      const first = h.slack.topLevel(channel)[0];
      return first && h.slack.replies(first.ts).length > 0 ? first : undefined;
    },
    20_000,
    'the announcement and its resolution reply',
  );
}
