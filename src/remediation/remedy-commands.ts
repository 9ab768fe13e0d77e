import { tokenize } from '../probes/parsers/iptables-save.js';
import { argv, negate, type RemoteCommand, sh } from '../ssh/remote-command.js';

/**
 * Every command a fix may run, in one reviewed place. Rule specs come from the node's own
 * iptables-save output, split into words and quoted one by one; nothing typed in Slack reaches here.
 */
export const remedyCommands = {
  backupIptables: (dir: string): RemoteCommand =>
    sh`mkdir -p ${dir} && iptables-save > ${`${dir}/iptables.rules`}`,
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
  backupNodeState: (dir: string): RemoteCommand =>
    sh`mkdir -p ${dir} && iptables-save > ${`${dir}/iptables.rules`} && { iptables-legacy-save > ${`${dir}/iptables-legacy.rules`} 2>/dev/null; ip6tables-save > ${`${dir}/ip6tables.rules`} 2>/dev/null; ip -d addr > ${`${dir}/ip-addr.txt`}; ip route show table all > ${`${dir}/routes.txt`}; tar -C / -czf ${`${dir}/state.tgz`} --ignore-failed-read etc/cni/net.d var/lib/cni run/flannel etc/kubernetes var/lib/kubelet/config.yaml var/lib/kubelet/kubeadm-flags.env 2>/dev/null; true; }`,
  /** Before any flush: a DROP policy with no rules left would cut our own SSH session. */
  acceptInput: (): RemoteCommand => sh`iptables -P INPUT ACCEPT`,
  inputAccepts: (): RemoteCommand => sh`iptables -S INPUT | grep -qx -- '-P INPUT ACCEPT'`,
  kubeadmReset: (): RemoteCommand => sh`kubeadm reset --force`,
  kubeletConfAbsent: (): RemoteCommand => sh`test ! -e /etc/kubernetes/kubelet.conf`,
  moveCniDir: (dir: string): RemoteCommand =>
    sh`mkdir -p ${dir} && if [ -d /etc/cni/net.d ]; then mv /etc/cni/net.d ${`${dir}/cni-net.d`}; fi && mkdir -p /etc/cni/net.d`,
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
  printJoinCommand: (): RemoteCommand => sh`kubeadm token create --print-join-command`,
  kubeletConfPresent: (): RemoteCommand => sh`test -e /etc/kubernetes/kubelet.conf`,
  restoreNodeFiles: (dir: string): RemoteCommand =>
    sh`if [ -d ${`${dir}/cni-net.d`} ]; then rm -rf /etc/cni/net.d && cp -a ${`${dir}/cni-net.d`} /etc/cni/net.d; fi && tar -C / -xzf ${`${dir}/state.tgz`}`,
  fileNotEmpty: (file: string): RemoteCommand => sh`test -s ${file}`,
  /** The manifest the re-init applies must be on the control plane and carry the cluster's pod network. */
  flannelManifestReady: (manifest: string, network: string): RemoteCommand =>
    sh`test -s ${manifest} && grep -Eq ${`"Network": *"${network.replace(/\./g, '\\.')}"`} ${manifest}`,
  /** On the control plane, etcd is the cluster: a snapshot when etcdctl is there, a copy of its data dir always. */
  backupEtcd: (dir: string): RemoteCommand =>
    sh`mkdir -p ${dir} && { if command -v etcdctl >/dev/null 2>&1; then ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 --cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/etcd/server.crt --key=/etc/kubernetes/pki/etcd/server.key snapshot save ${`${dir}/etcd-snapshot.db`} || exit 1; fi; if [ -d /var/lib/etcd ]; then tar -C / -czf ${`${dir}/etcd-data.tgz`} var/lib/etcd || exit 1; else echo 'no /var/lib/etcd on this node' > ${`${dir}/etcd-data.txt`}; fi; }`,
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
  setSysctl: (key: string, value: string, dir: string): RemoteCommand =>
    sh`mkdir -p ${dir} && sysctl -n ${key} > ${`${dir}/sysctl-${key}`} && sysctl -w ${`${key}=${value}`} && printf '%s = %s\n' ${key} ${value} > ${`/etc/sysctl.d/99-netcheck-${key}.conf`}`,
  sysctlIs: (key: string, value: string): RemoteCommand => sh`test "$(sysctl -n ${key})" = ${value}`,
  moveCniConfig: (file: string, dir: string): RemoteCommand =>
    sh`mkdir -p ${dir} && mv ${`/etc/cni/net.d/${file}`} ${`${dir}/`}`,
  cniConfigAbsent: (file: string): RemoteCommand => sh`test ! -e ${`/etc/cni/net.d/${file}`}`,
} as const;
