import type { FirewallRuleRef } from '../diagnosis/remedy.js';
import { tokenize } from '../probes/parsers/iptables-save.js';
import { allOf, argv, negate, type RemoteCommand, script, sh } from '../ssh/remote-command.js';
import { BACKUP_ROOT, type BackupTarget } from './backup-policy.js';

/** netcheck's NetworkManager drop-in: cni0 and Flannel's devices belong to the CNI, not to NetworkManager. */
const NM_DROPIN_NAME = '99-netcheck-unmanaged.conf';
export const NM_DROPIN = `/etc/NetworkManager/conf.d/${NM_DROPIN_NAME}`;
export const NM_UNMANAGED = 'interface-name:cni0;interface-name:flannel*';
/** Keeps tx checksum offload off on flannel.1 across Flannel restarts and reboots. */
export const UDEV_OFFLOAD_RULE = '/etc/udev/rules.d/90-netcheck-flannel-offload.rules';

/** How long a join token lives: long enough for one join, short enough to be worthless after. */
export const JOIN_TOKEN_TTL_MINUTES = 10;

/**
 * The backup folder, private to root: everything written under umask 077 is 0600 (its folders
 * 0700), because it holds the cluster's secrets (/etc/kubernetes/pki, admin.conf, etcd data).
 */
const privateDir = (dir: string): RemoteCommand =>
  sh`umask 077 && mkdir -p ${dir} && chmod 700 ${BACKUP_ROOT} ${dir}`;

/**
 * Removes netcheck's older backups on the node: those older than the policy's age, then all but the
 * newest `keep`. Only folders named like netcheck's own (`<stamp>-plan-…`) directly inside
 * BACKUP_ROOT are candidates, and never the one this plan just made.
 */
const pruneBackups = (b: BackupTarget): RemoteCommand => {
  const current = b.dir.slice(b.dir.lastIndexOf('/') + 1);
  const pattern = '[0-9]*T[0-9]*-plan-*';
  return sh`cd ${BACKUP_ROOT} && find . -mindepth 1 -maxdepth 1 -type d -name ${pattern} ! -name ${current} -mmin +${b.maxAgeMinutes} -exec rm -rf -- {} + && set -- [0-9]*T[0-9]*-plan-* && n=$(($# - ${b.keep})) && for d in "$@"; do [ "$n" -gt 0 ] || break; if [ "$d" != ${current} ] && [ -d "$d" ]; then rm -rf -- "$d"; fi; n=$((n - 1)); done`;
};

/** Where netcheck persists a raised conntrack table size (sorts before the distribution's 99-*). */
const CONNTRACK_CONF = '/etc/sysctl.d/90-netcheck-conntrack.conf';

/** Everything a node reset touches. Moves nothing. */
const nodeStateBackup = (dir: string): RemoteCommand =>
  sh`iptables-save > ${`${dir}/iptables.rules`} && { iptables-legacy-save > ${`${dir}/iptables-legacy.rules`} 2>/dev/null; ip6tables-save > ${`${dir}/ip6tables.rules`} 2>/dev/null; ip -d addr > ${`${dir}/ip-addr.txt`}; ip route show table all > ${`${dir}/routes.txt`}; tar -C / -czf ${`${dir}/state.tgz`} --ignore-failed-read etc/cni/net.d var/lib/cni run/flannel etc/kubernetes var/lib/kubelet/config.yaml var/lib/kubelet/kubeadm-flags.env 2>/dev/null; true; }`;

/** A plan's first backup step: a private folder, the backup, then the older backups pruned. */
const backedUp = (b: BackupTarget, backup: RemoteCommand): RemoteCommand =>
  allOf(privateDir(b.dir), backup, pruneBackups(b));

/** One rule in whichever layer holds it (see diagnosis/remedy.ts). */
type FwRef = FirewallRuleRef;
const iptablesWords = (r: Extract<FwRef, { line: string }>, op: '-D' | '-C'): string[] => {
  const words = tokenize(r.line);
  if (words[0] !== '-A' || words.length < 3) throw new Error(`not an iptables-save rule: ${r.line}`);
  return [r.layer, '-t', r.table, op, ...words.slice(1)];
};
/** Where a native table is saved on its own (it is restored from there, atomically). */
const tableFile = (dir: string, r: Extract<FwRef, { handle: number }>) =>
  `${dir}/nft-${r.family}-${r.table}.table`;

/** Every ruleset on the node, whole: nftables, and iptables-save of each backend that is present. */
const firewallBackup = (dir: string): RemoteCommand =>
  sh`{ if command -v nft >/dev/null 2>&1; then nft list ruleset > ${`${dir}/nft.ruleset`} || exit 1; fi; if command -v iptables-save >/dev/null 2>&1; then iptables-save > ${`${dir}/iptables.rules`} || exit 1; fi; if command -v iptables-nft-save >/dev/null 2>&1; then iptables-nft-save > ${`${dir}/iptables-nft.rules`} || exit 1; fi; if command -v iptables-legacy-save >/dev/null 2>&1 && [ -e /proc/net/ip_tables_names ]; then iptables-legacy-save > ${`${dir}/iptables-legacy.rules`} || exit 1; fi; }`;

/**
 * Every command a fix may run, in one reviewed place. Rule specs come from the node's own
 * iptables-save output, split into words and quoted one by one; nothing typed in Slack reaches here.
 */
export const remedyCommands = {
  /** Every ruleset, then each native nftables table a rule is deleted from, on its own (with handles). */
  backupFirewall: (b: BackupTarget, rules: readonly FwRef[]): RemoteCommand =>
    backedUp(
      b,
      allOf(
        firewallBackup(b.dir),
        ...rules.flatMap((r) =>
          r.layer === 'nftables'
            ? [sh`nft -a list table ${r.family} ${r.table} > ${tableFile(b.dir, r)}`]
            : [],
        ),
      ),
    ),
  /** The backup holds every ruleset the node has and each saved table. */
  firewallBackedUp: (dir: string, rules: readonly FwRef[]): RemoteCommand =>
    allOf(
      sh`test -e ${`${dir}/nft.ruleset`} -o -e ${`${dir}/iptables.rules`}`,
      ...rules.map((r) =>
        r.layer === 'nftables'
          ? sh`test -s ${tableFile(dir, r)}`
          : sh`test -s ${`${dir}/${r.layer === 'iptables' ? 'iptables' : r.layer}.rules`}`,
      ),
    ),
  /** `iptables-nft -t raw -D PREROUTING …`, or `nft delete rule inet filter input handle 8`. */
  deleteFirewallRule: (r: FwRef): RemoteCommand =>
    r.layer === 'nftables'
      ? argv(['nft', 'delete', 'rule', r.family, r.table, r.chain, 'handle', String(r.handle)])
      : argv(iptablesWords(r, '-D')),
  /** Succeeds when the rule is gone: `-C` fails, or the chain lists no rule with that handle (handles are never reused). */
  firewallRuleAbsent: (r: FwRef): RemoteCommand =>
    r.layer === 'nftables'
      ? sh`! nft -a list chain ${r.family} ${r.table} ${r.chain} 2>/dev/null | grep -Eq ${`# handle ${r.handle}$`}`
      : negate(argv(iptablesWords(r, '-C'))),
  /** Put a layer back from the backup: iptables-*-restore, or the saved table replaced in one nft transaction. */
  restoreFirewall: (dir: string, r: FwRef): RemoteCommand =>
    r.layer === 'nftables'
      ? sh`{ printf 'table %s %s\ndelete table %s %s\n' ${r.family} ${r.table} ${r.family} ${r.table}; cat ${tableFile(dir, r)}; } | nft -f -`
      : sh`${r.layer}-restore < ${`${dir}/${r.layer}.rules`}`,
  /** The restored layer holds the rule again (nft: the table has as many rules as when it was saved). */
  firewallRestored: (dir: string, r: FwRef): RemoteCommand =>
    r.layer === 'nftables'
      ? sh`test "$(nft -a list table ${r.family} ${r.table} | grep -c '# handle')" = "$(grep -c '# handle' ${tableFile(dir, r)})"`
      : argv(iptablesWords(r, '-C')),
  backupIptables: (b: BackupTarget): RemoteCommand =>
    backedUp(b, sh`iptables-save > ${`${b.dir}/iptables.rules`}`),
  deleteRule: (table: string, line: string): RemoteCommand => {
    const words = tokenize(line);
    if (words[0] !== '-A' || words.length < 3) throw new Error(`not an iptables-save rule: ${line}`);
    return argv(['iptables', '-t', table, '-D', ...words.slice(1)]);
  },
  /** Succeeds when the rule is gone (iptables -C fails for a rule that does not exist). */
  ruleAbsent: (table: string, line: string): RemoteCommand =>
    negate(argv(['iptables', '-t', table, '-C', ...tokenize(line).slice(1)])),
  restoreIptables: (dir: string): RemoteCommand => sh`iptables-restore < ${`${dir}/iptables.rules`}`,
  rulePresent: (table: string, line: string): RemoteCommand =>
    argv(['iptables', '-t', table, '-C', ...tokenize(line).slice(1)]),
  restoreSysctl: (key: string, dir: string): RemoteCommand =>
    sh`sysctl -w ${key}="$(cat ${`${dir}/sysctl-${key}`})" && rm -f ${`/etc/sysctl.d/99-netcheck-${key}.conf`}`,
  sysctlIsSaved: (key: string, dir: string): RemoteCommand =>
    sh`test "$(sysctl -n ${key})" = "$(cat ${`${dir}/sysctl-${key}`})"`,
  restoreCniConfig: (file: string, dir: string): RemoteCommand => sh`mv ${`${dir}/${file}`} /etc/cni/net.d/`,
  cniConfigPresent: (file: string): RemoteCommand => sh`test -e ${`/etc/cni/net.d/${file}`}`,
  /** Everything a node reset touches, to a dated folder on the node. Moves nothing yet. */
  backupNodeState: (b: BackupTarget): RemoteCommand => backedUp(b, nodeStateBackup(b.dir)),
  /** Before any flush: a DROP policy with no rules left would cut our own SSH session. */
  acceptInput: (): RemoteCommand => sh`iptables -P INPUT ACCEPT`,
  inputAccepts: (): RemoteCommand => sh`iptables -S INPUT | grep -qx -- '-P INPUT ACCEPT'`,
  kubeadmReset: (): RemoteCommand => sh`kubeadm reset --force`,
  kubeletConfAbsent: (): RemoteCommand => sh`test ! -e /etc/kubernetes/kubelet.conf`,
  moveCniDir: (dir: string): RemoteCommand =>
    sh`umask 077 && mkdir -p ${dir} && if [ -d /etc/cni/net.d ]; then mv /etc/cni/net.d ${`${dir}/cni-net.d`}; fi && mkdir -p /etc/cni/net.d`,
  cniDirMoved: (dir: string): RemoteCommand =>
    sh`test -d ${`${dir}/cni-net.d`} && test -z "$(ls -A /etc/cni/net.d)"`,
  flushTables: (): RemoteCommand =>
    sh`for t in filter nat mangle; do iptables -t "$t" -F && iptables -t "$t" -X || exit 1; done`,
  tablesEmpty: (): RemoteCommand => sh`test "$(iptables-save | grep -c '^-A')" = 0`,
  deleteCniLinks: (): RemoteCommand =>
    sh`for l in cni0 flannel.1 kube-ipvs0; do ip link del "$l" 2>/dev/null; done; true`,
  cniLinksGone: (): RemoteCommand =>
    sh`! ip link show flannel.1 >/dev/null 2>&1 && ! ip link show cni0 >/dev/null 2>&1`,
  restoreConnectedRoute: (
    iface: string,
    address: string,
    prefixlen: number,
    network: string,
  ): RemoteCommand =>
    sh`ip route replace ${`${network}/${prefixlen}`} dev ${iface} proto kernel scope link src ${address}`,
  routeVia: (address: string, iface: string): RemoteCommand =>
    sh`ip route get ${address} | grep -q ${`dev ${iface}`}`,
  /** Run on the control plane; its output is a secret and never leaves the worker. */
  createJoinToken: (): RemoteCommand =>
    sh`kubeadm token create --ttl ${`${JOIN_TOKEN_TTL_MINUTES}m`} --print-join-command`,
  /**
   * Run on the joining node with a JoinConfiguration on stdin: the token goes through a 0600 file
   * that is removed on exit, never through a command line (which every user can read in /proc).
   * Removed also when the transport's `timeout` ends a hung join (TERM to the group) or the session
   * goes (HUP): a shell killed by a signal it does not trap runs no EXIT trap.
   */
  joinWithConfigOnStdin: (): RemoteCommand =>
    sh`umask 077 && f=$(mktemp /run/netcheck-join.XXXXXX) && trap 'rm -f "$f"' EXIT && trap 'exit 129' HUP && trap 'exit 130' INT && trap 'exit 143' TERM && cat > "$f" && kubeadm join --config "$f"`,
  /** A token id is public (only its secret half is not): deleting by id keeps the secret off the line. */
  deleteJoinToken: (tokenId: string): RemoteCommand => sh`kubeadm token delete ${tokenId}`,
  kubeletConfPresent: (): RemoteCommand => sh`test -e /etc/kubernetes/kubelet.conf`,
  restoreNodeFiles: (dir: string): RemoteCommand =>
    sh`if [ -d ${`${dir}/cni-net.d`} ]; then rm -rf /etc/cni/net.d && cp -a ${`${dir}/cni-net.d`} /etc/cni/net.d; fi && tar -C / -xzf ${`${dir}/state.tgz`}`,
  fileNotEmpty: (file: string): RemoteCommand => sh`test -s ${file}`,
  /** The manifest the re-init applies must be on the control plane and carry the cluster's pod network. */
  flannelManifestReady: (manifest: string, network: string): RemoteCommand =>
    sh`test -s ${manifest} && grep -Eq ${`"Network": *"${network.replace(/\./g, '\\.')}"`} ${manifest}`,
  /** On the control plane, etcd is the cluster: a snapshot when etcdctl is there, a copy of its data dir always. */
  backupEtcd: (dir: string): RemoteCommand =>
    sh`umask 077 && mkdir -p ${dir} && { if command -v etcdctl >/dev/null 2>&1; then ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 --cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/etcd/server.crt --key=/etc/kubernetes/pki/etcd/server.key snapshot save ${`${dir}/etcd-snapshot.db`} || exit 1; fi; if [ -d /var/lib/etcd ]; then tar -C / -czf ${`${dir}/etcd-data.tgz`} var/lib/etcd || exit 1; else echo 'no /var/lib/etcd on this node' > ${`${dir}/etcd-data.txt`}; fi; }`,
  etcdBackedUp: (dir: string): RemoteCommand =>
    sh`test -s ${`${dir}/etcd-snapshot.db`} || test -s ${`${dir}/etcd-data.tgz`} || test -s ${`${dir}/etcd-data.txt`}`,
  restoreEtcdData: (dir: string): RemoteCommand =>
    sh`if [ -s ${`${dir}/etcd-data.tgz`} ]; then rm -rf /var/lib/etcd && tar -C / -xzf ${`${dir}/etcd-data.tgz`}; fi`,
  kubeadmInit: (podNetworkCidr: string): RemoteCommand =>
    argv(['kubeadm', 'init', `--pod-network-cidr=${podNetworkCidr}`]),
  adminConfPresent: (): RemoteCommand => sh`test -s /etc/kubernetes/admin.conf`,
  applyManifest: (manifest: string): RemoteCommand =>
    argv(['kubectl', '--kubeconfig', '/etc/kubernetes/admin.conf', 'apply', '-f', manifest]),
  flannelDaemonSetPresent: (): RemoteCommand =>
    sh`kubectl --kubeconfig /etc/kubernetes/admin.conf -n kube-flannel get daemonset kube-flannel-ds >/dev/null`,
  setSysctl: (key: string, value: string, b: BackupTarget): RemoteCommand =>
    allOf(
      backedUp(b, sh`sysctl -n ${key} > ${`${b.dir}/sysctl-${key}`}`),
      // The persisted setting is read by everyone, as sysctl.d files are: not under umask 077.
      sh`sysctl -w ${`${key}=${value}`} && printf '%s = %s\n' ${key} ${value} > ${`/etc/sysctl.d/99-netcheck-${key}.conf`} && chmod 644 ${`/etc/sysctl.d/99-netcheck-${key}.conf`}`,
    ),
  sysctlIs: (key: string, value: string): RemoteCommand => sh`test "$(sysctl -n ${key})" = ${value}`,
  moveCniConfig: (file: string, b: BackupTarget): RemoteCommand =>
    backedUp(b, sh`mv ${`/etc/cni/net.d/${file}`} ${`${b.dir}/`}`),
  cniConfigAbsent: (file: string): RemoteCommand => sh`test ! -e ${`/etc/cni/net.d/${file}`}`,
  /** The device's addresses as they were, then the foreign ones removed (Flannel's own stays). */
  removeLinkAddresses: (device: string, addresses: readonly string[], b: BackupTarget): RemoteCommand =>
    allOf(
      backedUp(b, sh`ip -d addr show dev ${device} > ${`${b.dir}/addr-${device}.txt`}`),
      ...addresses.map((a) => sh`ip addr del ${a} dev ${device}`),
    ),
  /** `ip -o addr` prints ` inet A/N ` per address: present or not, by the exact address. */
  linkHasAddress: (device: string, address: string): RemoteCommand =>
    sh`ip -o -4 addr show dev ${device} | grep -qF -- ${` inet ${address} `}`,
  addLinkAddress: (device: string, address: string): RemoteCommand =>
    sh`ip addr replace ${address} dev ${device}`,
  /** The drop-in (any earlier one saved first), then NetworkManager re-reads its config. */
  unmanageOverlayDevices: (b: BackupTarget): RemoteCommand =>
    allOf(
      backedUp(b, sh`if [ -e ${NM_DROPIN} ]; then cp -p ${NM_DROPIN} ${`${b.dir}/`}; fi`),
      sh`mkdir -p /etc/NetworkManager/conf.d && printf '[keyfile]\\nunmanaged-devices=%s\\n' ${NM_UNMANAGED} > ${NM_DROPIN} && chmod 644 ${NM_DROPIN}`,
      sh`nmcli general reload`,
    ),
  /** NetworkManager answers and lists no cni0/flannel* device as anything but unmanaged. */
  overlayDevicesUnmanaged: (): RemoteCommand =>
    sh`s=$(LC_ALL=C nmcli -t -f DEVICE,STATE dev) && ! printf '%s\\n' "$s" | grep -E '^(cni0|flannel)' | grep -qv ':unmanaged$'`,
  restoreNetworkManagerConfig: (dir: string): RemoteCommand =>
    sh`if [ -e ${`${dir}/${NM_DROPIN_NAME}`} ]; then cp -p ${`${dir}/${NM_DROPIN_NAME}`} ${NM_DROPIN}; else rm -f ${NM_DROPIN}; fi && nmcli general reload`,
  networkManagerConfigRestored: (dir: string): RemoteCommand =>
    sh`if [ -e ${`${dir}/${NM_DROPIN_NAME}`} ]; then cmp -s ${`${dir}/${NM_DROPIN_NAME}`} ${NM_DROPIN}; else test ! -e ${NM_DROPIN}; fi`,
  /** Offload off now, and a udev rule that turns it off whenever the device is created again. */
  disableTxChecksum: (device: string, b: BackupTarget): RemoteCommand =>
    allOf(
      backedUp(b, sh`ethtool -k ${device} > ${`${b.dir}/ethtool-k-${device}.txt`}`),
      sh`ethtool -K ${device} tx-checksum-ip-generic off`,
      sh`e=$(command -v ethtool) && mkdir -p /etc/udev/rules.d && printf 'ACTION=="add", SUBSYSTEM=="net", KERNEL=="%s", RUN+="%s -K %s tx-checksum-ip-generic off"\\n' ${device} "$e" ${device} > ${UDEV_OFFLOAD_RULE} && chmod 644 ${UDEV_OFFLOAD_RULE}`,
    ),
  txChecksumIs: (device: string, state: 'on' | 'off'): RemoteCommand =>
    sh`LC_ALL=C ethtool -k ${device} | grep -Eq ${`^[[:space:]]*tx-checksum-ip-generic: ${state}`}`,
  txChecksumPersisted: (): RemoteCommand => sh`test -s ${UDEV_OFFLOAD_RULE}`,
  enableTxChecksum: (device: string): RemoteCommand =>
    sh`ethtool -K ${device} tx-checksum-ip-generic on && rm -f ${UDEV_OFFLOAD_RULE}`,
  /** Saves the old maximum, raises it, and persists it in its own sysctl.d file (readable by all, as those are). */
  raiseConntrackMax: (to: number, b: BackupTarget): RemoteCommand =>
    allOf(
      backedUp(b, sh`cat /proc/sys/net/netfilter/nf_conntrack_max > ${`${b.dir}/nf_conntrack_max`}`),
      sh`sysctl -w ${`net.netfilter.nf_conntrack_max=${to}`} && printf 'net.netfilter.nf_conntrack_max = %s\n' ${to} > ${CONNTRACK_CONF} && chmod 644 ${CONNTRACK_CONF}`,
    ),
  conntrackMaxIs: (value: number): RemoteCommand =>
    sh`test "$(cat /proc/sys/net/netfilter/nf_conntrack_max)" = ${value} && grep -qxF ${`net.netfilter.nf_conntrack_max = ${value}`} ${CONNTRACK_CONF}`,
  restoreConntrackMax: (dir: string): RemoteCommand =>
    sh`sysctl -w net.netfilter.nf_conntrack_max="$(cat ${`${dir}/nf_conntrack_max`})" && rm -f ${CONNTRACK_CONF}`,
  conntrackMaxIsSaved: (dir: string): RemoteCommand =>
    sh`test "$(cat /proc/sys/net/netfilter/nf_conntrack_max)" = "$(cat ${`${dir}/nf_conntrack_max`})" && test ! -e ${CONNTRACK_CONF}`,
  /** What the overlay looked like before Flannel restarts (nothing is restored from it: a restart only adds). */
  backupOverlayEntries: (b: BackupTarget): RemoteCommand =>
    backedUp(
      b,
      sh`ip route show table all > ${`${b.dir}/routes.txt`} && bridge fdb show dev flannel.1 > ${`${b.dir}/fdb-flannel.1.txt`} && ip neigh show dev flannel.1 > ${`${b.dir}/neigh-flannel.1.txt`}`,
    ),
  /** Stops the node's Flannel container; kubelet starts it again and Flannel re-adds every peer's entries. */
  restartFlannel: (): RemoteCommand =>
    sh`ids=$(crictl ps -q --name '^kube-flannel$') && [ -n "$ids" ] && crictl stop $ids`,
  /**
   * Waits (bounded: 40 × 0.5 s) until flannel.1 holds the route, neighbour and FDB entry of each
   * peer. Values were validated as addresses, CIDRs and MACs when the remedy was made.
   */
  peerEntriesPresent: (
    peers: readonly {
      subnet: string;
      overlayAddress: string;
      mac: string | undefined;
      dst: string | undefined;
    }[],
  ): RemoteCommand =>
    script(
      sh`present() {`,
      allOf(
        sh`true`,
        ...peers.flatMap((p) => [
          sh`ip route show exact ${p.subnet} dev flannel.1 | grep -q via`,
          sh`ip neigh show to ${p.overlayAddress} dev flannel.1 | grep -q lladdr`,
          p.mac
            ? sh`bridge fdb show dev flannel.1 | grep -qi ${`^${p.mac} `}`
            : sh`bridge fdb show dev flannel.1 | grep -qF ${` dst ${p.dst ?? '0.0.0.0'} `}`,
        ]),
      ),
      sh`}`,
      sh`i=0; while ! present; do i=$((i + 1)); [ "$i" -lt 40 ] || exit 1; sleep 0.5; done`,
    ),
} as const;
