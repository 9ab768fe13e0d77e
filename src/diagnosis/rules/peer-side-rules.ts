import { PROBE } from '../../probes/probe-registry.js';
import type { Check } from '../check.js';
import { type CheckKind, checkKey, OVERLAY_CHECK_KINDS } from '../check-id.js';
import type { CheckIndex } from '../check-index.js';
import { cidrContains, formatCidr, parseCidr, parseIpv4 } from '../cidr.js';
import type { Evidence } from '../evidence.js';
import type { FactView } from '../fact-view.js';
import type { Finding } from '../finding.js';
import { kubeNodes } from '../kube-nodes.js';
import { peerForOverlayAddress } from '../overlay-peer.js';
import type { Rule } from './rule.js';

/** What a peer's own facts say breaks traffic to it, and which of the target's checks that stops. */
export interface PeerSideCause {
  readonly id:
    | 'flannel1-missing'
    | 'wrong-iface-public-ip'
    | 'podcidr-overlaps-host-net'
    | 'peer-route-missing';
  readonly cause: string;
  readonly evidence: Evidence[];
  /** What to do on the peer; never a plan from the target's report (the peer's own report has its plan). */
  readonly fix: string;
  /** The target's checks toward the peer this cause stops (overlay only, or everything). */
  readonly stops: ReadonlySet<CheckKind>;
}

const EVERYTHING: ReadonlySet<CheckKind> = new Set<CheckKind>([
  ...OVERLAY_CHECK_KINDS,
  'underlay-ping',
  'underlay-tcp',
  'ping-control-plane',
  'tcp-apiserver',
  'https-apiserver',
]);

/** An address from a node as text: itself when it is an IPv4 address, else quoted and cut short. */
const shown = <T extends string | undefined>(a: T): T =>
  (a === undefined || parseIpv4(a) !== undefined ? a : JSON.stringify(a.slice(0, 64))) as T;

const flannelNetworkOf = (view: FactView, node: string): string | undefined => {
  const env = view.parsed(node, PROBE.subnetEnv);
  return env.status === 'ok' && env.value.present ? env.value.values.FLANNEL_NETWORK : undefined;
};

/**
 * The cause on `peer` itself, from its own bundle, of the target's traffic to it failing: it has
 * no flannel.1; its flannel.1 (or its public-ip annotation) uses an address that is not the
 * node's; its Flannel network contains node addresses, so its routes capture host traffic; or it
 * lacks its forwarding entry for the target, so its overlay replies go nowhere. Each is the same
 * fault the target's own rule names, seen from the other end; where the target has the very same
 * fault, its own finding explains its failures and this says nothing.
 */
export function peerSideCause(view: FactView, peer: string): PeerSideCause | undefined {
  const target = view.target.name;
  if (peer === target) return undefined;
  const own = flannelFaultOf(view, target, target);
  const side = flannelFaultOf(view, peer, target);
  if (side) return own?.id !== side.id ? side : undefined;
  // Only where the target's own Flannel is sane: an entry pointing elsewhere is then the peer's.
  return own ? undefined : missingEntryFor(view, peer, target);
}

/**
 * `peer`'s VXLAN forwarding table has no entry for `target`'s address (Flannel there failed to add
 * it: `AddFDB failed`), so what `peer` sends back into the overlay to `target` has no destination.
 */
function missingEntryFor(view: FactView, peer: string, target: string): PeerSideCause | undefined {
  const host = view.node(target)?.host;
  const fdb = view.parsed(peer, PROBE.fdb);
  if (host === undefined || fdb.status !== 'ok' || fdb.value.some((e) => e.dst === host)) return undefined;
  return {
    id: 'peer-route-missing',
    cause: `Flannel on ${peer} has no forwarding entry for ${target} (${host}) on flannel.1, so ${peer}'s overlay replies to ${target} go nowhere.`,
    evidence: [
      view.evidence(
        peer,
        PROBE.fdb,
        [
          ...fdb.value.slice(0, 10).map((e) => `${e.mac} dst ${e.dst}`),
          ...(fdb.value.length > 10 ? [`… ${fdb.value.length - 10} more entries`] : []),
        ],
        `no entry with dst ${host} (${target})`,
      ),
    ],
    fix: `Restart Flannel on ${peer} so it re-adds its entries for ${target} (\`/netcheck ${peer}\` reports on it, with the plan there).`,
    stops: OVERLAY_CHECK_KINDS,
  };
}

/** `node`'s own Flannel fault among those a peer can see, worded for `target`'s report. */
function flannelFaultOf(view: FactView, node: string, target: string): PeerSideCause | undefined {
  const host = view.node(node)?.host;
  if (host === undefined) return undefined;
  const link = view.parsed(node, PROBE.flannelLink);
  if (link.status === 'ok' && !link.value.exists)
    return {
      id: 'flannel1-missing',
      cause: `${node} has no flannel.1 VXLAN device, so overlay traffic from ${target} to ${node} has nowhere to arrive.`,
      evidence: [view.evidence(node, PROBE.flannelLink, undefined, `${node} has no flannel.1`)],
      fix: `Restart the Flannel pod on ${node} so it recreates flannel.1 (\`/netcheck ${node}\` reports on it).`,
      stops: OVERLAY_CHECK_KINDS,
    };
  const local = link.status === 'ok' ? link.value.vxlan?.local : undefined;
  const badLocal = local !== undefined && local !== host ? local : undefined;
  const publicIp = kubeNodes(view).find((n) => n.name === node)?.publicIp;
  const badPublicIp = publicIp !== undefined && publicIp !== host ? publicIp : undefined;
  // Both come from the node or its annotation: shown as an address only when they are one.
  const wrong = shown(badLocal ?? badPublicIp);
  if (wrong !== undefined)
    return {
      id: 'wrong-iface-public-ip',
      cause: `Flannel on ${node} uses the address ${wrong} instead of the node address ${host}, so overlay traffic between ${target} and ${node} goes to the wrong place.`,
      evidence: [
        ...(badLocal
          ? [
              view.evidence(
                node,
                PROBE.flannelLink,
                [`flannel.1 local ${shown(badLocal)}`],
                `${node}'s flannel.1`,
              ),
            ]
          : []),
        ...(badPublicIp
          ? [
              {
                node,
                command: 'kubectl get nodes (annotation flannel.alpha.coreos.com/public-ip)',
                lines: [`${node}: public-ip ${shown(badPublicIp)}; inventory address ${host}`],
              },
            ]
          : []),
      ],
      fix: `Set Flannel's --iface (or --iface-can-reach) on ${node} to the node network and restart its Flannel pod (\`/netcheck ${node}\` reports on it).`,
      stops: OVERLAY_CHECK_KINDS,
    };
  const network = flannelNetworkOf(view, node);
  const net = network ? parseCidr(network) : undefined;
  const inside = net
    ? view.facts.inventory.filter((n) => {
        const ip = parseIpv4(n.host);
        return ip !== undefined && cidrContains(net, ip);
      })
    : [];
  if (!net || inside.length === 0) return undefined;
  // Shown as parsed: the file's text may carry more than the network.
  const shownNet = formatCidr(net);
  return {
    id: 'podcidr-overlaps-host-net',
    cause: `The Flannel network on ${node} (${shownNet}) overlaps the node network, so ${node} routes host traffic into the overlay and ${target} cannot reach it.`,
    evidence: [
      view.evidence(node, PROBE.subnetEnv, undefined, `the Flannel network on ${node}`),
      {
        node,
        command: 'overlap check (pod network vs node addresses)',
        lines: inside.map((n) => `pod network ${shownNet} contains ${n.name}'s address ${n.host}`),
      },
    ],
    fix: `${node} needs a Flannel network that does not overlap the node network: \`/netcheck ${node}\` reports on it, with the plan netcheck has for it there.`,
    stops: EVERYTHING,
  };
}

/** The peer a failed check of the target went to (undefined: not a check toward one node). */
export function peerOfCheck(view: FactView, c: Check): string | undefined {
  if (c.kind === 'overlay-ping' || c.kind === 'overlay-df-ping')
    return c.peer === undefined ? undefined : peerForOverlayAddress(view, c.peer);
  if (c.kind === 'underlay-ping' || c.kind === 'underlay-tcp') return c.peer;
  if (c.kind === 'ping-control-plane') return view.facts.controlPlane;
  if (c.kind === 'tcp-apiserver' || c.kind === 'https-apiserver')
    return view.facts.inventory.find((n) => n.name === view.facts.controlPlane)?.host ===
      view.facts.apiServer.host
      ? view.facts.controlPlane
      : undefined;
  return undefined;
}

/**
 * A fault on a peer that the target's own checks run into: one finding on the peer, explaining
 * the target's failed checks toward it. Only where some did fail: a peer's state that does not
 * touch the target is that peer's report's business. One rule per catalog id, beside the rule
 * that finds the same fault on the target.
 */
export function peerSideRule(id: PeerSideCause['id']): Rule {
  return {
    id,
    evaluate(view, checks: CheckIndex) {
      const target = view.target.name;
      const byPeer = new Map<string, Check[]>();
      for (const c of checks.all) {
        if (c.node !== target || c.status !== 'fail') continue;
        const peer = peerOfCheck(view, c);
        if (peer !== undefined && peer !== target) byPeer.set(peer, [...(byPeer.get(peer) ?? []), c]);
      }
      const findings: Finding[] = [];
      for (const [peer, toPeer] of byPeer) {
        const side = peerSideCause(view, peer);
        const stopped = side?.id === id ? toPeer.filter((c) => side.stops.has(c.kind)) : [];
        if (!side || stopped.length === 0) continue;
        findings.push({
          id,
          node: peer,
          cause: side.cause,
          evidence: [...side.evidence, ...stopped.flatMap((c) => c.evidence.slice(0, 1))],
          confidence: 'high',
          explainsChecks: stopped.map(checkKey),
          explainsFindings: [],
          fix: side.fix,
        });
      }
      return findings;
    },
  };
}
