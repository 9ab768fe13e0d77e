import { createHash } from 'node:crypto';
import { formatCidr, parseCidr } from '../diagnosis/cidr.js';
import type { DiagnosisReport } from '../diagnosis/diagnosis-report.js';
import type { Remedy } from '../diagnosis/remedy.js';
import type { Plan, PlanStep } from './plan.js';
import { remedyCommands } from './remedy-commands.js';

const STEP_TIMEOUT_MS = 10_000;

/** The narrow fix for one remedy: back up what changes, change only that, check it. */
export function stepsFor(remedy: Remedy, backupDir: string): Omit<PlanStep, 'n'>[] {
  switch (remedy.kind) {
    case 'delete-iptables-rules':
      return [
        {
          node: remedy.node,
          title: `back up the iptables rules of ${remedy.node}`,
          command: remedyCommands.backupIptables(backupDir).text,
          check: remedyCommands.fileNotEmpty(`${backupDir}/iptables.rules`).text,
          destructive: false,
          timeoutMs: STEP_TIMEOUT_MS,
        },
        ...remedy.rules.map((r) => ({
          node: remedy.node,
          title: `delete the offending rule ${r.line}`,
          command: remedyCommands.deleteRule(r.table, r.line).text,
          check: remedyCommands.ruleAbsent(r.table, r.line).text,
          destructive: false,
          timeoutMs: STEP_TIMEOUT_MS,
        })),
      ];
    case 'set-sysctl':
      return [
        {
          node: remedy.node,
          title: `set ${remedy.key} = ${remedy.value} and persist it`,
          command: remedyCommands.setSysctl(remedy.key, remedy.value, backupDir).text,
          check: remedyCommands.sysctlIs(remedy.key, remedy.value).text,
          destructive: false,
          timeoutMs: STEP_TIMEOUT_MS,
        },
      ];
    case 'reset-worker':
      return resetWorkerSteps(remedy, backupDir);
    case 'reinit-control-plane':
      return reinitControlPlaneSteps(remedy, backupDir);
    case 'move-cni-config':
      return [
        {
          node: remedy.node,
          title: `move the foreign CNI config ${remedy.file} to the backup folder`,
          command: remedyCommands.moveCniConfig(remedy.file, backupDir).text,
          check: remedyCommands.cniConfigAbsent(remedy.file).text,
          destructive: false,
          timeoutMs: STEP_TIMEOUT_MS,
        },
      ];
  }
}

const STEP = (
  node: string,
  title: string,
  command: string,
  check: string,
  destructive: boolean,
  timeoutMs = STEP_TIMEOUT_MS,
): Omit<PlanStep, 'n'> => ({ node, title, command, check, destructive, timeoutMs });

function backupStep(node: string, dir: string): Omit<PlanStep, 'n'> {
  return STEP(
    node,
    `back up iptables (every backend), /etc/cni/net.d, /var/lib/cni, /run/flannel, /etc/kubernetes and the kubelet config of ${node}`,
    remedyCommands.backupNodeState(dir).text,
    remedyCommands.fileNotEmpty(`${dir}/iptables.rules`).text,
    false,
  );
}

/** FLANNEL-FAILURES.md's safe order: INPUT ACCEPT before any flush, reset, then clean up at once. */
function resetAndCleanSteps(node: string, dir: string): Omit<PlanStep, 'n'>[] {
  return [
    STEP(
      node,
      'set the INPUT policy to ACCEPT before any flush, so SSH is not cut',
      remedyCommands.acceptInput().text,
      remedyCommands.inputAccepts().text,
      false,
    ),
    STEP(
      node,
      'kubeadm reset --force',
      remedyCommands.kubeadmReset().text,
      remedyCommands.kubeletConfAbsent().text,
      true,
      120_000,
    ),
    STEP(
      node,
      'move /etc/cni/net.d into the backup',
      remedyCommands.moveCniDir(dir).text,
      remedyCommands.cniDirMoved(dir).text,
      true,
    ),
    STEP(
      node,
      'flush the filter, nat and mangle tables and delete their chains',
      remedyCommands.flushTables().text,
      remedyCommands.tablesEmpty().text,
      true,
    ),
    STEP(
      node,
      'delete cni0, flannel.1 and kube-ipvs0',
      remedyCommands.deleteCniLinks().text,
      remedyCommands.cniLinksGone().text,
      true,
    ),
  ];
}

function resetWorkerSteps(r: Extract<Remedy, { kind: 'reset-worker' }>, dir: string): Omit<PlanStep, 'n'>[] {
  const steps: Omit<PlanStep, 'n'>[] = [
    backupStep(r.node, dir),
    {
      ...STEP(
        r.node,
        `drain ${r.node} and delete its node object through the Kubernetes API (skipped, and said so, when the API does not answer)`,
        `kubectl cordon ${r.node}; evict its pods except DaemonSet and mirror pods; kubectl delete node ${r.node}`,
        `GET /api/v1/nodes/${r.node} returns 404`,
        true,
        60_000,
      ),
      kind: 'drain',
    },
    ...resetAndCleanSteps(r.node, dir),
  ];
  if (r.uplink) {
    const network = formatCidr(parseCidr(`${r.uplink.address}/${r.uplink.prefixlen}`)!).split('/')[0]!;
    steps.push(
      STEP(
        r.node,
        `give the node network ${network}/${r.uplink.prefixlen} its route via ${r.uplink.iface} back (the overlay had replaced it)`,
        remedyCommands.restoreConnectedRoute(r.uplink.iface, r.uplink.address, r.uplink.prefixlen, network)
          .text,
        remedyCommands.routeVia(network, r.uplink.iface).text,
        false,
      ),
    );
  }
  steps.push({
    ...STEP(
      r.node,
      `rejoin the cluster with a fresh join command from ${r.controlPlane} (its token is never shown)`,
      `kubeadm join <fresh: kubeadm token create --print-join-command on ${r.controlPlane}>`,
      remedyCommands.kubeletConfPresent().text,
      true,
      120_000,
    ),
    kind: 'join',
    joinFrom: r.controlPlane,
  });
  return steps;
}

/** Where the re-init expects the Flannel manifest on the control plane (never downloaded by netcheck). */
export const FLANNEL_MANIFEST = '/etc/netcheck/kube-flannel.yml';

/**
 * The most dangerous plan: the control plane is reset and initialised again with the cluster's pod
 * network, then Flannel is applied. It checks its prerequisites before touching anything, backs up
 * etcd as well, and needs two approvers (see authorize.ts). Workers must then be reset and rejoined.
 */
function reinitControlPlaneSteps(
  r: Extract<Remedy, { kind: 'reinit-control-plane' }>,
  dir: string,
): Omit<PlanStep, 'n'>[] {
  return [
    STEP(
      r.node,
      `check before anything changes: ${FLANNEL_MANIFEST} is on ${r.node} and its net-conf Network is ${r.podNetworkCidr}`,
      remedyCommands.flannelManifestReady(FLANNEL_MANIFEST, r.podNetworkCidr).text,
      remedyCommands.flannelManifestReady(FLANNEL_MANIFEST, r.podNetworkCidr).text,
      false,
    ),
    backupStep(r.node, dir),
    STEP(
      r.node,
      'back up etcd (a snapshot where etcdctl is installed, and its data directory)',
      remedyCommands.backupEtcd(dir).text,
      remedyCommands.etcdBackedUp(dir).text,
      false,
      120_000,
    ),
    ...resetAndCleanSteps(r.node, dir),
    STEP(
      r.node,
      `kubeadm init --pod-network-cidr=${r.podNetworkCidr}`,
      remedyCommands.kubeadmInit(r.podNetworkCidr).text,
      remedyCommands.adminConfPresent().text,
      true,
      300_000,
    ),
    STEP(
      r.node,
      `apply the Flannel manifest ${FLANNEL_MANIFEST}`,
      remedyCommands.applyManifest(FLANNEL_MANIFEST).text,
      remedyCommands.flannelDaemonSetPresent().text,
      true,
      60_000,
    ),
  ];
}

/** A plan for the first root cause that has a known narrow fix, or undefined. Pure. */
export function planFor(
  report: DiagnosisReport,
  ids: { planId: string; runId: string; requestedBy: string; createdAt: string },
): Plan | undefined {
  const cause = report.rootCauses.find((c) => c.remedy);
  if (!cause?.remedy) return undefined;
  const stamp = ids.createdAt.replace(/[-:]/g, '').replace(/\..*$/, '');
  const backupDir = `/var/backups/netcheck/${stamp}-${ids.planId}`;
  const steps = stepsFor(cause.remedy, backupDir).map((s, i) => ({ ...s, n: i + 1 }));
  const hash = hashSteps(steps);
  return {
    planId: ids.planId,
    runId: ids.runId,
    causeId: cause.id,
    node: cause.remedy.node,
    requestedBy: ids.requestedBy,
    steps,
    destructive: steps.some((s) => s.destructive),
    backupDir,
    hash,
    createdAt: ids.createdAt,
    remedy: cause.remedy,
  };
}

function hashSteps(steps: readonly PlanStep[]): string {
  return createHash('sha256')
    .update(JSON.stringify(steps.map((s) => [s.node, s.command, s.check, s.destructive])))
    .digest('hex');
}

/** Undo a plan from its backup. Offered after a failed step; approved under the same rules as the plan. */
export function rollbackPlanFor(plan: Plan, ids: { planId: string; createdAt: string }): Plan {
  const r = plan.remedy;
  const dir = plan.backupDir;
  const step = (title: string, command: string, check: string): Omit<PlanStep, 'n'> => ({
    node: r.node,
    title,
    command,
    check,
    destructive: plan.destructive,
    timeoutMs: STEP_TIMEOUT_MS,
  });
  const raw: Omit<PlanStep, 'n'>[] =
    r.kind === 'delete-iptables-rules'
      ? [
          step(
            `restore the iptables rules saved before plan ${plan.planId}`,
            remedyCommands.restoreIptables(dir).text,
            // The deleted rule is back: the restore took.
            r.rules[0]
              ? remedyCommands.rulePresent(r.rules[0].table, r.rules[0].line).text
              : remedyCommands.fileNotEmpty(`${dir}/iptables.rules`).text,
          ),
        ]
      : r.kind === 'set-sysctl'
        ? [
            step(
              `restore ${r.key} to its saved value`,
              remedyCommands.restoreSysctl(r.key, dir).text,
              remedyCommands.sysctlIsSaved(r.key, dir).text,
            ),
          ]
        : r.kind === 'move-cni-config'
          ? [
              step(
                `move ${r.file} back into /etc/cni/net.d`,
                remedyCommands.restoreCniConfig(r.file, dir).text,
                remedyCommands.cniConfigPresent(r.file).text,
              ),
            ]
          : [
              ...(r.kind === 'reinit-control-plane'
                ? [
                    step(
                      'restore the saved etcd data directory',
                      remedyCommands.restoreEtcdData(dir).text,
                      remedyCommands.etcdBackedUp(dir).text,
                    ),
                  ]
                : []),
              step(
                'restore the saved Kubernetes/CNI files',
                remedyCommands.restoreNodeFiles(dir).text,
                remedyCommands.fileNotEmpty(`${dir}/state.tgz`).text,
              ),
              step(
                'restore the saved iptables rules',
                remedyCommands.restoreIptables(dir).text,
                remedyCommands.fileNotEmpty(`${dir}/iptables.rules`).text,
              ),
            ];
  const steps = raw.map((s, i) => ({ ...s, n: i + 1 }));
  return {
    ...plan,
    planId: ids.planId,
    causeId: `rollback of ${plan.causeId}`,
    steps,
    hash: hashSteps(steps),
    createdAt: ids.createdAt,
    rollbackOf: plan.planId,
  };
}
