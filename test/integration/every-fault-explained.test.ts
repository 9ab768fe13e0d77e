import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FAULT_IDS } from '../../src/lab/fault-spec.js';
import { addFault, clearFault, type FaultId, type FaultSpec } from '../../src/lab/lab.js';
import { type Harness, messageText, startHarness } from '../support/netcheck-harness.js';

/**
 * Faults placed on the control plane: those the lab can only put there, and firewalld's table,
 * which rejects only what comes in (a node's own probes get their replies through it).
 */
const CONTROL_PLANE_ONLY: ReadonlySet<string> = new Set(['apiserver-down', 'icmp-blocked-firewalld']);
/** Faults whose reach from the control plane to a worker's report is the point (folding across nodes). */
const ALSO_ON_CP = (id: FaultId) => /blocked|vtep-mac/.test(id) && !CONTROL_PLANE_ONLY.has(id);

function placements(): { spec: FaultSpec; diagnose: string }[] {
  return FAULT_IDS.flatMap((id) => [
    { spec: { id, node: CONTROL_PLANE_ONLY.has(id) ? 'cp-1' : 'node-3' }, diagnose: 'node-3' },
    ...(ALSO_ON_CP(id) ? [{ spec: { id, node: 'cp-1' }, diagnose: 'node-3' }] : []),
  ]);
}

/**
 * With a single catalog fault in the lab, every failed check is explained by a root cause: the
 * report's "Failed checks no known cause explains" part is empty, for every lab fault (the list is
 * the lab's own, so a fault added later is covered without touching this file).
 */
describe('every lab fault: nothing left unexplained', () => {
  let h: Harness;

  before(async () => {
    h = await startHarness({ labId: 'ncfw2', netIndex: 101 });
  });
  after(async () => {
    await h?.close();
  });

  for (const { spec, diagnose } of placements()) {
    it(`${spec.id}@${spec.node}: /netcheck ${diagnose} has a root cause and no unexplained failed check`, async () => {
      await addFault({ labId: h.lab.labId }, spec);
      try {
        const { report } = await h.check(diagnose);
        const text = messageText(report);
        assert.doesNotMatch(JSON.stringify(report.blocks[0]), /`healthy`/, text);
        assert.doesNotMatch(text, /Failed checks no known cause explains/, text);
        assert.doesNotMatch(text, /no known cause matched/, text);
      } finally {
        await clearFault({ labId: h.lab.labId }, spec);
      }
    });
  }
});
