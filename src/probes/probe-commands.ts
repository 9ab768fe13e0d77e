import { type RemoteCommand, sh } from '../ssh/remote-command.js';

/**
 * Every command a probe runs on a node, in one reviewed place. All of them are read-only.
 * Values come from the validated inventory and are quoted by `sh`. LC_ALL=C keeps tool output in
 * the format the parsers expect whatever the node's locale.
 */
export const probeCommands = {
  pingHost: (host: string): RemoteCommand => sh`LC_ALL=C ping -n -c 1 -W 1 ${host}`,
  /** curl reports TCP and TLS separately: exit 7/28 = no TCP connection, TLS errors mean TCP worked. */
  httpsGet: (url: string): RemoteCommand =>
    sh`LC_ALL=C curl -sS -k -o /dev/null --connect-timeout 2 --max-time 3 -w '%{http_code}' ${url}`,
  linkShow: (device: string): RemoteCommand => sh`LC_ALL=C ip -j -d link show dev ${device}`,
  addrShow: (): RemoteCommand => sh`LC_ALL=C ip -j addr show`,
  routeGet: (address: string): RemoteCommand => sh`LC_ALL=C ip -j route get ${address}`,
  cniConfigDir: (): RemoteCommand =>
    sh`if [ -d /etc/cni/net.d ]; then echo 'DIR /etc/cni/net.d'; ls -1A /etc/cni/net.d; else echo 'NODIR /etc/cni/net.d'; fi`,
  subnetEnv: (): RemoteCommand => sh`cat /run/flannel/subnet.env`,
  iptablesSave: (): RemoteCommand => sh`LC_ALL=C iptables-save`,
  listeningTcp: (): RemoteCommand => sh`LC_ALL=C ss -Hltn`,
  routes: (): RemoteCommand => sh`LC_ALL=C ip -j route show`,
  fdb: (device: string): RemoteCommand => sh`LC_ALL=C bridge -j fdb show dev ${device}`,
  neigh: (device: string): RemoteCommand => sh`LC_ALL=C ip -j neigh show dev ${device}`,
  /** A key that does not exist prints sysctl's error instead of a number: that is the fact (module not loaded). */
  sysctls: (): RemoteCommand =>
    sh`for k in net.ipv4.ip_forward net.bridge.bridge-nf-call-iptables; do printf '%s=' "$k"; sysctl -n "$k" 2>&1 | head -n 1; done`,
  /** The Flannel container log on disk: readable when the API server is not. */
  flannelLog: (): RemoteCommand =>
    // Only the newest file: kubelet starts a new N.log per container restart, and lines from a
    // previous run (an error since fixed) must not count as current facts.
    sh`f=$(ls -1t /var/log/pods/*_kube-flannel-ds-*/kube-flannel/*.log 2>/dev/null | head -n 1); if [ -n "$f" ]; then echo "LOG $f"; tail -n 60 "$f"; else echo NOLOG; fi`,
  /**
   * Kubernetes and Flannel rules per iptables backend, where both tools exist: rules split between
   * legacy and nft black-hole traffic silently. Prints "BACKEND <name> <count of KUBE-/FLANNEL- rules>".
   */
  iptablesBackends: (): RemoteCommand =>
    sh`for b in legacy nft; do if command -v "iptables-$b-save" >/dev/null 2>&1; then printf 'BACKEND %s %s\n' "$b" "$("iptables-$b-save" 2>/dev/null | grep -c -E '^-A (KUBE|FLANNEL)-')"; fi; done; true`,
  /** TCP reachability of a peer port with curl (already needed for HTTPS): 0/52/56 connected, 7 refused, 28 timed out. */
  tcpConnect: (host: string, port: number): RemoteCommand =>
    sh`LC_ALL=C curl -sS -o /dev/null --connect-timeout 2 --max-time 3 ${`http://${host}:${port}/`}`,
  /** kubelet and containerd state where systemd runs them (informational: nodes without systemd print nothing useful). */
  services: (): RemoteCommand =>
    sh`for s in kubelet containerd; do printf '%s=%s\n' "$s" "$(systemctl is-active "$s" 2>/dev/null)"; done; true`,
  /** Don't-fragment ping of a given payload size: proves the path carries full-size overlay packets. */
  pingDontFragment: (host: string, payload: number): RemoteCommand =>
    sh`LC_ALL=C ping -n -M do -s ${payload} -c 1 -W 1 ${host}`,
} as const;
