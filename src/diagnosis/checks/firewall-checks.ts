import { PROBE } from '../../probes/probe-registry.js';
import { type Check, makeCheck } from '../check.js';
import { checkRef } from '../check-id.js';
import { parseCidr } from '../cidr.js';
import type { FactView } from '../fact-view.js';

/** The rules of the target and the control plane could be read: every filter rule check depends on it. */
export function iptablesReadableChecks(view: FactView): Check[] {
  const checks: Check[] = [];
  for (const node of new Set([view.target.name, view.facts.controlPlane])) {
    const facts = view.node(node);
    if (!facts?.connection.ok) continue;
    const ipt = view.parsed(node, PROBE.iptables);
    checks.push(
      makeCheck(
        checkRef('iptables-readable', node),
        `iptables rules of ${node}`,
        ipt.status === 'unknown' ? 'unknown' : 'pass',
        ipt.status === 'unknown' ? ipt.reason : `${ipt.value.rules.length} rules`,
        [],
      ),
    );
  }
  return checks;
}

/** FORWARD lets pod traffic through, and kube-proxy has a rule for the API ClusterIP (iptables mode). */
export function forwardAndServiceChecks(view: FactView): Check[] {
  const checks: Check[] = [];
  const target = view.target.name;
  const ipt = view.parsed(target, PROBE.iptables);
  if (ipt.status !== 'ok') return checks;
  const policy = ipt.value.policies.filter?.FORWARD ?? 'ACCEPT';
  const jump = ipt.value.rules.some(
    (r) => r.table === 'filter' && r.chain === 'FORWARD' && r.target === 'FLANNEL-FWD',
  );
  const podNet = parseCidr(view.facts.podNetworkCidr);
  const acceptsPods = ipt.value.rules.some((r) => {
    if (r.table !== 'filter' || r.chain !== 'FORWARD' || r.target !== 'ACCEPT') return false;
    const s = r.source ? parseCidr(r.source) : undefined;
    const d = r.destination ? parseCidr(r.destination) : undefined;
    return (
      !!podNet &&
      ((s?.base === podNet.base && s.prefix <= podNet.prefix) ||
        (d?.base === podNet.base && d.prefix <= podNet.prefix))
    );
  });
  const forwardRules = ipt.value.rules
    .filter((r) => r.table === 'filter' && (r.chain === 'FORWARD' || r.chain === 'FLANNEL-FWD'))
    .map((r) => r.line);
  checks.push(
    makeCheck(
      checkRef('forward-policy', target),
      `FORWARD chain lets pod traffic through on ${target}`,
      policy !== 'DROP' || jump || acceptsPods ? 'pass' : 'fail',
      `policy ${policy}; ${jump ? 'FLANNEL-FWD jump present' : 'no FLANNEL-FWD jump'}`,
      [view.evidence(target, PROBE.iptables, [`:FORWARD ${policy}`, ...forwardRules])],
    ),
  );
  const nat = ipt.value.rules.filter((r) => r.table === 'nat');
  const ipvs = view.parsed(target, PROBE.addresses);
  // kube-proxy in IPVS mode keeps service addresses on kube-ipvs0, not in the nat table.
  const usesIpvs = ipvs.status === 'ok' && ipvs.value.some((a) => a.ifname === 'kube-ipvs0');
  if (usesIpvs) return checks;
  const apiService = nat.find((r) => r.destination === '10.96.0.1/32');
  checks.push(
    makeCheck(
      checkRef('kube-proxy-rules', target),
      `kube-proxy service rule for the API ClusterIP on ${target}`,
      apiService ? 'pass' : 'fail',
      apiService ? apiService.line : 'no -d 10.96.0.1/32 rule in the nat table',
      [
        view.evidence(
          target,
          PROBE.iptables,
          apiService
            ? [apiService.line]
            : nat
                .filter((r) => r.chain.startsWith('KUBE-'))
                .map((r) => r.line)
                .slice(0, 8)
                .concat(['(no -d 10.96.0.1/32 rule)']),
        ),
      ],
    ),
  );
  return checks;
}

/** A rule Kubernetes or Flannel wrote: its chain is one of theirs (`-A KUBE-…`, `-A FLANNEL-…`). */
const KUBE_OR_FLANNEL_CHAIN = /^(KUBE|FLANNEL)-/;

/**
 * Kubernetes/Flannel rules live in one iptables backend (only checked where both backends' tools
 * exist): counted in the two dumps the firewall model reads anyway, so no backend is read twice.
 */
export function iptablesBackendChecks(view: FactView): Check[] {
  const target = view.target.name;
  const dumps = [
    ['legacy', PROBE.iptablesLegacySave],
    ['nft', PROBE.iptablesNftSave],
  ] as const;
  const counts: [string, number][] = [];
  for (const [backend, probe] of dumps) {
    const parsed = view.parsed(target, probe);
    if (parsed.status !== 'ok' || !parsed.value.present) return [];
    counts.push([backend, parsed.value.dump.rules.filter((r) => KUBE_OR_FLANNEL_CHAIN.test(r.chain)).length]);
  }
  const used = counts.filter(([, n]) => n > 0);
  return [
    makeCheck(
      checkRef('iptables-backends', target),
      `Kubernetes/Flannel rules live in one iptables backend on ${target}`,
      used.length > 1 ? 'fail' : 'pass',
      counts.map(([b, n]) => `${b}: ${n} KUBE-/FLANNEL- rules`).join('; '),
      dumps.map(([, probe]) => view.evidence(target, probe)),
    ),
  ];
}
