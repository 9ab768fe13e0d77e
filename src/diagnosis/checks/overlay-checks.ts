import { PROBE } from '../../probes/probe-registry.js';
import { type Check, makeCheck } from '../check.js';
import { checkRef } from '../check-id.js';
import type { FactView, PeerProbeOutput } from '../fact-view.js';
import { kubeNodes } from '../kube-nodes.js';
import { peerForOverlayAddress } from '../overlay-peer.js';

/** Ping to a peer's flannel.1 through the overlay, small or full-size with don't-fragment. */
export function overlayPingCheck(
  view: FactView,
  probe: PeerProbeOutput<'overlay-ping' | 'overlay-df-ping'>,
): Check {
  const target = view.target.name;
  const address = probe.peer;
  const ping = view.parsedPeer(target, probe);
  const status = ping.status === 'unknown' ? 'unknown' : ping.value.replied ? 'pass' : 'fail';
  const detail = ping.status === 'unknown' ? ping.reason : ping.value.summary;
  const evidence = [view.evidence(target, probe.key)];
  const owner = peerForOverlayAddress(view, address);
  if (probe.kind === 'overlay-ping') {
    return makeCheck(
      checkRef('overlay-ping', target, address),
      `overlay ping ${owner ?? '?'}'s flannel.1 (${address}) from ${target}`,
      status,
      detail,
      evidence,
    );
  }
  const size = /-s '?(\d+)/.exec(probe.output.command)?.[1] ?? '?';
  return makeCheck(
    checkRef('overlay-df-ping', target, address),
    `full-size (${size} B, don't fragment) overlay ping to ${owner ?? address}`,
    status,
    detail,
    evidence,
  );
}

/** flannel.1 itself: bound to the node's address, an MTU that fits the uplink, the MAC peers know. */
export function vxlanDeviceChecks(view: FactView): Check[] {
  const checks: Check[] = [];
  const target = view.target.name;
  const targetHost = view.target.host;
  const link = view.parsed(target, PROBE.flannelLink);
  if (link.status !== 'ok' || !link.value.exists || !link.value.vxlan) return checks;
  const local = link.value.vxlan.local;
  checks.push(
    makeCheck(
      checkRef('vxlan-local', target),
      `flannel.1 uses ${target}'s own address (${targetHost})`,
      local === targetHost ? 'pass' : 'fail',
      `flannel.1 local ${local ?? 'unset'}`,
      [
        view.evidence(target, PROBE.flannelLink, [
          `vxlan id ${link.value.vxlan.id} local ${local} dstport ${link.value.vxlan.port} mtu ${link.value.mtu}`,
        ]),
      ],
    ),
  );
  const addrs = view.parsed(target, PROBE.addresses);
  if (addrs.status === 'ok' && link.value.mtu !== undefined) {
    const uplink = addrs.value.find((a) => a.address === targetHost);
    if (uplink?.mtu !== undefined) {
      const ok = link.value.mtu <= uplink.mtu - 50;
      checks.push(
        makeCheck(
          checkRef('overlay-mtu-config', target),
          `flannel.1 MTU fits the uplink on ${target}`,
          ok ? 'pass' : 'fail',
          `flannel.1 mtu ${link.value.mtu}, ${uplink.ifname} mtu ${uplink.mtu} (VXLAN needs 50 bytes)`,
          [
            view.evidence(target, PROBE.flannelLink, [`flannel.1 mtu ${link.value.mtu}`]),
            view.evidence(target, PROBE.addresses, [`${uplink.ifname} mtu ${uplink.mtu}`]),
          ],
        ),
      );
    }
  }
  const mine = link.value.mac?.toLowerCase();
  if (!mine) return checks;
  const annotated = kubeNodes(view).find((n) => n.name === target)?.vtepMac;
  const peersHolding: string[] = [];
  for (const node of Object.values(view.facts.nodes)) {
    if (node.name === target) continue;
    const fdb = view.parsed(node.name, PROBE.fdb);
    if (fdb.status !== 'ok') continue;
    for (const e of fdb.value)
      if (e.dst === targetHost && e.mac !== mine) peersHolding.push(`${node.name}: ${e.mac} dst ${e.dst}`);
  }
  const wrongAnnotation = annotated !== undefined && annotated !== mine;
  checks.push(
    makeCheck(
      checkRef('vtep-mac', target),
      `flannel.1 MAC of ${target} matches its VtepMAC and its peers' FDB`,
      wrongAnnotation || peersHolding.length > 0 ? 'fail' : 'pass',
      `flannel.1 ${mine}${annotated ? `; annotation VtepMAC ${annotated}` : ''}${peersHolding.length > 0 ? `; peers hold ${peersHolding.join(', ')}` : ''}`,
      [
        view.evidence(target, PROBE.flannelLink, [`flannel.1 link/ether ${mine}`]),
        ...(annotated
          ? [
              {
                node: target,
                command: 'kubectl get node (annotation flannel.alpha.coreos.com/backend-data)',
                lines: [`VtepMAC ${annotated}`],
              },
            ]
          : []),
        ...(peersHolding.length > 0
          ? [
              {
                node: target,
                command: 'bridge fdb show dev flannel.1 (on the peers)',
                lines: peersHolding,
              },
            ]
          : []),
      ],
    ),
  );
  return checks;
}
