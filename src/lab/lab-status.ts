import type { FaultSpec } from './fault-spec.js';
import { labNamespaces } from './lab-process.js';
import { sshdPid } from './lab-sshd.js';
import { type LabRef, type LabState, loadState } from './lab-state.js';

export interface LabStatus {
  readonly labId: string;
  readonly running: boolean;
  readonly nodes: { name: string; host: string; sshd: boolean }[];
  readonly faults: FaultSpec[];
}

/** Every node namespace exists and every sshd runs, except where node-unreachable stopped it. */
export async function isIntact(state: LabState): Promise<boolean> {
  const names = new Set(await labNamespaces(state.labId));
  if (!state.specs.every((s) => names.has(s.netns))) return false;
  for (const s of state.specs) {
    const pid = await sshdPid(state, s.name);
    if (!pid && !state.faults.some((f) => f.id === 'node-unreachable' && f.node === s.name)) return false;
  }
  return true;
}

export async function labStatus(opts: LabRef = {}): Promise<LabStatus> {
  const state = await loadState(opts);
  const labId = opts.labId ?? 'nclab';
  if (!state) return { labId, running: false, nodes: [], faults: [] };
  const nodes = await Promise.all(
    state.specs.map(async (s) => ({ name: s.name, host: s.host, sshd: !!(await sshdPid(state, s.name)) })),
  );
  return { labId, running: await isIntact(state), nodes, faults: state.faults };
}
