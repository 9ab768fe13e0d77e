import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { FaultSpec } from './fault-spec.js';
import { run } from './lab-exec.js';
import { type LabNodeSpec, stateDirFor } from './lab-topology.js';

export interface LabNode {
  readonly name: string;
  readonly role: 'control-plane' | 'worker';
  readonly host: string;
  readonly port: number;
  readonly podSubnet: string;
}

export interface LabState {
  readonly labId: string;
  readonly netIndex: number;
  readonly nodes: LabNode[];
  readonly specs: LabNodeSpec[];
  readonly stateDir: string;
  readonly privateKeyPath: string;
  readonly knownHostsPath: string;
  readonly kubeconfigPath: string;
  readonly caPath: string;
  readonly apiServer: string;
  readonly apiToken: string;
  faults: FaultSpec[];
  /**
   * Nodes kept out of the cluster (`lab up --standby NODE`): namespace, sshd and network, but no
   * flannel.1/cni0, no CNI config and no API record, as before `kubeadm join`. Absent: none.
   */
  readonly standby?: readonly string[];
  /** Node names whose API record has no podCIDR (fault podcidr-not-assigned). */
  readonly apiOverrides: Record<
    string,
    { podCIDR?: string | null; publicIp?: string; vtepMac?: string; netConfNetwork?: string }
  >;
}

/** Which lab to act on; both default (lab "nclab" under DEFAULT_STATE_ROOT). */
export interface LabRef {
  readonly labId?: string;
  readonly stateRoot?: string;
}

/** /tmp, not /run: each node overlays its own /etc, /var and /run, and overlay layers must not nest. */
export const DEFAULT_STATE_ROOT = '/tmp/netcheck-lab';

export const labStateDir = (opts: LabRef): string =>
  stateDirFor(opts.stateRoot ?? DEFAULT_STATE_ROOT, opts.labId ?? 'nclab');

export async function loadState(opts: LabRef): Promise<LabState | undefined> {
  const file = path.join(labStateDir(opts), 'state.json');
  if (!existsSync(file)) return undefined;
  return JSON.parse(await readFile(file, 'utf8')) as LabState;
}

/** Written to a temporary file and renamed, so the API stand-in never reads half a file. */
export async function saveState(state: LabState): Promise<void> {
  await writeFile(path.join(state.stateDir, 'state.json.tmp'), JSON.stringify(state, null, 2));
  await run(['mv', path.join(state.stateDir, 'state.json.tmp'), path.join(state.stateDir, 'state.json')]);
}

/** A node's own files: overlay layers, host key, sshd config and pid file. */
export const nodeDir = (state: Pick<LabState, 'stateDir'>, node: string): string =>
  path.join(state.stateDir, 'nodes', node);

/** The file a node's persistent mount or UTS namespace is bound to. */
export const nsFile = (state: Pick<LabState, 'stateDir'>, node: string, kind: 'mnt' | 'uts'): string =>
  path.join(state.stateDir, 'ns', `${node}.${kind}`);
