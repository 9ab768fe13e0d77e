import type { PreflightFacts } from '../probes/collect-preflight.js';
import { pathRows } from './preflight-paths.js';
import { nodeIdentity, prerequisiteRows } from './preflight-prerequisites.js';
import { type PreflightResult, type PreflightRow, preflightVerdict } from './preflight-result.js';

/**
 * `/netcheck preflight <node>` as a pure function of recorded facts: the candidate's prerequisites,
 * what must be unique against every existing node, and the paths both ways. Like the diagnosis,
 * a check that could not be made is *unknown*, never a pass.
 */
export function evaluatePreflight(facts: PreflightFacts): PreflightResult {
  const candidate = facts.nodes[facts.candidate];
  if (candidate && !candidate.connection.ok) {
    const { code, detail } = candidate.connection;
    const row: PreflightRow = {
      check: 'ssh',
      catalogId:
        code === 'host-key-mismatch' || code === 'host-key-unknown'
          ? 'host-key-mismatch'
          : 'node-unreachable',
      subject: facts.candidate,
      status: 'fail',
      detail: `SSH to ${facts.candidate} failed (${code}: ${detail.slice(0, 200)}); nothing could be checked`,
      area: 'prerequisite',
    };
    return preflightVerdict(facts.candidate, [row]);
  }
  const rows = [...prerequisiteRows(facts), ...uniquenessRows(facts), ...pathRows(facts)];
  return preflightVerdict(facts.candidate, rows);
}

/** Hostname, MAC and product_uuid must differ from every existing node's (kubeadm's "verify the MAC address and product_uuid are unique"). */
export function uniquenessRows(facts: PreflightFacts): PreflightRow[] {
  const mine = nodeIdentity(facts.nodes[facts.candidate]);
  const others = facts.inventory
    .filter((n) => n.name !== facts.candidate)
    .map((n) => ({ name: n.name, id: nodeIdentity(facts.nodes[n.name]) }));
  const row = (
    check: string,
    pick: (id: ReturnType<typeof nodeIdentity>) => string | null | undefined,
    what: string,
  ): PreflightRow => {
    const base = { check, subject: facts.candidate, area: 'prerequisite' } as const;
    const value = pick(mine);
    if (value === null)
      return {
        ...base,
        status: 'unknown',
        detail: `${facts.candidate} has no ${what} (no DMI data, as in containers and some VMs)`,
      };
    if (value === undefined)
      return { ...base, status: 'unknown', detail: `could not read the ${what} of ${facts.candidate}` };
    const same = others.filter((o) => pick(o.id) === value).map((o) => o.name);
    if (same.length > 0)
      return { ...base, status: 'fail', detail: `${what} ${value} is also on ${same.join(', ')}` };
    // A node without the value (no DMI data) cannot clash; one that could not be read might.
    const unread = others.filter((o) => pick(o.id) === undefined).map((o) => o.name);
    if (unread.length > 0)
      return {
        ...base,
        status: 'unknown',
        detail: `${what} ${value}; could not read it on ${unread.join(', ')} to compare`,
      };
    return { ...base, status: 'pass', detail: `${what} ${value}, on no other node` };
  };
  const rows = [
    row('hostname-unique', (id) => id.hostname?.toLowerCase(), 'hostname'),
    row('mac-unique', (id) => id.mac, 'MAC'),
    row('product-uuid-unique', (id) => id.productUuid, 'product_uuid'),
  ];
  // The hostname becomes the node name: an API node of that name that is not this one also clashes.
  if (facts.kube.status === 'reachable' && mine.hostname) {
    const clash = facts.kube.nodes.find(
      (n) => n.name === mine.hostname!.toLowerCase() && n.name !== facts.candidate,
    );
    if (clash && rows[0]!.status !== 'fail')
      rows[0] = {
        ...rows[0]!,
        status: 'fail',
        detail: `hostname ${mine.hostname} is already a node name in the cluster`,
      };
  }
  return rows;
}
