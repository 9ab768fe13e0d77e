import type { FaultId } from './fault-spec.js';
import { run } from './lab-exec.js';
import { labExec, nodeRun } from './lab-node-exec.js';
import { criLine, flannelLogDir } from './lab-node-files.js';
import type { LabState } from './lab-state.js';
import type { LabNodeSpec } from './lab-topology.js';

/** How one fault is injected into a node and taken out again. */
export interface FaultImpl {
  readonly controlPlaneOnly?: boolean;
  add(state: LabState, node: LabNodeSpec): Promise<void>;
  clear(state: LabState, node: LabNodeSpec): Promise<void>;
}

/** One family's faults; `satisfies` it so a key that is not a FaultId fails the typecheck. */
export type FaultFamily = Partial<Record<FaultId, FaultImpl>>;

/**
 * The node's own iptables (inside its mount namespace: a trixie node's 1.8.11, a bookworm node's
 * 1.8.9, both nft), never the host's: rules must be written by the tool that later reads them.
 */
export const ipt = (state: LabState, node: LabNodeSpec, ...args: string[]) =>
  nodeRun(state, node.name, ['iptables', ...args]).then(() => undefined);
/** ipt that may fail (deleting a rule that may already be gone). */
export const tryIpt = (state: LabState, node: LabNodeSpec, ...args: string[]) =>
  labExec(state, node.name, ['iptables', ...args]).then(() => undefined);
/** Links, addresses and routes: the host's iproute2 on the node's netns (the kernel is shared). */
export const ip = (node: LabNodeSpec, ...args: string[]) =>
  run(['ip', '-n', node.netns, ...args]).then(() => undefined);
export const sysctl = (state: LabState, node: LabNodeSpec, setting: string) =>
  nodeRun(state, node.name, ['sysctl', '-qw', setting]).then(() => undefined);
export const controlPlane = (state: LabState): LabNodeSpec => state.specs[0]!;

/** Appends a line to the node's Flannel container log, as Flannel would log it. */
export async function appendFlannelLog(state: LabState, node: LabNodeSpec, message: string): Promise<void> {
  await nodeRun(
    state,
    node.name,
    // mkdir: a standby node (lab up --standby) has no Flannel log yet; its first line starts one.
    ['sh', '-c', 'mkdir -p "$1" && cat >> "$2"', 'sh', flannelLogDir(node), `${flannelLogDir(node)}/0.log`],
    criLine(message),
  );
}

/** Insert a rule with -I; clear deletes exactly that rule. */
export function ruleFault(spec: (state: LabState, node: LabNodeSpec) => string[]): FaultImpl {
  return {
    add: (state, node) => ipt(state, node, '-I', ...spec(state, node)),
    clear: (state, node) => tryIpt(state, node, '-D', ...spec(state, node)),
  };
}
