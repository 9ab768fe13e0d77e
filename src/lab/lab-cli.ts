import path from 'node:path';
import { parseFaultSpec } from './fault-spec.js';
import {
  addFault,
  clearFault,
  DEFAULT_STATE_ROOT,
  type FaultSpec,
  labDown,
  labStatus,
  labUp,
  loadState,
  writeInventory,
} from './lab.js';
import { LabError } from './lab-exec.js';
import {
  ensureRootfs,
  isLabDistro,
  LAB_DISTROS,
  type LabDistro,
  rootfsDir,
  rootfsReady,
} from './lab-rootfs.js';

/** Builds a release's root file system if it is missing, saying so (it takes a minute or more). */
async function buildRootfs(distro: LabDistro): Promise<void> {
  if (rootfsReady(distro)) {
    console.log(`${distro}: ${rootfsDir(distro)} is ready (cached)`);
    return;
  }
  console.log(`${distro}: building ${rootfsDir(distro)} with debootstrap (once; a minute or more)…`);
  const started = performance.now();
  const { built } = await ensureRootfs(distro);
  const seconds = Math.round((performance.now() - started) / 1000);
  console.log(`${distro}: ${built ? 'built' : 'built meanwhile by another run, reused'} after ${seconds} s`);
}

export const LAB_USAGE = `usage: netcheck lab up [--nodes N | --workers N] [--fault ID@NODE …] [--distro [NODE=]RELEASE …] [--standby NODE …] [--lab-id ID] [--net-index N]
       netcheck lab rootfs RELEASE …   (build the cached root file system of bookworm/trixie nodes)
       netcheck lab down [--lab-id ID]
       netcheck lab fault add|clear ID@NODE [--lab-id ID]
       netcheck lab status [--lab-id ID]
       netcheck lab inventory [--dir DIR] [--lab-id ID]`;

interface Flags {
  labId: string | undefined;
  netIndex: number | undefined;
  workers: number | undefined;
  /** `--nodes N`: one control plane and N-1 workers (the documented form; --workers N is N+1 nodes). */
  nodes: number | undefined;
  dir: string | undefined;
  faults: FaultSpec[];
  /** Node name (or `*` for every node) → Debian release its userland comes from. */
  distros: Record<string, LabDistro>;
  /** Workers kept out of the cluster (not joined yet), for `/netcheck preflight`. */
  standby: string[];
  rest: string[];
}

/** `--distro trixie` (every node) or `--distro node-2=trixie`. */
function distroFlag(value: string, into: Record<string, LabDistro>): void {
  const [node, distro] = value.includes('=') ? value.split('=', 2) : ['*', value];
  if (!node || !distro || !isLabDistro(distro))
    throw new LabError(
      `--distro expects [NODE=]RELEASE with RELEASE one of ${LAB_DISTROS.join(', ')}, got "${value}"`,
    );
  into[node] = distro;
}

function intFlag(name: string, value: string | undefined): number {
  if (value === undefined || !/^\d+$/.test(value))
    throw new LabError(`${name} needs a whole number, got ${value === undefined ? 'nothing' : `"${value}"`}`);
  return Number(value);
}

export function parseLabFlags(args: readonly string[]): Flags {
  const flags: Flags = {
    labId: undefined,
    netIndex: undefined,
    workers: undefined,
    nodes: undefined,
    dir: undefined,
    faults: [],
    distros: {},
    standby: [],
    rest: [],
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = () => {
      const v = args[++i];
      if (v === undefined) throw new LabError(`${a} needs a value`);
      return v;
    };
    if (a === '--lab-id') flags.labId = value();
    else if (a === '--net-index') flags.netIndex = intFlag(a, value());
    else if (a === '--workers') flags.workers = intFlag(a, value());
    else if (a === '--nodes') flags.nodes = nodesFlag(value());
    else if (a === '--dir') flags.dir = value();
    else if (a === '--fault') flags.faults.push(parseFaultSpec(value()));
    else if (a === '--distro') distroFlag(value(), flags.distros);
    else if (a === '--standby') flags.standby.push(value());
    else if (a.startsWith('--')) throw new LabError(`unknown option ${a}\n${LAB_USAGE}`);
    else flags.rest.push(a);
  }
  if (flags.nodes !== undefined && flags.workers !== undefined && flags.workers !== flags.nodes - 1)
    throw new LabError(
      `--nodes ${flags.nodes} and --workers ${flags.workers} disagree (--nodes N is one control plane and N-1 workers); give one of them`,
    );
  if (flags.nodes !== undefined) flags.workers = flags.nodes - 1;
  return flags;
}

/** `--nodes N`: 2..200 (the control plane and at least one worker; addresses stay in the /24). */
function nodesFlag(value: string): number {
  const n = intFlag('--nodes', value);
  if (n < 2 || n > 200)
    throw new LabError(`--nodes ${n} is invalid: expected 2..200 (one control plane and N-1 workers)`);
  return n;
}

/** `netcheck lab …`. Returns the exit status; prints what it did and how to undo it. */
export async function runLabCli(argv: readonly string[]): Promise<number> {
  const [command, ...args] = argv;
  try {
    const f = parseLabFlags(args);
    const id = { labId: f.labId, stateRoot: process.env.NETCHECK_LAB_ROOT ?? DEFAULT_STATE_ROOT };
    switch (command) {
      case 'up': {
        for (const distro of new Set(Object.values(f.distros))) await buildRootfs(distro);
        const started = performance.now();
        const state = await labUp({
          ...id,
          netIndex: f.netIndex,
          workers: f.workers,
          faults: f.faults,
          distros: f.distros,
          ...(f.standby.length > 0 ? { standby: f.standby } : {}),
        });
        console.log(
          `lab ${state.labId} is up in ${Math.round(performance.now() - started)} ms: ${state.nodes.map((n) => `${n.name}=${n.host}`).join(' ')}`,
        );
        if (state.standby?.length) console.log(`standby (not joined): ${state.standby.join(' ')}`);
        if (state.faults.length > 0)
          console.log(`faults: ${state.faults.map((x) => `${x.id}@${x.node}`).join(' ')}`);
        console.log(
          `next: netcheck lab inventory --dir ./lab   ·   stop: netcheck lab down${f.labId ? ` --lab-id ${f.labId}` : ''}`,
        );
        return 0;
      }
      case 'rootfs': {
        if (f.rest.length === 0) throw new LabError(`which release? ${LAB_DISTROS.join(', ')}\n${LAB_USAGE}`);
        for (const distro of f.rest) {
          if (!isLabDistro(distro))
            throw new LabError(`unknown release "${distro}": expected one of ${LAB_DISTROS.join(', ')}`);
          await buildRootfs(distro);
        }
        return 0;
      }
      case 'down':
        await labDown(id);
        console.log(`lab ${f.labId ?? 'nclab'} is down`);
        return 0;
      case 'fault': {
        const [verb, text] = f.rest;
        if ((verb !== 'add' && verb !== 'clear') || !text)
          throw new LabError(`expected "lab fault add ID@NODE" or "lab fault clear ID@NODE"\n${LAB_USAGE}`);
        const spec = parseFaultSpec(text);
        await (verb === 'add' ? addFault(id, spec) : clearFault(id, spec));
        console.log(`${verb === 'add' ? 'added' : 'cleared'} ${spec.id}@${spec.node}`);
        return 0;
      }
      case 'status': {
        const status = await labStatus(id);
        console.log(JSON.stringify(status, null, 2));
        return status.running ? 0 : 1;
      }
      case 'inventory': {
        const state = await loadState(id);
        if (!state)
          throw new LabError(`no lab "${f.labId ?? 'nclab'}" is running: start one with \`netcheck lab up\``);
        const files = await writeInventory(state, path.resolve(f.dir ?? 'lab'));
        console.log(
          `wrote ${files.inventoryPath}\nrun: NETCHECK_INVENTORY=${files.inventoryPath} KUBECONFIG=${files.kubeconfigPath} npm start`,
        );
        return 0;
      }
      default:
        console.error(command ? `unknown lab command "${command}"\n${LAB_USAGE}` : LAB_USAGE);
        return 2;
    }
  } catch (error) {
    if (error instanceof LabError) {
      console.error(`netcheck lab: ${error.message}`);
      return 2;
    }
    throw error;
  }
}
