import { around, type RemoteCommand, sh } from '../ssh/remote-command.js';
import { CURL_WRITE_OUT } from './parsers/curl-write-out.js';
import { TCP_CONNECT_PERL } from './tcp-connect-script.js';

/**
 * `command` about one network device, or NODEV when the device does not exist. Whether it exists
 * comes from the JSON list of links (iproute2 would say so only in English, with exit 1 from ip and
 * 255 from bridge). Not from /sys/class/net: a process that entered a network namespace without
 * remounting /sys sees the host's devices there. The list is read only when `command` failed, so a
 * node with the device pays one process, not two. These tools print nothing on stdout when they
 * fail (the device is missing, the feature cannot be read), so the first try's output is not held
 * back in the shell; the retry gives the failure's own message and code.
 */
function onDevice(device: string, command: RemoteCommand): RemoteCommand {
  return around`if ${command} 2>/dev/null; then :; elif l=$(LC_ALL=C ip -j link show); then case "$l" in *${`"ifname":"${device}"`}*) ${command};; *) echo NODEV;; esac; else false; fi`;
}

/** curl's connect and overall budget, and the Perl check's (seconds). */
const CONNECT_S = 2;

/**
 * Every command a probe runs on a node, in one reviewed place. All of them are read-only.
 * Values come from the validated inventory and are quoted by `sh`. Outcomes are read from exit
 * codes, JSON (`ip -j`, `bridge -j`), fixed columns (`ss`), kernel files (/proc, /sys) and markers
 * printed here, never from a tool's wording; LC_ALL=C still keeps the shown messages in one language.
 * What each needs on the node, and which versions are recorded: docs/probe-versions.md.
 */
export const probeCommands = {
  /** iputils ping's exit code decides: 0 reply, 1 none, 2 could not send (see parsers/ping.ts). */
  pingHost: (host: string): RemoteCommand => sh`LC_ALL=C ping -n -c 1 -W 1 ${host}`,
  /**
   * curl reports TCP and TLS separately: `num_connects` says whether TCP connected. After exit 7
   * (curl 7 and 8 cannot tell a RST from an ICMP unreachable) the Perl check asks the kernel.
   */
  httpsGet: (url: string, host: string, port: number): RemoteCommand =>
    sh`LC_ALL=C curl -sS -k -o /dev/null --connect-timeout ${CONNECT_S} --max-time 3 -w ${CURL_WRITE_OUT} ${url}; rc=$?; if [ "$rc" -eq 7 ] && command -v perl >/dev/null 2>&1; then LC_ALL=C perl -e ${TCP_CONNECT_PERL} ${host} ${port} ${CONNECT_S}; fi; exit "$rc"`,
  /** The device's details, or NODEV (see onDevice). */
  linkShow: (device: string): RemoteCommand =>
    onDevice(device, sh`LC_ALL=C ip -j -d link show dev ${device}`),
  addrShow: (): RemoteCommand => sh`LC_ALL=C ip -j addr show`,
  routeGet: (address: string): RemoteCommand => sh`LC_ALL=C ip -j route get ${address}`,
  cniConfigDir: (): RemoteCommand =>
    sh`if [ -d /etc/cni/net.d ]; then echo 'DIR /etc/cni/net.d'; ls -1A /etc/cni/net.d; else echo 'NODIR /etc/cni/net.d'; fi`,
  /** Read by the shell (a few short lines), not `cat`: one process fewer on every node. */
  subnetEnv: (): RemoteCommand =>
    sh`if [ -e /run/flannel/subnet.env ]; then while read -r l || [ -n "$l" ]; do printf '%s\\n' "$l"; done < /run/flannel/subnet.env; else echo NOFILE; fi`,
  /**
   * The rules of the backend plain `iptables` uses. Where `iptables-save` is the very file that
   * iptables-nft-save or iptables-legacy-save is (alternatives symlinks, as on Debian, Ubuntu and
   * RHEL; the shell's `-ef`, found along PATH as the shell would), it prints `SAME <that probe>`
   * instead of dumping the same rules twice, and the bundle's reader copies that probe's output
   * (probe-bundle.ts). Anything else, a wrapper script say, runs as itself.
   */
  iptablesSave: (): RemoteCommand =>
    sh`s=; n=; g=; p=$PATH:; while [ -n "$p" ]; do x=\${p%%:*}; p=\${p#*:}; [ -n "$s" ] || { [ -x "$x/iptables-save" ] && s=$x/iptables-save; }; [ -n "$n" ] || { [ -x "$x/iptables-nft-save" ] && n=$x/iptables-nft-save; }; [ -n "$g" ] || { [ -x "$x/iptables-legacy-save" ] && g=$x/iptables-legacy-save; }; done; if [ -n "$s" ] && [ -n "$n" ] && [ "$s" -ef "$n" ]; then echo 'SAME iptables-nft-save'; elif [ -n "$s" ] && [ -n "$g" ] && [ "$s" -ef "$g" ] && [ -e /proc/net/ip_tables_names ]; then echo 'SAME iptables-legacy-save'; else LC_ALL=C iptables-save; fi`,
  /** Read by column (the 4th is Local Address:Port), not by wording; -H drops the header. */
  listeningTcp: (): RemoteCommand => sh`LC_ALL=C ss -Hltn`,
  routes: (): RemoteCommand => sh`LC_ALL=C ip -j route show`,
  fdb: (device: string): RemoteCommand => onDevice(device, sh`LC_ALL=C bridge -j fdb show dev ${device}`),
  neigh: (device: string): RemoteCommand => onDevice(device, sh`LC_ALL=C ip -j neigh show dev ${device}`),
  /**
   * Straight from /proc/sys (procps' sysctl is not on a minimal node), one `grep -H` for both
   * files: not the shell's `read`, which reads a byte at a time, and many /proc/sys files answer only
   * a read at offset 0 (nf_conntrack_max 262144 reads as "2"). A key whose file does not exist
   * prints an empty value: that is the fact (br_netfilter not loaded).
   */
  sysctls: (): RemoteCommand =>
    sh`f=; b=; for l in $(grep -H -s '' /proc/sys/net/ipv4/ip_forward /proc/sys/net/bridge/bridge-nf-call-iptables); do case "$l" in /proc/sys/net/ipv4/ip_forward:*) f=\${l#*:};; /proc/sys/net/bridge/bridge-nf-call-iptables:*) b=\${l#*:};; esac; done; printf 'net.ipv4.ip_forward=%s\\nnet.bridge.bridge-nf-call-iptables=%s\\n' "$f" "$b"`,
  /** The Flannel container log on disk: readable when the API server is not. */
  flannelLog: (): RemoteCommand =>
    // Only the newest file: kubelet starts a new N.log per container restart, and lines from a
    // previous run (an error since fixed) must not count as current facts.
    // The newest by the shell's own `-nt` (no ls, no head).
    sh`f=; for g in /var/log/pods/*_kube-flannel-ds-*/kube-flannel/*.log; do [ -f "$g" ] || continue; if [ -z "$f" ] || [ "$g" -nt "$f" ]; then f=$g; fi; done; if [ -n "$f" ]; then echo "LOG $f"; tail -n 60 "$f"; else echo NOLOG; fi`,
  /**
   * TCP reachability of a peer port: the connect() errno by name from Perl (perl-base is on every
   * Debian/Ubuntu node); where there is no Perl, curl's exit code (7 rejected, 28 timed out).
   */
  tcpConnect: (host: string, port: number): RemoteCommand =>
    sh`if command -v perl >/dev/null 2>&1; then LC_ALL=C perl -e ${TCP_CONNECT_PERL} ${host} ${port} ${CONNECT_S}; else LC_ALL=C curl -sS -o /dev/null --connect-timeout ${CONNECT_S} --max-time 3 -w ${CURL_WRITE_OUT} ${`http://${host}:${port}/`}; fi`,
  /** kubelet and containerd state where systemd runs them (informational: nodes without systemd print nothing useful). */
  services: (): RemoteCommand =>
    sh`set -- $(systemctl is-active kubelet containerd 2>/dev/null); printf 'kubelet=%s\\ncontainerd=%s\\n' "$1" "$2"`,
  /** Don't-fragment ping of a given payload size: proves the path carries full-size overlay packets. */
  pingDontFragment: (host: string, payload: number): RemoteCommand =>
    sh`LC_ALL=C ping -n -M do -s ${payload} -c 1 -W 1 ${host}`,
  /**
   * Which devices NetworkManager manages (terse, by column) and the `unmanaged-devices` lines of its
   * config. No nmcli, or nmcli's exit 8 (NetworkManager not running), means it cannot interfere.
   */
  networkManager: (): RemoteCommand =>
    sh`if ! command -v nmcli >/dev/null 2>&1; then echo NONMCLI; else LC_ALL=C nmcli -t -f DEVICE,STATE dev; echo "NMCLI $?"; for f in /etc/NetworkManager/NetworkManager.conf /etc/NetworkManager/conf.d/*.conf /run/NetworkManager/conf.d/*.conf /usr/lib/NetworkManager/conf.d/*.conf; do [ -f "$f" ] && grep -H '^[[:space:]]*unmanaged-devices' "$f" | sed 's/^/CONF /'; done; true; fi`,
  /** Offload features of a device (`ethtool -k`), NODEV without the device, NOETHTOOL without ethtool. */
  ethtoolFeatures: (device: string): RemoteCommand =>
    around`if ! command -v ethtool >/dev/null 2>&1; then echo NOETHTOOL; else ${onDevice(device, sh`LC_ALL=C ethtool -k ${device}`)}; fi`,
  /**
   * The kernel release (read by the shell: this /proc file answers reads at any offset) and the
   * kernel log's VXLAN checksum errors, filtered on the node as it
   * streams by (the ring buffer is large), then `DMESG <exit code>`. dmesg needs CAP_SYSLOG where
   * dmesg_restrict=1: its failure (its `dmesg: …` line and the code) is printed, not fatal. Kernel
   * lines carry a `[timestamp]` prefix, so none can pass for the status or the error line.
   */
  kernelLog: (): RemoteCommand =>
    sh`k=; read -r k 2>/dev/null < /proc/sys/kernel/osrelease; [ -n "$k" ] || k=$(uname -r); echo "KERNEL $k"; if ! command -v dmesg >/dev/null 2>&1; then echo NODMESG; else { LC_ALL=C dmesg 2>&1; echo "DMESG $?"; } | grep -E -e 'bad checksum' -e '^dmesg: ' -e '^DMESG -?[0-9]+$' | tail -n 22; fi`,
  /**
   * The conntrack table's fill from /proc (the count is per network namespace, the max is the
   * node's), and the kernel's last "table full" lines where dmesg may be read (informational):
   * read only when the table is at least 80 % full (the check fires at 90 %), since they are shown
   * only then and reading the whole kernel log is the costliest part of the probe.
   */
  conntrack: (): RemoteCommand =>
    sh`c=; m=; for l in $(grep -H -s '' /proc/sys/net/netfilter/nf_conntrack_count /proc/sys/net/netfilter/nf_conntrack_max); do case "$l" in */nf_conntrack_count:*) c=\${l#*:};; */nf_conntrack_max:*) m=\${l#*:};; esac; done; printf 'COUNT %s\\nMAX %s\\n' "$c" "$m"; case "$c:$m" in *[!0-9:]*|:*|*:) ;; *) if [ "$((c * 10))" -ge "$((m * 8))" ]; then LC_ALL=C dmesg 2>/dev/null | sed -n '/nf_conntrack: table full/s/^/LOG /p' | tail -n 3; fi;; esac; true`,
  /** Native nftables, every family (firewalld, ufw, nftables.service and iptables-nft's own tables). */
  nftRuleset: (): RemoteCommand =>
    sh`if command -v nft >/dev/null 2>&1; then LC_ALL=C nft -j list ruleset; else echo NOTOOL; fi`,
  /** iptables-nft's rules, every table. */
  iptablesNftSave: (): RemoteCommand =>
    sh`if command -v iptables-nft-save >/dev/null 2>&1; then LC_ALL=C iptables-nft-save; else echo NOTOOL; fi`,
  /**
   * Legacy iptables' rules, every table. Without x_tables loaded no legacy rule can exist, and the
   * tool would load the module: NOTABLES says so instead. The tool dumps the tables its network
   * namespace lists in /proc/net/ip_tables_names; where that list is empty (x_tables loaded, no
   * legacy table here: a node on the nft backend) it prints nothing, and so does the shell, which
   * reads the list itself (a seq_file: the shell's byte-at-a-time read is fine) and starts no process.
   */
  iptablesLegacySave: (): RemoteCommand =>
    sh`if ! command -v iptables-legacy-save >/dev/null 2>&1; then echo NOTOOL; elif [ ! -e /proc/net/ip_tables_names ]; then echo NOTABLES; else t=; read -r t 2>/dev/null < /proc/net/ip_tables_names; if [ -n "$t" ]; then LC_ALL=C iptables-legacy-save; fi; fi`,
} as const;
