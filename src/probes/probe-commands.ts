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
} as const;
