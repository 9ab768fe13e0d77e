import type { FaultImpl } from './fault-impl.js';
import type { FaultId, FaultSpec } from './fault-spec.js';
import { CONNTRACK_FAULTS } from './faults-conntrack.js';
import { FIREWALL_FAULTS } from './faults-firewall.js';
import { FLANNEL_PEER_FAULTS } from './faults-flannel-peers.js';
import { HOST_NETWORK_FAULTS } from './faults-host-network.js';
import { NFTABLES_FAULTS } from './faults-nftables.js';
import { NODE_CONFIG_FAULTS } from './faults-node-config.js';
import { OVERLAY_FAULTS } from './faults-overlay.js';
import { POD_CIDR_FAULTS } from './faults-pod-cidr.js';
import { SERVICE_FAULTS } from './faults-services.js';
import { LabError } from './lab-exec.js';
import { nodeRun, writeNodeFile } from './lab-node-exec.js';
import { flannelLogDir, flannelStartupLog } from './lab-node-files.js';
import { type LabRef, type LabState, loadState, saveState } from './lab-state.js';
import type { LabNodeSpec } from './lab-topology.js';

/** Every fault by id; a Record so a fault listed in FAULT_IDS but made by no family fails the typecheck. */
const FAULTS: Record<FaultId, FaultImpl> = {
  ...FIREWALL_FAULTS,
  ...NODE_CONFIG_FAULTS,
  ...POD_CIDR_FAULTS,
  ...OVERLAY_FAULTS,
  ...SERVICE_FAULTS,
  ...HOST_NETWORK_FAULTS,
  ...CONNTRACK_FAULTS,
  ...FLANNEL_PEER_FAULTS,
  ...NFTABLES_FAULTS,
};

async function restartFlannelLog(state: LabState, node: LabNodeSpec): Promise<void> {
  const { stdout } = await nodeRun(state, node.name, [
    'sh',
    '-c',
    'ls -1 "$1" | wc -l',
    'sh',
    flannelLogDir(node),
  ]);
  await writeNodeFile(
    state,
    node.name,
    `${flannelLogDir(node)}/${Number(stdout.trim()) || 1}.log`,
    flannelStartupLog(node),
  );
}

async function resolve(
  opts: LabRef,
  spec: FaultSpec,
): Promise<{ state: LabState; node: LabNodeSpec; impl: FaultImpl }> {
  const state = await loadState(opts);
  if (!state)
    throw new LabError(`no lab "${opts.labId ?? 'nclab'}" is running: start one with \`netcheck lab up\``);
  const node = state.specs.find((s) => s.name === spec.node);
  if (!node)
    throw new LabError(
      `no node "${spec.node}" in lab ${state.labId}; nodes: ${state.specs.map((s) => s.name).join(', ')}`,
    );
  const impl = FAULTS[spec.id];
  if (impl.controlPlaneOnly && node.role !== 'control-plane')
    throw new LabError(`${spec.id} can only be injected on the control plane (${state.specs[0]!.name})`);
  return { state, node, impl };
}

export async function addFault(opts: LabRef, spec: FaultSpec): Promise<void> {
  const { state, node, impl } = await resolve(opts, spec);
  if (state.faults.some((f) => f.id === spec.id && f.node === spec.node)) return;
  await impl.add(state, node);
  state.faults.push({ id: spec.id, node: spec.node });
  await saveState(state);
}

export async function clearFault(opts: LabRef, spec: FaultSpec): Promise<void> {
  const { state, node, impl } = await resolve(opts, spec);
  await impl.clear(state, node);
  // Fixing a Flannel fault means Flannel restarts: kubelet starts a new container log file.
  // (Not on a standby node: it runs no Flannel.)
  if (!state.standby?.includes(node.name)) await restartFlannelLog(state, node);
  state.faults = state.faults.filter((f) => !(f.id === spec.id && f.node === spec.node));
  await saveState(state);
}
