import { PROBE } from '../../probes/probe-registry.js';
import { catalogEntry } from '../catalog.js';
import { checkKey, checkRef } from '../check-id.js';
import type { Evidence } from '../evidence.js';
import type { FactView } from '../fact-view.js';
import { flannelLogLines } from './flannel-log-lines.js';
import type { Rule } from './rule.js';

/** The node has no podCIDR: Flannel cannot get a lease, so it never writes subnet.env or creates flannel.1. */
export const podcidrNotAssignedRule: Rule = {
  id: 'podcidr-not-assigned',
  evaluate(view, checks) {
    const target = view.target.name;
    const assigned = checkRef('podcidr-assigned', target);
    const subnetEnv = checkRef('subnet-env', target);
    const check = checks.get(assigned);
    const log = flannelLogLines(view, /pod cidr not assigned/i);
    // A log line alone may be history: it counts only while Flannel is still down (no subnet.env).
    const flannelDown = checks.failed(subnetEnv);
    if (check?.status !== 'fail' && !(log && flannelDown)) return [];
    const evidence: Evidence[] = [...(check?.status === 'fail' ? check.evidence : []), ...(log ? [log] : [])];
    return [
      {
        id: 'podcidr-not-assigned',
        node: target,
        cause: `${target} has no podCIDR, so Flannel cannot acquire a lease there (the cluster was probably initialised without --pod-network-cidr).`,
        evidence,
        confidence: 'high',
        explainsChecks: [assigned.key, subnetEnv.key, checkRef('flannel-link', target).key],
        explainsFindings: ['subnet-env-missing', 'flannel1-missing'],
        fix: catalogEntry('podcidr-not-assigned').fix,
        remedy: clusterWithoutPodCidrs(view)
          ? {
              kind: 'reinit-control-plane',
              node: view.facts.controlPlane,
              podNetworkCidr: view.facts.podNetworkCidr,
            }
          : undefined,
      },
    ];
  },
};

/**
 * kubeadm init without --pod-network-cidr leaves every node without a podCIDR: only then is a
 * re-init the fix. One node without one (range used up, CIDRNotAvailable) needs a human instead.
 */
function clusterWithoutPodCidrs(view: FactView): boolean {
  const nodes = view.facts.kube.status === 'reachable' ? view.facts.kube.nodes : [];
  return nodes.length > 0 && nodes.every((n) => !n.podCIDR);
}

/** Flannel's configured Network does not contain the node's podCIDR (or is not the network the cluster is meant to have). */
export const podcidrNetconfMismatchRule: Rule = {
  id: 'podcidr-netconf-mismatch',
  evaluate(view, checks) {
    const target = view.target.name;
    const check = checks.get(checkRef('netconf-contains-subnet', target));
    const log = flannelLogLines(view, /doesn't contain|does not contain/i);
    const env = view.parsed(target, PROBE.subnetEnv);
    const network = env.status === 'ok' && env.value.present ? env.value.values.FLANNEL_NETWORK : undefined;
    const unexpected = network !== undefined && network !== view.facts.podNetworkCidr;
    const logCounts = !!log && (unexpected || checks.failed(checkRef('subnet-env', target)));
    if (check?.status !== 'fail' && !logCounts && !unexpected) return [];
    const evidence: Evidence[] = [
      ...(check?.status === 'fail' ? check.evidence : [view.evidence(target, PROBE.subnetEnv)]),
      ...(log ? [log] : []),
    ];
    if (unexpected) {
      evidence.push({
        node: target,
        command: 'inventory cluster.podNetworkCidr',
        lines: [`expected ${view.facts.podNetworkCidr}, Flannel uses ${network}`],
      });
    }
    return [
      {
        id: 'podcidr-netconf-mismatch',
        node: target,
        cause:
          check?.status === 'fail' || logCounts
            ? `Flannel's network on ${target} does not contain the node's pod subnet (${check?.detail ?? 'see the Flannel log'}), so Flannel refuses to start or routes pods wrongly.`
            : `Flannel on ${target} uses the network ${network}, not the cluster's pod network ${view.facts.podNetworkCidr}.`,
        evidence,
        confidence: check?.status === 'fail' || logCounts ? 'high' : 'medium',
        explainsChecks: check?.status === 'fail' ? [checkKey(check)] : [],
        explainsFindings: [],
        fix: catalogEntry('podcidr-netconf-mismatch').fix,
      },
    ];
  },
};
