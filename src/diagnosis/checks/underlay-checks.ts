import { PROBE } from '../../probes/probe-registry.js';
import { type Check, makeCheck } from '../check.js';
import { checkRef } from '../check-id.js';
import type { FactView, PeerProbeOutput } from '../fact-view.js';
import { OVERLAY_DEVICES } from '../overlay-devices.js';

/** The node network between the target, the control plane and its peers. */
export function controlPlanePingCheck(view: FactView): Check {
  const target = view.target.name;
  const cp = view.facts.controlPlane;
  const ping = view.parsed(target, PROBE.pingControlPlane);
  return makeCheck(
    checkRef('ping-control-plane', target),
    `ping ${cp} (${view.node(cp)?.host ?? '?'}) from ${target}`,
    ping.status === 'unknown' ? 'unknown' : ping.value.replied ? 'pass' : 'fail',
    ping.status === 'unknown' ? ping.reason : ping.value.summary,
    [view.evidence(target, PROBE.pingControlPlane)],
  );
}

/** Traffic for the control plane must leave through the node network, not an overlay device. */
export function controlPlaneRouteCheck(view: FactView): Check {
  const target = view.target.name;
  const route = view.parsed(target, PROBE.routeControlPlane);
  return makeCheck(
    checkRef('route-control-plane', target),
    `route from ${target} to ${view.facts.controlPlane}`,
    route.status === 'unknown'
      ? 'unknown'
      : route.value.reachable && !OVERLAY_DEVICES.has(route.value.dev ?? '')
        ? 'pass'
        : 'fail',
    route.status === 'unknown' ? route.reason : route.value.summary,
    [view.evidence(target, PROBE.routeControlPlane)],
  );
}

/** Ping to one peer over the node network. */
export function underlayPingCheck(view: FactView, probe: PeerProbeOutput<'ping-node'>): Check {
  const target = view.target.name;
  const ping = view.parsedPeer(target, probe);
  return makeCheck(
    checkRef('underlay-ping', target, probe.peer),
    `ping ${probe.peer} (node network) from ${target}`,
    ping.status === 'unknown' ? 'unknown' : ping.value.replied ? 'pass' : 'fail',
    ping.status === 'unknown' ? ping.reason : ping.value.summary,
    [view.evidence(target, probe.key)],
  );
}

/** TCP to one peer's kubelet port: connected or refused both prove the path carries TCP. */
export function underlayTcpCheck(view: FactView, probe: PeerProbeOutput<'tcp-node'>): Check {
  const target = view.target.name;
  const tcp = view.parsedPeer(target, probe);
  return makeCheck(
    checkRef('underlay-tcp', target, probe.peer),
    `TCP to ${probe.peer} (kubelet port) from ${target}`,
    tcp.status === 'unknown' ? 'unknown' : tcp.value.connected || tcp.value.refused ? 'pass' : 'fail',
    tcp.status === 'unknown'
      ? tcp.reason
      : tcp.value.refused
        ? 'the path carries TCP (refused: nothing listens on the kubelet port)'
        : tcp.value.summary,
    [view.evidence(target, probe.key)],
  );
}
