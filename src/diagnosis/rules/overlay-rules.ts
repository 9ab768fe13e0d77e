import { PROBE } from '../../probes/probe-registry.js';
import { catalogEntry } from '../catalog.js';
import { checkKey, checkRef } from '../check-id.js';
import type { Evidence } from '../evidence.js';
import type { Finding } from '../finding.js';
import { kubeNodes } from '../kube-nodes.js';
import { peerForOverlayAddress } from '../overlay-peer.js';
import { flannelLogLines } from './flannel-log-lines.js';
import type { Rule } from './rule.js';

/** flannel.1's MTU does not fit the uplink, or full-size don't-fragment overlay pings fail while small ones pass. */
export const mtuMismatchRule: Rule = {
  id: 'mtu-mismatch',
  evaluate(view, checks) {
    const target = view.target.name;
    const config = checks.get(checkRef('overlay-mtu-config', target));
    const dfFailures = checks
      .failedOfKind('overlay-df-ping', target)
      .filter((c) => checks.passed(checkRef('overlay-ping', target, c.peer)));
    if (config?.status !== 'fail' && dfFailures.length === 0) return [];
    // Full-size packets lost to one peer only, while the target's own MTU fits its uplink and its
    // other peers take them: the path to that peer carries smaller frames (its switch port, a
    // tunnel on the way). The finding is that peer's; with more peers it stays the target's.
    const dfPeers = checks.all.filter((c) => c.node === target && c.kind === 'overlay-df-ping').length;
    const lossy = [...new Set(dfFailures.map((c) => peerForOverlayAddress(view, c.peer!) ?? c.peer!))];
    // Only a node the inventory knows can hold a finding (an address no node's subnet has stays the
    // target's), whether or not it was probed: the path's MTU is not in that node's facts anyway.
    const onePeer =
      config?.status !== 'fail' &&
      lossy.length === 1 &&
      dfPeers > 1 &&
      view.facts.inventory.some((n) => n.name === lossy[0])
        ? lossy[0]
        : undefined;
    return [
      {
        id: 'mtu-mismatch',
        node: onePeer ?? target,
        cause: onePeer
          ? `Full-size overlay packets between ${target} and ${onePeer} are dropped while small ones pass, and ${target}'s other peers take them: the path to ${onePeer} carries smaller frames than the overlay needs (flannel.1's MTU plus 50 bytes of VXLAN).`
          : `The overlay MTU on ${target} is too large for the node network${config?.status === 'fail' ? ` (${config.detail})` : ''}${lossy.length > 0 && lossy.length < dfPeers ? ` on the way to ${lossy.join(', ')}` : ''}: small packets pass, full-size ones (TLS handshakes, image pulls) are dropped.`,
        evidence: [
          ...(config?.status === 'fail' ? config.evidence : []),
          ...dfFailures.flatMap((c) => c.evidence),
        ],
        confidence: 'high',
        explainsChecks: [
          ...(config?.status === 'fail' ? [checkKey(config)] : []),
          ...dfFailures.map(checkKey),
        ],
        explainsFindings: [],
        fix: catalogEntry('mtu-mismatch').fix,
      },
    ];
  },
};

/** flannel.1 is bound to an address that is not the node's, or nodes share one public-ip annotation. */
export const wrongIfacePublicIpRule: Rule = {
  id: 'wrong-iface-public-ip',
  evaluate(view, checks) {
    const target = view.target.name;
    const local = checks.get(checkRef('vxlan-local', target));
    const nodes = kubeNodes(view);
    const mine = nodes.find((n) => n.name === target);
    const wrongAnnotation = mine?.publicIp !== undefined && mine.publicIp !== view.target.host;
    const sharing = mine?.publicIp
      ? nodes.filter((n) => n.name !== target && n.publicIp === mine.publicIp).map((n) => n.name)
      : [];
    if (local?.status !== 'fail' && !wrongAnnotation && sharing.length === 0) return [];
    const evidence: Evidence[] = [...(local?.status === 'fail' ? local.evidence : [])];
    if (mine?.publicIp) {
      evidence.push({
        node: target,
        command: 'kubectl get nodes (annotation flannel.alpha.coreos.com/public-ip)',
        lines: nodes.map(
          (n) => `${n.name}: public-ip ${n.publicIp ?? '(none)'}; InternalIP ${n.internalIP ?? '?'}`,
        ),
      });
    }
    const logLines = flannelLogLines(view, /Using interface with name|Determining IP address/i);
    if (logLines) evidence.push(logLines);
    return [
      {
        id: 'wrong-iface-public-ip',
        node: target,
        cause: `Flannel on ${target} uses ${local?.status === 'fail' ? local.detail.replace('flannel.1 local ', 'the address ') : `public-ip ${mine?.publicIp}`} instead of the node address ${view.target.host}, so peers send its overlay traffic to the wrong place.`,
        evidence,
        confidence: 'high',
        explainsChecks: [
          ...(local?.status === 'fail' ? [checkKey(local)] : []),
          ...checks.failedOfKind('overlay-ping', target).map(checkKey),
          ...checks.failedOfKind('overlay-df-ping', target).map(checkKey),
        ],
        explainsFindings: ['vxlan-8472-blocked'],
        fix: catalogEntry('wrong-iface-public-ip').fix,
      },
    ];
  },
};

/** A node's flannel.1 MAC is not what its annotation and its peers' FDB say: overlay frames go to a MAC that no longer exists. */
export const vtepMacMismatchRule: Rule = {
  id: 'vtep-mac-mismatch',
  evaluate(view, checks) {
    const target = view.target.name;
    const findings: Finding[] = [];
    const own = checks.get(checkRef('vtep-mac', target));
    if (own?.status === 'fail') {
      findings.push({
        id: 'vtep-mac-mismatch',
        node: target,
        cause: `flannel.1 on ${target} has a different MAC than the VtepMAC its peers know (${own.detail}), so overlay traffic to ${target} is lost.`,
        evidence: own.evidence,
        confidence: 'high',
        // Every peer sends its replies to the old MAC: all of the target's overlay pings fail. A MAC
        // change flushes flannel.1's neighbour entries too: the missing ones are this fault's.
        explainsChecks: [
          checkKey(own),
          ...checks.failedOfKind('overlay-ping', target).map(checkKey),
          ...checks.failedOfKind('overlay-df-ping', target).map(checkKey),
          ...(checks.failed(checkRef('peer-overlay-entries', target))
            ? [checkRef('peer-overlay-entries', target).key]
            : []),
        ],
        explainsFindings: ['vxlan-8472-blocked', 'peer-route-missing'],
        fix: catalogEntry('vtep-mac-mismatch').fix,
      });
    }
    // Seen from the target: a peer whose MAC changed while the target's FDB still holds the old one.
    const fdb = view.parsed(target, PROBE.fdb);
    if (fdb.status !== 'ok') return findings;
    for (const node of Object.values(view.facts.nodes)) {
      if (node.name === target) continue;
      const link = view.parsed(node.name, PROBE.flannelLink);
      if (link.status !== 'ok' || !link.value.exists || !link.value.mac) continue;
      const actual = link.value.mac.toLowerCase();
      const stale = fdb.value.filter((e) => e.dst === node.host && e.mac !== actual);
      if (stale.length === 0) continue;
      const env = view.parsed(node.name, PROBE.subnetEnv);
      const subnet = env.status === 'ok' && env.value.present ? env.value.values.FLANNEL_SUBNET : undefined;
      const overlayAddress = subnet ? subnet.replace(/\.\d+\/\d+$/, '.0') : undefined;
      findings.push({
        id: 'vtep-mac-mismatch',
        node: node.name,
        cause: `flannel.1 on ${node.name} now has MAC ${actual}, but ${target}'s forwarding table still sends to ${stale[0]?.mac}, so overlay traffic from ${target} to ${node.name} is lost.`,
        evidence: [
          view.evidence(
            target,
            PROBE.fdb,
            stale.map((e) => `${e.mac} dst ${e.dst}`),
            `${target} still points ${node.name} at the old MAC`,
          ),
          view.evidence(
            node.name,
            PROBE.flannelLink,
            [`flannel.1 link/ether ${actual}`],
            `the MAC ${node.name} really has`,
          ),
        ],
        confidence: 'high',
        explainsChecks: overlayAddress
          ? [
              checkRef('overlay-ping', target, overlayAddress).key,
              checkRef('overlay-df-ping', target, overlayAddress).key,
            ]
          : [],
        explainsFindings: ['vxlan-8472-blocked'],
        fix: catalogEntry('vtep-mac-mismatch').fix,
      });
    }
    return findings;
  },
};
