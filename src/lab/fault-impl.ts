import type { FaultId } from './fault-spec.js';
import { run, tryRun } from './lab-exec.js';
import { nodeRun } from './lab-node-exec.js';
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

export const ipt = (node: LabNodeSpec, ...args: string[]) =>
  run(['ip', 'netns', 'exec', node.netns, 'iptables', ...args]).then(() => undefined);
export const ip = (node: LabNodeSpec, ...args: string[]) =>
  run(['ip', '-n', node.netns, ...args]).then(() => undefined);
export const sysctl = (node: LabNodeSpec, setting: string) =>
  run(['ip', 'netns', 'exec', node.netns, 'sysctl', '-qw', setting]).then(() => undefined);
export const controlPlane = (state: LabState): LabNodeSpec => state.specs[0]!;

/** Appends a line to the node's Flannel container log, as Flannel would log it. */
export async function appendFlannelLog(state: LabState, node: LabNodeSpec, message: string): Promise<void> {
  await nodeRun(
    state,
    node.name,
    ['sh', '-c', 'cat >> "$1"', 'sh', `${flannelLogDir(node)}/0.log`],
    criLine(message),
  );
}

/** Insert a rule with -I; clear deletes exactly that rule. */
export function ruleFault(spec: (state: LabState, node: LabNodeSpec) => string[]): FaultImpl {
  return {
    add: (state, node) => ipt(node, '-I', ...spec(state, node)),
    clear: (state, node) =>
      tryRun(['ip', 'netns', 'exec', node.netns, 'iptables', '-D', ...spec(state, node)]).then(
        () => undefined,
      ),
  };
}
