/**
 * The lab's public face: everything the CLI, the local mode, the tests and the bench use, from
 * one module. The parts live next to it, one concern per file: topology, state file, node setup
 * (namespaces, mounts, veth, sshd), overlay, stand-ins (kubeadm, API server, PKI), up/down/status,
 * and faults by family behind one dispatch record (lab-faults.ts).
 */
export { type FaultId, type FaultSpec, parseFaultSpec } from './fault-spec.js';
export { startApiServer, stopApiServer } from './lab-apiserver.js';
export { labDown } from './lab-down.js';
export { egressDrops } from './lab-egress-guard.js';
export { addFault, clearFault } from './lab-faults.js';
export { writeInventory } from './lab-inventory.js';
export { labExec, nodeArgv, nodeRun, writeNodeFile } from './lab-node-exec.js';
export { setupOverlay } from './lab-overlay.js';
export { ensureRootfs, LAB_DISTROS, type LabDistro, rootfsDir, rootfsReady } from './lab-rootfs.js';
export { startSshd, stopSshd } from './lab-sshd.js';
export { DEFAULT_STATE_ROOT, type LabNode, type LabState, loadState, saveState } from './lab-state.js';
export { type LabStatus, labStatus } from './lab-status.js';
export { type LabOptions, labUp } from './lab-up.js';
