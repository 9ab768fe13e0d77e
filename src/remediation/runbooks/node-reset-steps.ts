import type { BackupTarget } from '../backup-policy.js';
import { type StepDraft, shellStep } from '../plan-step.js';
import { remedyCommands } from '../remedy-commands.js';

/** Steps the worker reset and the control-plane re-init share. */
export function backupNodeStateStep(node: string, backup: BackupTarget): StepDraft {
  return shellStep(
    node,
    `back up iptables (every backend), /etc/cni/net.d, /var/lib/cni, /run/flannel, /etc/kubernetes and the kubelet config of ${node}`,
    remedyCommands.backupNodeState(backup),
    remedyCommands.fileNotEmpty(`${backup.dir}/iptables.rules`),
    false,
  );
}

/** FLANNEL-FAILURES.md's safe order: INPUT ACCEPT before any flush, reset, then clean up at once. */
export function resetAndCleanSteps(node: string, dir: string): StepDraft[] {
  return [
    shellStep(
      node,
      'set the INPUT policy to ACCEPT before any flush, so SSH is not cut',
      remedyCommands.acceptInput(),
      remedyCommands.inputAccepts(),
      false,
    ),
    shellStep(
      node,
      'kubeadm reset --force',
      remedyCommands.kubeadmReset(),
      remedyCommands.kubeletConfAbsent(),
      true,
      120_000,
    ),
    shellStep(
      node,
      'move /etc/cni/net.d into the backup',
      remedyCommands.moveCniDir(dir),
      remedyCommands.cniDirMoved(dir),
      true,
    ),
    shellStep(
      node,
      'flush the filter, nat and mangle tables and delete their chains',
      remedyCommands.flushTables(),
      remedyCommands.tablesEmpty(),
      true,
    ),
    shellStep(
      node,
      'delete cni0, flannel.1 and kube-ipvs0',
      remedyCommands.deleteCniLinks(),
      remedyCommands.cniLinksGone(),
      true,
    ),
  ];
}

/** Undo a reset from backupNodeStateStep's backup: the Kubernetes/CNI files, then the rules. */
export function restoreNodeStateSteps(node: string, dir: string, destructive: boolean): StepDraft[] {
  return [
    shellStep(
      node,
      'restore the saved Kubernetes/CNI files',
      remedyCommands.restoreNodeFiles(dir),
      remedyCommands.fileNotEmpty(`${dir}/state.tgz`),
      destructive,
    ),
    shellStep(
      node,
      'restore the saved iptables rules',
      remedyCommands.restoreIptables(dir),
      remedyCommands.fileNotEmpty(`${dir}/iptables.rules`),
      destructive,
    ),
  ];
}
