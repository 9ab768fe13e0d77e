import { tokenize } from '../probes/iptables-probe.js';
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
  fileNotEmpty: (file: string): RemoteCommand => sh`test -s ${file}`,
  setSysctl: (key: string, value: string, dir: string): RemoteCommand =>
    sh`mkdir -p ${dir} && sysctl -n ${key} > ${`${dir}/sysctl-${key}`} && sysctl -w ${`${key}=${value}`} && printf '%s = %s\n' ${key} ${value} > ${`/etc/sysctl.d/99-netcheck-${key}.conf`}`,
  sysctlIs: (key: string, value: string): RemoteCommand => sh`test "$(sysctl -n ${key})" = ${value}`,
  moveCniConfig: (file: string, dir: string): RemoteCommand =>
    sh`mkdir -p ${dir} && mv ${`/etc/cni/net.d/${file}`} ${`${dir}/`}`,
  cniConfigAbsent: (file: string): RemoteCommand => sh`test ! -e ${`/etc/cni/net.d/${file}`}`,
} as const;
