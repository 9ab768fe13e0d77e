import type { KubeNode } from '../kube/kube-facts.js';
import { parseTcpConnect } from '../probes/overlay-probes.js';
import { cidrContains, parseCidr, parseIpv4 } from './cidr.js';
import type { FactView } from './fact-view.js';
import { PROBE } from './facts.js';
import { type Check, type CheckStatus, makeCheck } from './node-report.js';

export const OVERLAY_CHECK = {
  underlayPing: 'underlay-ping',
  underlayTcp: 'underlay-tcp',
  iptablesBackends: 'iptables-backends',
  overlayPing: 'overlay-ping',
  overlayMtu: 'overlay-df-ping',
  ipForward: 'ip-forward',
  brNetfilter: 'br-netfilter',
  forwardPolicy: 'forward-policy',
  cniFirstConfig: 'cni-first-config',
  cni0Address: 'cni0-address',
  vxlanLocal: 'vxlan-local',
  overlayMtuConfig: 'overlay-mtu-config',
  vtepMac: 'vtep-mac',
  kubeProxyRules: 'kube-proxy-rules',
  podCidrAssigned: 'podcidr-assigned',
  netconfContainsSubnet: 'netconf-contains-subnet',
} as const;

/** The peer whose flannel.1 carries `overlayAddress` (its FLANNEL_SUBNET network address). */
export function peerForOverlayAddress(view: FactView, overlayAddress: string): string | undefined {
  const ip = parseIpv4(overlayAddress);
  if (ip === undefined) return undefined;
  for (const node of Object.values(view.facts.nodes)) {
    if (node.name === view.facts.target) continue;
    const env = view.parsed(node.name, PROBE.subnetEnv);
    const subnet = env.status === 'ok' && env.value.present ? env.value.values.FLANNEL_SUBNET : undefined;
    const net = subnet ? parseCidr(subnet) : undefined;
    if (net && cidrContains(net, ip)) return node.name;
  }
  const kube = kubeNodes(view);
  return kube.find((n) => {
    const net = n.podCIDR ? parseCidr(n.podCIDR) : undefined;
    return net ? cidrContains(net, ip) : false;
  })?.name;
}

export function kubeNodes(view: FactView): readonly KubeNode[] {
  const kube = view.facts.kube;
  if (kube.status === 'reachable') return kube.nodes;
  if (kube.status === 'unreachable') return kube.cached?.nodes ?? [];
  return [];
}

const check = makeCheck;

/** Overlay, kernel and Flannel-state checks on the target node (issue: the whole catalog). */
export function buildOverlayChecks(view: FactView): Check[] {
  const checks: Check[] = [];
  const target = view.target.name;
  const targetHost = view.target.host;

  for (const [key, output] of Object.entries(view.target.outputs)) {
    if (key.startsWith('tcp-node:')) {
      const peer = key.slice('tcp-node:'.length);
      const tcp = parseTcpConnect(output);
      checks.push(
        check(
          `${OVERLAY_CHECK.underlayTcp}:${peer}`,
          target,
          `TCP to ${peer} (kubelet port) from ${target}`,
          tcp.status === 'unknown' ? 'unknown' : tcp.value.connected || tcp.value.refused ? 'pass' : 'fail',
          tcp.status === 'unknown'
            ? tcp.reason
            : tcp.value.refused
              ? 'the path carries TCP (refused: nothing listens on the kubelet port)'
              : tcp.value.summary,
          [view.evidence(target, key)],
        ),
      );
      continue;
    }
    if (!/^(ping-node|overlay-ping|overlay-df-ping):/.test(key)) continue;
    const peer = key.split(':')[1] ?? '';
    const parsed = view.ping(target, key);
    if (!parsed) continue;
    const status: CheckStatus =
      parsed.status === 'unknown' ? 'unknown' : parsed.value.replied ? 'pass' : 'fail';
    const detail = parsed.status === 'unknown' ? parsed.reason : parsed.value.summary;
    const evidence = [view.evidence(target, key)];
    if (key.startsWith('ping-node:')) {
      checks.push(
        check(
          `${OVERLAY_CHECK.underlayPing}:${peer}`,
          target,
          `ping ${peer} (node network) from ${target}`,
          status,
          detail,
          evidence,
        ),
      );
    } else if (key.startsWith('overlay-ping:')) {
      const owner = peerForOverlayAddress(view, peer);
      checks.push(
        check(
          `${OVERLAY_CHECK.overlayPing}:${peer}`,
          target,
          `overlay ping ${owner ?? '?'}'s flannel.1 (${peer}) from ${target}`,
          status,
          detail,
          evidence,
        ),
      );
    } else if (key.startsWith('overlay-df-ping:')) {
      const owner = peerForOverlayAddress(view, peer);
      const size = /-s '?(\d+)/.exec(output.command)?.[1] ?? '?';
      checks.push(
        check(
          `${OVERLAY_CHECK.overlayMtu}:${peer}`,
          target,
          `full-size (${size} B, don't fragment) overlay ping to ${owner ?? peer}`,
          status,
          detail,
          evidence,
        ),
      );
    }
  }

  const sysctls = view.parsed(target, PROBE.sysctls);
  const sysEvidence = [view.evidence(target, PROBE.sysctls)];
  const sysValue = (k: string) => (sysctls.status === 'ok' ? sysctls.value[k] : undefined);
  checks.push(
    check(
      OVERLAY_CHECK.ipForward,
      target,
      `net.ipv4.ip_forward on ${target}`,
      sysctls.status === 'unknown' ? 'unknown' : sysValue('net.ipv4.ip_forward') === '1' ? 'pass' : 'fail',
      sysctls.status === 'unknown'
        ? sysctls.reason
        : `net.ipv4.ip_forward = ${sysValue('net.ipv4.ip_forward') ?? 'missing'}`,
      sysEvidence,
    ),
  );
  checks.push(
    check(
      OVERLAY_CHECK.brNetfilter,
      target,
      `bridge netfilter (br_netfilter) on ${target}`,
      sysctls.status === 'unknown'
        ? 'unknown'
        : sysValue('net.bridge.bridge-nf-call-iptables') === '1'
          ? 'pass'
          : 'fail',
      sysctls.status === 'unknown'
        ? sysctls.reason
        : `net.bridge.bridge-nf-call-iptables = ${sysValue('net.bridge.bridge-nf-call-iptables') ?? 'missing (br_netfilter not loaded)'}`,
      sysEvidence,
    ),
  );

  const ipt = view.parsed(target, PROBE.iptables);
  if (ipt.status === 'ok') {
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
      check(
        OVERLAY_CHECK.forwardPolicy,
        target,
        `FORWARD chain lets pod traffic through on ${target}`,
        policy !== 'DROP' || jump || acceptsPods ? 'pass' : 'fail',
        `policy ${policy}; ${jump ? 'FLANNEL-FWD jump present' : 'no FLANNEL-FWD jump'}`,
        [view.evidence(target, PROBE.iptables, [`:FORWARD ${policy}`, ...forwardRules])],
      ),
    );
    const nat = ipt.value.rules.filter((r) => r.table === 'nat');
    const ipvs = view.parsed(target, PROBE.addresses);
    const usesIpvs = ipvs.status === 'ok' && ipvs.value.some((a) => a.ifname === 'kube-ipvs0');
    if (!usesIpvs) {
      const apiService = nat.find((r) => r.destination === '10.96.0.1/32');
      checks.push(
        check(
          OVERLAY_CHECK.kubeProxyRules,
          target,
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
    }
  }

  const backends = view.parsed(target, PROBE.iptablesBackends);
  if (backends.status === 'ok' && Object.keys(backends.value).length > 1) {
    const used = Object.entries(backends.value).filter(([, n]) => n > 0);
    checks.push(
      check(
        OVERLAY_CHECK.iptablesBackends,
        target,
        `Kubernetes/Flannel rules live in one iptables backend on ${target}`,
        used.length > 1 ? 'fail' : 'pass',
        Object.entries(backends.value)
          .map(([b, n]) => `${b}: ${n} KUBE-/FLANNEL- rules`)
          .join('; '),
        [view.evidence(target, PROBE.iptablesBackends)],
      ),
    );
  }

  const cni = view.parsed(target, PROBE.cniConfig);
  if (cni.status === 'ok' && cni.value.files.length > 0) {
    const configs = cni.value.files.filter((f) => /\.(conf|conflist|json)$/.test(f));
    const first = configs[0];
    if (first) {
      checks.push(
        check(
          OVERLAY_CHECK.cniFirstConfig,
          target,
          `the CNI config the runtime uses on ${target} is Flannel's`,
          /flannel/i.test(first) ? 'pass' : 'fail',
          `first config in lexical order: ${first}`,
          [
            view.evidence(target, PROBE.cniConfig, [
              '(lexical order; the runtime uses the first)',
              ...configs,
            ]),
          ],
        ),
      );
    }
  }

  const env = view.parsed(target, PROBE.subnetEnv);
  const subnet = env.status === 'ok' && env.value.present ? env.value.values.FLANNEL_SUBNET : undefined;
  const network = env.status === 'ok' && env.value.present ? env.value.values.FLANNEL_NETWORK : undefined;
  const addrs = view.parsed(target, PROBE.addresses);
  if (subnet && addrs.status === 'ok') {
    const cni0 = addrs.value.filter((a) => a.ifname === 'cni0');
    if (cni0.length > 0) {
      const expected = subnet.split('/')[0];
      const ok = cni0.every((a) => a.address === expected);
      checks.push(
        check(
          OVERLAY_CHECK.cni0Address,
          target,
          `cni0 address matches FLANNEL_SUBNET on ${target}`,
          ok ? 'pass' : 'fail',
          `cni0 ${cni0.map((a) => `${a.address}/${a.prefixlen}`).join(', ')}; FLANNEL_SUBNET=${subnet}`,
          [
            view.evidence(
              target,
              PROBE.addresses,
              cni0.map((a) => `cni0 inet ${a.address}/${a.prefixlen}`),
            ),
            view.evidence(target, PROBE.subnetEnv),
          ],
        ),
      );
    }
  }

  const link = view.parsed(target, PROBE.flannelLink);
  if (link.status === 'ok' && link.value.exists && link.value.vxlan) {
    const local = link.value.vxlan.local;
    checks.push(
      check(
        OVERLAY_CHECK.vxlanLocal,
        target,
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
    if (addrs.status === 'ok' && link.value.mtu !== undefined) {
      const uplink = addrs.value.find((a) => a.address === targetHost);
      if (uplink?.mtu !== undefined) {
        const ok = link.value.mtu <= uplink.mtu - 50;
        checks.push(
          check(
            OVERLAY_CHECK.overlayMtuConfig,
            target,
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
    const annotated = kubeNodes(view).find((n) => n.name === target)?.vtepMac;
    const peersHolding: string[] = [];
    for (const node of Object.values(view.facts.nodes)) {
      if (node.name === target) continue;
      const fdb = view.parsed(node.name, PROBE.fdb);
      if (fdb.status !== 'ok') continue;
      for (const e of fdb.value)
        if (e.dst === targetHost && e.mac !== mine) peersHolding.push(`${node.name}: ${e.mac} dst ${e.dst}`);
    }
    if (mine) {
      const wrongAnnotation = annotated !== undefined && annotated !== mine;
      checks.push(
        check(
          OVERLAY_CHECK.vtepMac,
          target,
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
    }
  }

  const kube = view.facts.kube;
  const kubeNode = kubeNodes(view).find((n) => n.name === target);
  if (kubeNode) {
    checks.push(
      check(
        OVERLAY_CHECK.podCidrAssigned,
        target,
        `${target} has a podCIDR`,
        kubeNode.podCIDR ? 'pass' : 'fail',
        kubeNode.podCIDR ? `spec.podCIDR ${kubeNode.podCIDR}` : 'spec.podCIDR is empty',
        [
          {
            node: target,
            command: `kubectl get node ${target} -o jsonpath='{.spec.podCIDR}'${kube.status === 'unreachable' ? ' (last known, API unreachable)' : ''}`,
            lines: [kubeNode.podCIDR ?? '(empty)'],
          },
        ],
      ),
    );
  }
  const netconf = network ?? (kube.status === 'reachable' ? kube.netConfNetwork : undefined);
  const nodeNet = kubeNode?.podCIDR ?? subnet;
  if (netconf && nodeNet) {
    const net = parseCidr(netconf);
    const sub = parseCidr(nodeNet);
    const contained = !!net && !!sub && sub.prefix >= net.prefix && cidrContains(net, sub.base);
    checks.push(
      check(
        OVERLAY_CHECK.netconfContainsSubnet,
        target,
        `Flannel's network contains ${target}'s subnet`,
        contained ? 'pass' : 'fail',
        `Network ${netconf}; node subnet ${nodeNet}`,
        [view.evidence(target, PROBE.subnetEnv)],
      ),
    );
  }
  return checks;
}
