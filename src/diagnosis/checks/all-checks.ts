import type { Check } from '../check.js';
import type { AnyPeerProbeOutput, FactView } from '../fact-view.js';
import { apiServerClientChecks, apiServerListeningChecks } from './apiserver-checks.js';
import { conntrackChecks } from './conntrack-checks.js';
import { forwardAndServiceChecks, iptablesBackendChecks, iptablesReadableChecks } from './firewall-checks.js';
import { flannelStateChecks, podCidrChecks } from './flannel-state-checks.js';
import {
  defaultRouteChecks,
  flannel1AddressChecks,
  networkManagerChecks,
  vxlanChecksumChecks,
} from './host-network-checks.js';
import { cni0AddressChecks, cniFirstConfigChecks, sysctlChecks } from './node-config-checks.js';
import { overlayPingCheck, vxlanDeviceChecks } from './overlay-checks.js';
import { peerOverlayEntryChecks } from './peer-entry-checks.js';
import { publicIpUniqueChecks } from './public-ip-checks.js';
import { sshChecks } from './ssh-checks.js';
import {
  controlPlanePingCheck,
  controlPlaneRouteCheck,
  underlayPingCheck,
  underlayTcpCheck,
} from './underlay-checks.js';

/**
 * Turns facts into pass/fail/unknown observations. A probe that could not run yields "unknown",
 * never "pass". The order is the order a report lists checks in, so it is kept stable.
 */
export function buildChecks(view: FactView): Check[] {
  const checks = sshChecks(view);
  if (!view.target.connection.ok) return checks;
  checks.push(
    controlPlanePingCheck(view),
    ...apiServerClientChecks(view),
    controlPlaneRouteCheck(view),
    ...flannelStateChecks(view),
    ...iptablesReadableChecks(view),
    ...apiServerListeningChecks(view),
    ...peerChecks(view),
    ...sysctlChecks(view),
    ...forwardAndServiceChecks(view),
    ...iptablesBackendChecks(view),
    ...cniFirstConfigChecks(view),
    ...cni0AddressChecks(view),
    ...vxlanDeviceChecks(view),
    ...podCidrChecks(view),
    ...defaultRouteChecks(view),
    ...flannel1AddressChecks(view),
    ...networkManagerChecks(view),
    ...vxlanChecksumChecks(view),
    ...peerOverlayEntryChecks(view),
    ...publicIpUniqueChecks(view),
    ...conntrackChecks(view),
  );
  return checks;
}

/** One check per per-peer probe recorded on the target, in the order the outputs came back. */
function peerChecks(view: FactView): Check[] {
  return view.peerProbes(view.target.name).map((probe) => peerCheck(view, probe));
}

/** The check a per-peer probe answers; a new per-peer probe kind fails the typecheck here until it has one. */
function peerCheck(view: FactView, probe: AnyPeerProbeOutput): Check {
  switch (probe.kind) {
    case 'ping-node':
      return underlayPingCheck(view, probe);
    case 'tcp-node':
      return underlayTcpCheck(view, probe);
    case 'overlay-ping':
    case 'overlay-df-ping':
      return overlayPingCheck(view, probe);
  }
}
