import { shellStep } from '../plan-step.js';
import { remedyCommands } from '../remedy-commands.js';
import type { Runbook } from '../runbook.js';
import { backupNodeStateStep, resetAndCleanSteps, restoreNodeStateSteps } from './node-reset-steps.js';

/** Where the re-init expects the Flannel manifest on the control plane (never downloaded by netcheck). */
export const FLANNEL_MANIFEST = '/etc/netcheck/kube-flannel.yml';

/**
 * The most dangerous plan: the control plane is reset and initialised again with the cluster's pod
 * network, then Flannel is applied. It checks its prerequisites before touching anything, backs up
 * etcd as well, and needs two approvers (see authorize.ts). Workers must then be reset and rejoined.
 */
export const reinitControlPlane: Runbook<'reinit-control-plane'> = {
  steps: (r, backup) => [
    shellStep(
      r.node,
      `check before anything changes: ${FLANNEL_MANIFEST} is on ${r.node} and its net-conf Network is ${r.podNetworkCidr}`,
      remedyCommands.flannelManifestReady(FLANNEL_MANIFEST, r.podNetworkCidr),
      remedyCommands.flannelManifestReady(FLANNEL_MANIFEST, r.podNetworkCidr),
      false,
    ),
    backupNodeStateStep(r.node, backup),
    shellStep(
      r.node,
      'back up etcd (a snapshot where etcdctl is installed, and its data directory)',
      remedyCommands.backupEtcd(backup.dir),
      remedyCommands.etcdBackedUp(backup.dir),
      false,
      120_000,
    ),
    ...resetAndCleanSteps(r.node, backup.dir),
    shellStep(
      r.node,
      `kubeadm init --pod-network-cidr=${r.podNetworkCidr}`,
      remedyCommands.kubeadmInit(r.podNetworkCidr),
      remedyCommands.adminConfPresent(),
      true,
      300_000,
    ),
    shellStep(
      r.node,
      `apply the Flannel manifest ${FLANNEL_MANIFEST}`,
      remedyCommands.applyManifest(FLANNEL_MANIFEST),
      remedyCommands.flannelDaemonSetPresent(),
      true,
      60_000,
    ),
  ],
  rollback: (r, { backupDir, destructive }) => [
    shellStep(
      r.node,
      'restore the saved etcd data directory',
      remedyCommands.restoreEtcdData(backupDir),
      remedyCommands.etcdBackedUp(backupDir),
      destructive,
    ),
    ...restoreNodeStateSteps(r.node, backupDir, destructive),
  ],
};
