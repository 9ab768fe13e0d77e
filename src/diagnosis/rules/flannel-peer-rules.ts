import { catalogEntry } from '../catalog.js';
import { type CheckKey, checkKey, checkRef } from '../check-id.js';
import type { CheckIndex } from '../check-index.js';
import { peerGaps } from '../checks/peer-entry-checks.js';
import { sharedPublicIps } from '../checks/public-ip-checks.js';
import { parseCidr, parseIpv4 } from '../cidr.js';
import type { Evidence } from '../evidence.js';
import type { FactView } from '../fact-view.js';
import { kubeNodes } from '../kube-nodes.js';
import { peerForOverlayAddress } from '../overlay-peer.js';
import type { Remedy } from '../remedy.js';
import { flannelLogLines } from './flannel-log-lines.js';
import type { Rule } from './rule.js';

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const isAddress = (a: string | undefined): a is string => a !== undefined && parseIpv4(a) !== undefined;

/** The failed overlay pings (small and full-size) on the target whose address belongs to one of `nodes`, or any when undefined. */
function overlayFailures(view: FactView, checks: CheckIndex, nodes?: ReadonlySet<string>): CheckKey[] {
  const target = view.target.name;
  return [...checks.failedOfKind('overlay-ping', target), ...checks.failedOfKind('overlay-df-ping', target)]
    .filter((c) => {
      if (!nodes) return true;
      const owner = peerForOverlayAddress(view, c.peer);
      return owner !== undefined && nodes.has(owner);
    })
    .map(checkKey);
}

/**
 * This node lacks Flannel's route, FDB or neighbour entry for some peers (Flannel hit
 * `AddFDB failed: no buffer space available` or `failed to add vxlanRoute`): traffic to pods on
 * those peers has nowhere to go. Flannel re-adds them all when it restarts.
 */
export const peerRouteMissingRule: Rule = {
  id: 'peer-route-missing',
  evaluate(view, checks) {
    const target = view.target.name;
    const check = checks.get(checkRef('peer-overlay-entries', target));
    if (check?.status !== 'fail') return [];
    const gaps = peerGaps(view) ?? [];
    if (gaps.length === 0) return [];
    // The node's tables first, then Flannel's own error, then what should be there.
    const log = flannelLogLines(
      view,
      /AddFDB failed|failed to add vxlanRoute|AddARP failed|no buffer space/i,
    );
    const expected = check.evidence.at(-1);
    const evidence: Evidence[] = [
      ...check.evidence.slice(0, -1),
      ...(log ? [log] : []),
      ...(expected ? [expected] : []),
    ];
    const names = new Set(gaps.map((g) => g.peer.name));
    const valid = gaps.every(
      (g) =>
        parseCidr(g.peer.subnet) !== undefined &&
        isAddress(g.peer.overlayAddress) &&
        (g.peer.mac === undefined || MAC.test(g.peer.mac)) &&
        (g.peer.dst === undefined || isAddress(g.peer.dst)),
    );
    const remedy: Remedy | undefined = valid
      ? {
          kind: 'restart-flannel-peers',
          node: target,
          peers: gaps.map((g) => ({
            name: g.peer.name,
            subnet: g.peer.subnet,
            overlayAddress: g.peer.overlayAddress,
            mac: g.peer.mac,
            dst: g.peer.dst,
          })),
        }
      : undefined;
    return [
      {
        id: 'peer-route-missing',
        node: target,
        cause: `Flannel on ${target} lacks its overlay entries for ${[...names].join(', ')} (${check.detail}), so traffic from ${target} to pods there is lost while other peers work.`,
        evidence,
        confidence: 'high',
        explainsChecks: [checkKey(check), ...overlayFailures(view, checks, names)],
        explainsFindings: ['vxlan-8472-blocked'],
        fix: catalogEntry('peer-route-missing').fix,
        remedy,
      },
    ];
  },
};

/**
 * Several nodes announce the same public-ip (every Vagrant VM's NAT address 10.0.2.15): peers send
 * the VXLAN traffic of all of them to one address. Reported on the target when it is one of them,
 * else on the first of them; what wrong-iface-public-ip would say about one of them is folded in.
 */
export const publicIpDuplicateRule: Rule = {
  id: 'public-ip-duplicate',
  evaluate(view, checks) {
    const target = view.target.name;
    const check = checks.get(checkRef('public-ip-unique', target));
    if (check?.status !== 'fail') return [];
    const shared = sharedPublicIps(view) ?? [];
    if (shared.length === 0) return [];
    const involved = new Set(shared.flatMap((s) => s.nodes));
    const node = involved.has(target) ? target : shared[0]!.nodes[0]!;
    const inventory = new Map(view.facts.inventory.map((n) => [n.name, n.host]));
    const own = (name: string) =>
      kubeNodes(view).find((n) => n.name === name)?.internalIP ?? inventory.get(name) ?? '?';
    const local = checks.get(checkRef('vxlan-local', target));
    const explainsChecks = [
      checkKey(check),
      ...(involved.has(target) && local?.status === 'fail' ? [checkKey(local)] : []),
      ...overlayFailures(view, checks, involved.has(target) ? undefined : involved),
    ];
    const perNode = [...involved].map((n) => `${n} → ${own(n)}`).join(', ');
    return [
      {
        id: 'public-ip-duplicate',
        node,
        cause: `${shared.map((s) => `${s.nodes.join(' and ')} all announce public-ip ${s.address}`).join('; ')}, so peers send their overlay traffic to one address and it reaches at most one of them. Each needs its own address (${perNode}).`,
        evidence: check.evidence,
        confidence: 'high',
        explainsChecks,
        explainsFindings: ['wrong-iface-public-ip', 'vxlan-8472-blocked'],
        fix: catalogEntry('public-ip-duplicate').fix,
      },
    ];
  },
};
