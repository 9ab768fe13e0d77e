import { PROBE } from '../../probes/probe-registry.js';
import { type Check, makeCheck } from '../check.js';
import { checkRef } from '../check-id.js';
import type { Evidence } from '../evidence.js';
import { type ExpectedPeer, expectedPeers } from '../expected-peers.js';
import type { FactView } from '../fact-view.js';
import { kubeNodes } from '../kube-nodes.js';

/** What the target lacks for one expected peer. */
export interface PeerGap {
  readonly peer: ExpectedPeer;
  readonly route: boolean;
  readonly fdb: boolean;
  readonly neigh: boolean;
}

/**
 * For every expected peer, whether the target holds the three entries Flannel's VXLAN backend adds:
 * `<subnet> via <subnet .0> dev flannel.1 onlink`, an FDB entry for the peer's VTEP (by its MAC, or
 * else by its address: a wrong address is another fault's evidence, not a missing entry) and a
 * neighbour entry for its overlay address. Undefined when the target's tables cannot be read.
 */
export function peerGaps(view: FactView): PeerGap[] | undefined {
  const target = view.target.name;
  const routes = view.parsed(target, PROBE.routes);
  const fdb = view.parsed(target, PROBE.fdb);
  const neigh = view.parsed(target, PROBE.neigh);
  if (routes.status !== 'ok' || fdb.status !== 'ok' || neigh.status !== 'ok') return undefined;
  return expectedPeers(view)
    .map((peer) => ({
      peer,
      route: !routes.value.some((r) => r.dev === 'flannel.1' && r.dst === peer.subnet),
      fdb: !fdb.value.some(
        (e) => (peer.mac ? e.mac === peer.mac : false) || (peer.dst !== undefined && e.dst === peer.dst),
      ),
      neigh: !neigh.value.some((e) => e.dst === peer.overlayAddress),
    }))
    .filter((g) => g.route || g.fdb || g.neigh);
}

export const gapText = (g: PeerGap): string =>
  `${g.peer.name} (${g.peer.subnet}): no ${[g.route ? 'route' : '', g.fdb ? 'FDB entry' : '', g.neigh ? 'neighbour entry' : ''].filter(Boolean).join(', ')}`;

/** The target's overlay entries for every peer; made only where flannel.1 and subnet.env exist (else flannel1-missing and the others say more). */
export function peerOverlayEntryChecks(view: FactView): Check[] {
  const target = view.target.name;
  const link = view.parsed(target, PROBE.flannelLink);
  if (link.status !== 'ok' || !link.value.exists) return [];
  // Flannel adds peers' entries only once it has registered (written subnet.env): before that the
  // missing entries are the consequence of what stopped it (podcidr-not-assigned, subnet-env-missing…).
  const env = view.parsed(target, PROBE.subnetEnv);
  if (env.status !== 'ok' || !env.value.present) return [];
  const listed = kubeNodes(view);
  if (listed.length > 0 && !listed.find((n) => n.name === target)?.podCIDR) return [];
  const peers = expectedPeers(view);
  if (peers.length === 0) return [];
  const ref = checkRef('peer-overlay-entries', target);
  const title = `${target} holds Flannel's route, FDB and neighbour entry for each peer`;
  const gaps = peerGaps(view);
  if (!gaps) {
    const why = [PROBE.routes, PROBE.fdb, PROBE.neigh]
      .map((k) => view.parsed(target, k))
      .flatMap((p) => (p.status === 'unknown' ? [p.reason] : []));
    return [makeCheck(ref, title, 'unknown', why.join('; '), [])];
  }
  const source = peers[0]!.source === 'api' ? 'the API node list' : "the peers' subnet.env";
  if (gaps.length === 0)
    return [makeCheck(ref, title, 'pass', `entries for ${peers.length} peer(s) from ${source}`, [])];
  const evidence: Evidence[] = [
    view.evidence(
      target,
      PROBE.routes,
      gaps
        .filter((g) => g.route)
        .map((g) => `no ${g.peer.subnet} via ${g.peer.overlayAddress} dev flannel.1 onlink`),
    ),
    view.evidence(
      target,
      PROBE.fdb,
      gaps
        .filter((g) => g.fdb)
        .map((g) => `no entry for ${g.peer.mac ?? '?'} dst ${g.peer.dst ?? '?'} (${g.peer.name})`),
    ),
    view.evidence(
      target,
      PROBE.neigh,
      gaps
        .filter((g) => g.neigh)
        .map((g) => `no ${g.peer.overlayAddress} lladdr ${g.peer.mac ?? '?'} (${g.peer.name})`),
    ),
  ].filter((e) => e.lines.length > 0);
  const expected =
    listed.length > 0
      ? 'kubectl get nodes (podCIDR, VtepMAC, public-ip)'
      : 'cat /run/flannel/subnet.env (on the peers)';
  evidence.push({
    node: target,
    command: expected,
    lines: gaps.map(
      (g) => `${g.peer.name}: ${g.peer.subnet} VtepMAC ${g.peer.mac ?? '?'} public-ip ${g.peer.dst ?? '?'}`,
    ),
    note: 'what Flannel should have added',
  });
  return [makeCheck(ref, title, 'fail', gaps.map(gapText).join('; '), evidence)];
}
