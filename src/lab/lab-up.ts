import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { mapLimit } from '../core/map-limit.js';
import type { FaultSpec } from './fault-spec.js';
import { startApiServer } from './lab-apiserver.js';
import { crictlStandIn } from './lab-crictl.js';
import { dmesgStandIn } from './lab-dmesg.js';
import { labDown } from './lab-down.js';
import { bridgeMac, guardLabEgress } from './lab-egress-guard.js';
import { LabError, requireRoot, run, tryRun } from './lab-exec.js';
import { addFault } from './lab-faults.js';
import { kubeadmStandIn } from './lab-kubeadm.js';
import { nmcliStandIn } from './lab-nmcli.js';
import { createNode } from './lab-node-setup.js';
import { setupOverlay } from './lab-overlay.js';
import { makeCertificates, writeKubeconfig } from './lab-pki.js';
import { ensureRootfs, isLabDistro, LAB_DISTROS, type LabDistro } from './lab-rootfs.js';
import { type LabState, labStateDir, loadState, nodeDir, saveState } from './lab-state.js';
import { isIntact } from './lab-status.js';
import { labNet, nodeSpecs } from './lab-topology.js';

export interface LabOptions {
  readonly labId?: string;
  readonly netIndex?: number;
  readonly workers?: number;
  readonly faults?: readonly FaultSpec[];
  readonly stateRoot?: string;
  /**
   * Nodes that run another Debian release's userland, by node name (`{ 'node-2': 'trixie' }`);
   * the key `*` applies to every node not named. Absent: the host's userland, as before.
   */
  readonly distros?: Readonly<Record<string, LabDistro>>;
  /** Workers kept out of the cluster, as before `kubeadm join` (for `/netcheck preflight`). */
  readonly standby?: readonly string[];
}

/** Standby node names, checked: workers of this lab only (the control plane is the cluster). */
function standbyFor(opts: LabOptions, names: readonly string[]): string[] {
  const standby = [...new Set(opts.standby ?? [])].sort();
  for (const name of standby)
    if (!names.includes(name) || name === names[0])
      throw new LabError(
        `--standby ${name}: expected a worker of this lab (${names.slice(1).join(', ')}); the control plane cannot stand by`,
      );
  return standby;
}

const LAB_ID = /^[a-z][a-z0-9]{0,7}$/;

/** Nodes per lab (`--nodes`): addresses 198.18.N.10-209 stay inside the /24. */
export const MAX_NODES = 200;

/**
 * Nodes set up at once: each setup is a chain of short processes (namespaces, mounts, veth,
 * ssh-keygen, sshd, iptables-restore); all 100 at once only makes them queue for the 2 CPUs
 * and hit the 20 s per-command deadline.
 */
const SETUP_PARALLEL = 12;

/** Node name → release, for the nodes that have one; unknown names and releases are refused. */
function distrosFor(opts: LabOptions, names: readonly string[]): Record<string, LabDistro> {
  const out: Record<string, LabDistro> = {};
  const given = opts.distros ?? {};
  for (const [node, distro] of Object.entries(given)) {
    if (node !== '*' && !names.includes(node))
      throw new LabError(
        `--distro ${node}=${distro}: no node "${node}" in this lab (nodes: ${names.join(', ')})`,
      );
    if (!isLabDistro(distro))
      throw new LabError(
        `--distro ${node}=${distro}: unknown release, expected one of ${LAB_DISTROS.join(', ')}`,
      );
  }
  for (const name of names) {
    const distro = given[name] ?? given['*'];
    if (distro) out[name] = distro;
  }
  return out;
}

function normalise(opts: LabOptions): { labId: string; netIndex: number; workers: number; stateDir: string } {
  const labId = opts.labId ?? 'nclab';
  if (!LAB_ID.test(labId))
    throw new LabError(
      `lab id "${labId}" is invalid: expected 1-8 lowercase letters/digits starting with a letter`,
    );
  const netIndex = opts.netIndex ?? 0;
  if (!Number.isInteger(netIndex) || netIndex < 0 || netIndex > 255)
    throw new LabError(
      `net index ${netIndex} is invalid: expected 0..255 (the lab network is 198.18.<index>.0/24)`,
    );
  const workers = opts.workers ?? 3;
  if (!Number.isInteger(workers) || workers < 1 || workers > MAX_NODES - 1)
    throw new LabError(
      `--workers ${workers} is invalid: expected 1..${MAX_NODES - 1} (--nodes N: 2..${MAX_NODES}, one control plane and N-1 workers)`,
    );
  return { labId, netIndex, workers, stateDir: labStateDir({ labId, stateRoot: opts.stateRoot }) };
}

/** Builds the lab; if it already runs intact, returns it as it is. */
export async function labUp(opts: LabOptions = {}): Promise<LabState> {
  requireRoot();
  const { labId, netIndex, workers, stateDir } = normalise(opts);
  const ref = { labId, stateRoot: opts.stateRoot };
  const names = nodeSpecs(labId, netIndex, workers).map((s) => s.name);
  const distros = distrosFor(opts, names);
  const standby = standbyFor(opts, names);
  const existing = await loadState(ref);
  // A running lab is kept only if its nodes run the releases asked for now.
  const sameDistros = (s: LabState) => s.specs.every((n) => (n.distro ?? '') === (distros[n.name] ?? ''));
  const sameStandby = (s: LabState) => (s.standby ?? []).join(',') === standby.join(',');
  if (existing && sameDistros(existing) && sameStandby(existing) && (await isIntact(existing))) {
    for (const fault of opts.faults ?? [])
      if (!existing.faults.some((f) => f.id === fault.id && f.node === fault.node))
        await addFault(ref, fault);
    return (await loadState(ref))!;
  }
  await labDown(ref);

  // Built once per release into the cache (minutes, from Debian's mirror), reused after that.
  for (const distro of new Set(Object.values(distros))) await ensureRootfs(distro);
  const specs = nodeSpecs(labId, netIndex, workers, distros);
  const { prefix, bridgeAddress } = labNet(netIndex);
  const cp = specs[0]!;
  const state: LabState = {
    labId,
    netIndex,
    specs,
    nodes: specs.map((s) => ({ name: s.name, role: s.role, host: s.host, port: 22, podSubnet: s.podSubnet })),
    stateDir,
    privateKeyPath: path.join(stateDir, 'keys', 'id_ed25519'),
    knownHostsPath: path.join(stateDir, 'keys', 'known_hosts'),
    kubeconfigPath: path.join(stateDir, 'kubeconfig'),
    caPath: path.join(stateDir, 'pki', 'ca.crt'),
    apiServer: `https://${cp.host}:6443`,
    apiToken: `lab-${labId}-token`,
    faults: [],
    apiOverrides: {},
    ...(standby.length > 0 ? { standby } : {}),
  };
  try {
    await mkdir(path.join(stateDir, 'keys'), { recursive: true });
    await mkdir(path.join(stateDir, 'ns'), { recursive: true });
    await mkdir(path.join(stateDir, 'bin'), { recursive: true });
    await saveState(state);
    // Persistent mount/UTS namespaces are bound to files; their directory must be a private mount.
    await run(['mount', '--bind', path.join(stateDir, 'ns'), path.join(stateDir, 'ns')]);
    await run(['mount', '--make-private', path.join(stateDir, 'ns')]);

    // Nothing aimed at the lab's range may leave the machine, even after `lab down`.
    const unreachable = await tryRun(['ip', 'route', 'show', '198.18.0.0/15']);
    if (!unreachable.stdout.includes('unreachable'))
      await run(['ip', 'route', 'add', 'unreachable', '198.18.0.0/15']);
    await raiseHostLimits(specs.length);
    const bridge = `${labId}br`;
    // Before any node has its default route via the bridge: nothing routed may leave through it.
    await guardLabEgress(labId, netIndex, bridge);
    await run(['ip', 'link', 'add', bridge, 'address', bridgeMac(netIndex), 'type', 'bridge']);
    await run(['ip', 'addr', 'add', `${bridgeAddress}/24`, 'dev', bridge]);
    await run(['ip', 'link', 'set', bridge, 'up']);

    await run([
      'ssh-keygen',
      '-q',
      '-t',
      'ed25519',
      '-N',
      '',
      '-C',
      `netcheck-lab-${labId}`,
      '-f',
      state.privateKeyPath,
    ]);
    await makeCertificates(state);
    await writeFile(path.join(stateDir, 'bin', 'kubeadm'), kubeadmStandIn(stateDir), { mode: 0o755 });
    await writeFile(path.join(stateDir, 'bin', 'nmcli'), nmcliStandIn(), { mode: 0o755 });
    await writeFile(path.join(stateDir, 'bin', 'dmesg'), dmesgStandIn(), { mode: 0o755 });
    await writeFile(path.join(stateDir, 'bin', 'crictl'), crictlStandIn(), { mode: 0o755 });

    await mapLimit(specs, SETUP_PARALLEL, (spec) => createNode(state, spec, bridge, prefix));
    // A standby node has not joined: no overlay on it, and no peer knows its VTEP.
    await mapLimit(
      specs.filter((s) => !standby.includes(s.name)),
      SETUP_PARALLEL,
      (spec) => setupOverlay(state, spec),
    );
    const knownHosts = await Promise.all(
      specs.map(
        async (s) =>
          `${s.host} ${(await readFile(path.join(nodeDir(state, s.name), 'ssh_host_ed25519_key.pub'), 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ')}`,
      ),
    );
    await writeFile(state.knownHostsPath, `${knownHosts.join('\n')}\n`);
    await startApiServer(state);
    await writeKubeconfig(state);
    await saveState(state);
    for (const fault of opts.faults ?? []) await addFault(ref, fault);
    return (await loadState(ref))!;
  } catch (error) {
    await labDown(ref);
    throw error;
  }
}

/**
 * Two kernel tables every namespace shares, sized for one machine, not for 100 nodes on one:
 * - the ARP table (gc_thresh3 = 1024 entries for all namespaces together): 50 nodes that each
 *   resolve 49 peers (and hold 49 permanent flannel.1 neighbours) overflow it ("neighbour table
 *   overflow", and the pairs past the limit time out);
 * - the per-CPU receive backlog (net.core.netdev_max_backlog = 1000): every veth hop goes through
 *   it, and 50 nodes probing each other at once overflowed it (/proc/net/softnet_stat drops).
 * A real node has its own kernel and NIC; a big lab gets limits to match. Raised, never lowered,
 * and left as they are after `lab down` (like the unreachable route).
 */
async function raiseHostLimits(nodes: number): Promise<void> {
  if (nodes <= 20) return;
  const square = nodes * nodes;
  const limits: [string, number][] = [
    ['/proc/sys/net/core/netdev_max_backlog', Math.min(100_000, nodes * 400)],
    ['/proc/sys/net/ipv4/neigh/default/gc_thresh1', square * 2],
    ['/proc/sys/net/ipv4/neigh/default/gc_thresh2', square * 3],
    ['/proc/sys/net/ipv4/neigh/default/gc_thresh3', square * 4],
  ];
  for (const [file, wanted] of limits) {
    const current = Number((await readFile(file, 'utf8').catch(() => '0')).trim());
    if (current < wanted) await writeFile(file, `${wanted}\n`).catch(() => undefined);
  }
}
