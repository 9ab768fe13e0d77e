import { PROBE } from '../../probes/probe-registry.js';
import { type Check, makeCheck } from '../check.js';
import { checkRef } from '../check-id.js';
import type { Evidence } from '../evidence.js';
import type { FactView } from '../fact-view.js';
import { kubeNodes } from '../kube-nodes.js';

/** One underlay address that several nodes' VXLAN traffic is sent to. */
export interface SharedPublicIp {
  readonly address: string;
  /** Node names (or, from an FDB, a VTEP MAC no probed node owns). */
  readonly nodes: readonly string[];
  readonly source: 'api' | 'fdb';
}

/**
 * Addresses carried by more than one node: from the `flannel.alpha.coreos.com/public-ip`
 * annotations when the API answers now; without it, from the FDBs read over
 * SSH, where one `dst` behind several VTEP MACs means several nodes announced the same address.
 */
export function sharedPublicIps(view: FactView): SharedPublicIp[] | undefined {
  // Only a live node list: a cached one holds the annotations from before the fault.
  const kube = view.facts.kube;
  const nodes = kube.status === 'reachable' ? kube.nodes : [];
  if (nodes.length > 0) {
    const byIp = new Map<string, string[]>();
    for (const n of nodes) if (n.publicIp) byIp.set(n.publicIp, [...(byIp.get(n.publicIp) ?? []), n.name]);
    return [...byIp]
      .filter(([, names]) => names.length > 1)
      .map(([address, names]) => ({ address, nodes: names, source: 'api' }));
  }
  const owner = new Map<string, string>();
  for (const node of Object.values(view.facts.nodes)) {
    const link = view.parsed(node.name, PROBE.flannelLink);
    if (link.status === 'ok' && link.value.mac) owner.set(link.value.mac.toLowerCase(), node.name);
  }
  const macsByDst = new Map<string, Set<string>>();
  let read = false;
  for (const node of Object.values(view.facts.nodes)) {
    const fdb = view.parsed(node.name, PROBE.fdb);
    if (fdb.status !== 'ok') continue;
    read = true;
    for (const e of fdb.value)
      if (e.dst) macsByDst.set(e.dst, (macsByDst.get(e.dst) ?? new Set()).add(e.mac));
  }
  if (!read) return undefined;
  return [...macsByDst]
    .filter(([, macs]) => macs.size > 1)
    .map(([address, macs]) => ({ address, nodes: [...macs].map((m) => owner.get(m) ?? m), source: 'fdb' }));
}

/** No two nodes announce one public-ip (made when the API's node list or some node's FDB can be read). */
export function publicIpUniqueChecks(view: FactView): Check[] {
  const target = view.target.name;
  const shared = sharedPublicIps(view);
  if (!shared) return [];
  const ref = checkRef('public-ip-unique', target);
  const title = 'every node announces its own Flannel public-ip';
  if (shared.length === 0) return [makeCheck(ref, title, 'pass', 'no address is shared', [])];
  const evidence: Evidence[] = [];
  const nodes = kubeNodes(view);
  if (shared[0]!.source === 'api') {
    evidence.push({
      node: target,
      command: 'kubectl get nodes (annotation flannel.alpha.coreos.com/public-ip)',
      lines: nodes.map(
        (n) => `${n.name}: public-ip ${n.publicIp ?? '(none)'}; InternalIP ${n.internalIP ?? '?'}`,
      ),
    });
  }
  for (const node of Object.values(view.facts.nodes)) {
    const fdb = view.parsed(node.name, PROBE.fdb);
    if (fdb.status !== 'ok') continue;
    const lines = fdb.value
      .filter((e) => shared.some((s) => s.address === e.dst))
      .map((e) => `${e.mac} dst ${e.dst}`);
    if (lines.length > 0)
      evidence.push(
        view.evidence(node.name, PROBE.fdb, lines, `${node.name} sends these VTEPs' traffic to one address`),
      );
  }
  const detail = shared.map((s) => `${s.address} is announced by ${s.nodes.join(', ')}`).join('; ');
  return [makeCheck(ref, title, 'fail', detail, evidence)];
}
