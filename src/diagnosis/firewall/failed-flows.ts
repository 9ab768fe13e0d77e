import type { Check } from '../check.js';
import { type CheckKey, checkKey } from '../check-id.js';
import type { CheckIndex } from '../check-index.js';
import type { FactView } from '../fact-view.js';
import { peerForOverlayAddress } from '../overlay-peer.js';
import { hitId } from './firewall-hit-text.js';
import {
  type End,
  type FirewallHit,
  flowDrops,
  type Leg,
  overlayAddressOf,
  pingLegs,
  tcpLegs,
  vxlanLegs,
} from './flow-drops.js';

export const VXLAN_PORT = 8472;
const KUBELET_PORT = 10250;

/** A failed check and the packets it sent: what a firewall on either end could have dropped. */
export interface FailedFlow {
  readonly check: Check;
  readonly proto: 'icmp' | 'tcp' | 'udp';
  readonly legs: readonly Leg[];
}

export const nodeEnd = (view: FactView, node: string): End | undefined => {
  const host = view.node(node)?.host ?? view.facts.inventory.find((n) => n.name === node)?.host;
  return host ? { node, address: host } : undefined;
};

/** The API server's end: the control-plane node when it is the endpoint, else an address only. */
export function apiEnd(view: FactView): End {
  const api = view.facts.apiServer;
  const cp = view.facts.controlPlane;
  return { node: view.node(cp)?.host === api.host ? cp : undefined, address: api.host };
}

/**
 * The two ends of a flow from `me` to `to`. Traffic to a node's own address (the control plane
 * asking itself) never leaves the node, but it still passes its firewall: out through the output
 * hooks and back in through the input ones, on `lo` (a rule with `-i lo -j ACCEPT` lets it by; a
 * drop without an interface stops it), so both ends are the same node, on loopback.
 */
function ends(me: End, to: End): [End, End] {
  return to.node !== undefined && to.node === me.node
    ? [
        { ...me, device: 'lo' },
        { ...to, device: 'lo' },
      ]
    : [me, to];
}

/**
 * Every failed check on the target whose traffic netcheck knows, with that traffic as legs on the
 * nodes at either end (the same node twice for traffic to its own address). An overlay ping is
 * two flows: the ICMP inside the tunnel and the VXLAN packets that carry it.
 */
export function failedFlows(view: FactView, checks: CheckIndex): FailedFlow[] {
  const target = view.target.name;
  const me = nodeEnd(view, target);
  if (!me) return [];
  const flows: FailedFlow[] = [];
  for (const c of checks.all) {
    if (c.status !== 'fail' || c.node !== target) continue;
    if (c.kind === 'ping-control-plane') {
      const cp = nodeEnd(view, view.facts.controlPlane);
      if (cp) flows.push({ check: c, proto: 'icmp', legs: pingLegs(...ends(me, cp)) });
    } else if (c.kind === 'tcp-apiserver' || c.kind === 'https-apiserver') {
      const api = apiEnd(view);
      flows.push({ check: c, proto: 'tcp', legs: tcpLegs(...ends(me, api), view.facts.apiServer.port) });
    } else if (c.peer && (c.kind === 'underlay-ping' || c.kind === 'underlay-tcp')) {
      const peer = nodeEnd(view, c.peer);
      if (!peer) continue;
      flows.push(
        c.kind === 'underlay-ping'
          ? { check: c, proto: 'icmp', legs: pingLegs(me, peer) }
          : { check: c, proto: 'tcp', legs: tcpLegs(me, peer, KUBELET_PORT) },
      );
    } else if (c.peer && (c.kind === 'overlay-ping' || c.kind === 'overlay-df-ping')) {
      const owner = peerForOverlayAddress(view, c.peer);
      const peer = owner ? nodeEnd(view, owner) : undefined;
      const mine = overlayAddressOf(view, target);
      if (!peer || !owner) continue;
      if (mine)
        flows.push({
          check: c,
          proto: 'icmp',
          legs: pingLegs(
            { ...me, address: mine, device: 'flannel.1' },
            { node: owner, address: c.peer, device: 'flannel.1' },
          ),
        });
      flows.push({ check: c, proto: 'udp', legs: vxlanLegs(me, peer, VXLAN_PORT) });
    }
  }
  return flows;
}

/** The flows one of these rules may drop (part of its match could not be evaluated). */
export function flowsMayDrop(
  view: FactView,
  flows: readonly FailedFlow[],
  hits: readonly FirewallHit[],
): FailedFlow[] {
  const ids = new Set(hits.map(hitId));
  return flows.filter((f) => flowDrops(view, f.legs).may.some((h) => ids.has(hitId(h))));
}

/** The failed checks whose traffic is certainly dropped by one of these rules (or policies). */
export function checksDroppedBy(
  view: FactView,
  flows: readonly FailedFlow[],
  hits: readonly FirewallHit[],
): CheckKey[] {
  const ids = new Set(hits.map(hitId));
  return flows
    .filter((f) => flowDrops(view, f.legs).drops.some((d) => ids.has(hitId(d))))
    .map((f) => checkKey(f.check));
}
