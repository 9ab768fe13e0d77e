import type { LabNodeSpec } from './lab-topology.js';
import { LAB_POD_NETWORK } from './lab-topology.js';

/** What Flannel writes on a healthy node, in the shapes Flannel itself uses. */
export function subnetEnv(node: LabNodeSpec, network = LAB_POD_NETWORK): string {
  return `FLANNEL_NETWORK=${network}\nFLANNEL_SUBNET=${node.cni0Address}/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n`;
}

export const FLANNEL_CONFLIST = `${JSON.stringify(
  {
    name: 'cbr0',
    cniVersion: '0.3.1',
    plugins: [
      { type: 'flannel', delegate: { hairpinMode: true, isDefaultGateway: true } },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  },
  null,
  2,
)}\n`;

export const CALICO_CONFLIST = `${JSON.stringify(
  {
    name: 'k8s-pod-network',
    cniVersion: '0.3.1',
    plugins: [{ type: 'calico', ipam: { type: 'calico-ipam' } }],
  },
  null,
  2,
)}\n`;

export function flannelLogDir(node: LabNodeSpec): string {
  return `/var/log/pods/kube-flannel_kube-flannel-ds-${node.name}_lab-${node.index}/kube-flannel`;
}

/** CRI log lines ("<time> <stream> F <message>"), as containerd writes them. */
export function criLine(message: string, at = new Date()): string {
  return `${at.toISOString()} stderr F ${message}\n`;
}

export function flannelStartupLog(node: LabNodeSpec): string {
  return [
    `I1124 03:00:00.000001       1 main.go:211] CLI flags config: {etcdEndpoints:http://127.0.0.1:4001 iface:[] ipMasq:true subnetLeaseRenewMargin:60 kubeSubnetMgr:true}`,
    `I1124 03:00:00.100000       1 kube.go:139] Waiting 10m0s for node controller to sync`,
    `I1124 03:00:00.200000       1 main.go:463] Found network config - Backend type: vxlan`,
    `I1124 03:00:00.300000       1 match.go:210] Determining IP address of default interface`,
    `I1124 03:00:00.300100       1 match.go:263] Using interface with name eth0 and address ${node.host}`,
    `I1124 03:00:00.400000       1 kube.go:636] List of node(${node.name}) annotations: map[string]string{"flannel.alpha.coreos.com/backend-type":"vxlan","flannel.alpha.coreos.com/public-ip":"${node.host}"}`,
    `I1124 03:00:00.500000       1 main.go:356] Setting up masking rules`,
    `I1124 03:00:00.600000       1 main.go:407] Wrote subnet file to /run/flannel/subnet.env`,
    `I1124 03:00:00.700000       1 vxlan_network.go:65] watching for new subnet leases`,
  ]
    .map((m) => criLine(m, new Date('2026-11-24T03:00:00Z')))
    .join('');
}

/** iptables-restore input: Flannel's chains and the kube-proxy service rule for the API ClusterIP. */
export function nodeIptables(node: LabNodeSpec, apiHost: string): string {
  return `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:FLANNEL-FWD - [0:0]
-A FORWARD -m comment --comment "flanneld forward" -j FLANNEL-FWD
-A FLANNEL-FWD -s ${LAB_POD_NETWORK} -m comment --comment "flanneld forward" -j ACCEPT
-A FLANNEL-FWD -d ${LAB_POD_NETWORK} -m comment --comment "flanneld forward" -j ACCEPT
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:FLANNEL-POSTRTG - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-SVC-NPX46M4PTMTKRN6Y - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "flanneld masq" -j FLANNEL-POSTRTG
-A FLANNEL-POSTRTG -m mark --mark 0x4000/0x4000 -m comment --comment "flanneld masq" -j RETURN
-A FLANNEL-POSTRTG -s ${node.podSubnet} -d ${LAB_POD_NETWORK} -m comment --comment "flanneld masq" -j RETURN
-A FLANNEL-POSTRTG -s ${LAB_POD_NETWORK} -d ${node.podSubnet} -m comment --comment "flanneld masq" -j RETURN
-A FLANNEL-POSTRTG -s ${LAB_POD_NETWORK} ! -d 224.0.0.0/4 -m comment --comment "flanneld masq" -j MASQUERADE --random-fully
-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -m comment --comment "default/kubernetes:https cluster IP" -m tcp --dport 443 -j KUBE-SVC-NPX46M4PTMTKRN6Y
-A KUBE-SVC-NPX46M4PTMTKRN6Y -p tcp -m comment --comment "default/kubernetes:https -> ${apiHost}:6443" -j DNAT --to-destination ${apiHost}:6443
COMMIT
`;
}

/**
 * What the stand-in `kubeadm join`/`init` runs on a node to bring back the state `reset` removed:
 * the same flannel.1, cni0, peer entries, files and iptables rules `lab up` made for it.
 */
export function restoreScript(node: LabNodeSpec, peers: readonly LabNodeSpec[], apiHost: string): string {
  const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  return [
    '#!/bin/sh',
    '# netcheck lab: node state as Flannel and kubeadm would recreate it (used by the kubeadm stand-in)',
    'ip link del flannel.1 2>/dev/null',
    `ip link add flannel.1 type vxlan id 1 local ${node.host} dev eth0 dstport 8472 nolearning`,
    `ip link set flannel.1 address ${node.vtepMac} mtu 1450`,
    `ip addr add ${node.overlayAddress}/32 dev flannel.1`,
    'ip link set flannel.1 up',
    `ip link show cni0 >/dev/null 2>&1 || { ip link add cni0 type bridge; ip addr add ${node.cni0Address}/24 dev cni0; ip link set cni0 up; }`,
    'ip link show vethpod0 >/dev/null 2>&1 && ip link set vethpod0 master cni0 up',
    ...peers.flatMap((p) => [
      `bridge fdb append ${p.vtepMac} dev flannel.1 dst ${p.host}`,
      `ip neigh replace ${p.overlayAddress} lladdr ${p.vtepMac} dev flannel.1 nud permanent`,
      `ip route replace ${p.podSubnet} via ${p.overlayAddress} dev flannel.1 onlink`,
    ]),
    'mkdir -p /etc/cni/net.d /run/flannel /etc/kubernetes',
    `printf '%s' ${q(FLANNEL_CONFLIST)} > /etc/cni/net.d/10-flannel.conflist`,
    `printf '%s' ${q(subnetEnv(node))} > /run/flannel/subnet.env`,
    `printf '%s' ${q(nodeIptables(node, apiHost))} | iptables-restore`,
    `echo "# netcheck lab stand-in kubelet.conf for ${node.name}" > /etc/kubernetes/kubelet.conf`,
    '',
  ].join('\n');
}
