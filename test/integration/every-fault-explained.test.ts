import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FAULT_IDS, faultCatalogId } from '../../src/lab/fault-spec.js';
import { addFault, clearFault, type FaultId, type FaultSpec } from '../../src/lab/lab.js';
import { type Harness, messageText, startHarness } from '../support/netcheck-harness.js';

/**
 * Faults placed on the control plane: those the lab can only put there, and firewalld's table,
 * which rejects only what comes in (a node's own probes get their replies through it).
 */
const CONTROL_PLANE_ONLY: ReadonlySet<string> = new Set(['apiserver-down', 'icmp-blocked-firewalld']);
/** Faults whose reach from the control plane to a worker's report is the point (folding across nodes). */
const ALSO_ON_CP = (id: FaultId) => /blocked|vtep-mac/.test(id) && !CONTROL_PLANE_ONLY.has(id);

/**
 * What each run asserts of the report: a root cause, or (`healthy-or-named`) healthy or that
 * fault's own id alone, on the node the fault is on.
 */
type Expect = 'cause' | 'healthy-or-named';

function placements(): { spec: FaultSpec; diagnose: string; expect: Expect }[] {
  return FAULT_IDS.flatMap((id) => [
    {
      spec: { id, node: CONTROL_PLANE_ONLY.has(id) ? 'cp-1' : 'node-3' },
      diagnose: 'node-3',
      expect: 'cause' as const,
    },
    ...(ALSO_ON_CP(id) ? [{ spec: { id, node: 'cp-1' }, diagnose: 'node-3', expect: 'cause' as const }] : []),
    // The control plane asked about itself: its probes to its own address pass its own firewall.
    ...(ALSO_ON_CP(id) ? [{ spec: { id, node: 'cp-1' }, diagnose: 'cp-1', expect: 'cause' as const }] : []),
    // A fault on a peer, seen from another worker: never another cause, never a failure left over
    // (a peer without flannel.1 is named on the peer, not blamed on the path to it).
    ...(CONTROL_PLANE_ONLY.has(id)
      ? []
      : [{ spec: { id, node: 'node-1' }, diagnose: 'node-3', expect: 'healthy-or-named' as const }]),
    // The same on the control plane, seen from the worker it pairs with in the lab (node-1: a
    // control plane that lost its Flannel entries for a peer lost them for that one).
    ...(CONTROL_PLANE_ONLY.has(id) || ALSO_ON_CP(id)
      ? []
      : [{ spec: { id, node: 'cp-1' }, diagnose: 'node-1', expect: 'healthy-or-named' as const }]),
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

  for (const { spec, diagnose, expect } of placements()) {
    const what =
      expect === 'cause' ? 'has a root cause' : `is healthy or names \`${faultCatalogId(spec.id)}\` alone`;
    it(`${spec.id}@${spec.node}: /netcheck ${diagnose} ${what}, and no unexplained failed check`, async () => {
      await addFault({ labId: h.lab.labId }, spec);
      try {
        const { report } = await h.check(diagnose);
        const text = messageText(report);
        const head = JSON.stringify(report.blocks[0]);
        if (expect === 'cause') assert.doesNotMatch(head, /`healthy`/, text);
        else {
          // The headline's id, and every numbered root cause's ("*1. `id`* on *node*").
          const named = [
            ...[...head.matchAll(/`([a-z0-9][a-z0-9-]*)`/g)].map((m) => m[1]),
            ...[...JSON.stringify(report.blocks).matchAll(/\*\d+\. `([a-z0-9][a-z0-9-]*)`\*/g)].map(
              (m) => m[1],
            ),
          ];
          assert.ok(
            named.length > 0 && named.every((id) => id === 'healthy' || id === faultCatalogId(spec.id)),
            text,
          );
          // …and on the node that has it, never on the node asked about for a fault elsewhere
          // (public-ip-duplicate is on two nodes by construction: the lab binds the node and its
          // partner to one address, and the partner may be the node asked about).
          const on = [
            ...JSON.stringify(report.blocks).matchAll(/\*\d+\. `[a-z0-9-]+`\* on \*([a-z0-9-]+)\*/g),
          ];
          assert.ok(
            spec.id === 'public-ip-duplicate' || on.every((m) => m[1] === spec.node),
            `${on.map((m) => m[1]).join(', ')}\n${text}`,
          );
        }
        assert.doesNotMatch(text, /Failed checks no known cause explains/, text);
        assert.doesNotMatch(text, /no known cause matched/, text);
      } finally {
        await clearFault({ labId: h.lab.labId }, spec);
      }
    });
  }
});
