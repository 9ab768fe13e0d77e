import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type FaultId, type FaultSpec, parseFaultSpec } from './fault-spec.js';
import { LabError, run, tryRun } from './lab-exec.js';
import { addFault, clearFault } from './lab-faults.js';
import {
  FLANNEL_CONFLIST,
  flannelLogDir,
  flannelStartupLog,
  nodeIptables,
  restoreScript,
  subnetEnv,
} from './lab-node-files.js';
import { type LabNodeSpec, labNet, nodeSpecs, stateDirFor } from './lab-topology.js';

export { type FaultId, type FaultSpec, parseFaultSpec };

export interface LabOptions {
  readonly labId?: string;
  readonly netIndex?: number;
  readonly workers?: number;
  readonly faults?: readonly FaultSpec[];
  readonly stateRoot?: string;
}

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
  /** Node names whose API record has no podCIDR (fault podcidr-not-assigned). */
  readonly apiOverrides: Record<
    string,
    { podCIDR?: string | null; publicIp?: string; vtepMac?: string; netConfNetwork?: string }
  >;
}

/** /tmp, not /run: each node overlays its own /etc, /var and /run, and overlay layers must not nest. */
export const DEFAULT_STATE_ROOT = '/tmp/netcheck-lab';
const LAB_ID = /^[a-z][a-z0-9]{0,7}$/;

function requireRoot(): void {
  if (process.getuid?.() !== 0) {
    throw new LabError(
      'the lab needs root: it creates network namespaces, veth links and iptables rules (run it as root, e.g. with sudo)',
    );
  }
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
  if (!Number.isInteger(workers) || workers < 1 || workers > 60)
    throw new LabError(`--workers ${workers} is invalid: expected 1..60`);
  return { labId, netIndex, workers, stateDir: stateDirFor(opts.stateRoot ?? DEFAULT_STATE_ROOT, labId) };
}

export async function loadState(opts: { labId?: string; stateRoot?: string }): Promise<LabState | undefined> {
  const file = path.join(
    stateDirFor(opts.stateRoot ?? DEFAULT_STATE_ROOT, opts.labId ?? 'nclab'),
    'state.json',
  );
  if (!existsSync(file)) return undefined;
  return JSON.parse(await readFile(file, 'utf8')) as LabState;
}

export async function saveState(state: LabState): Promise<void> {
  await writeFile(path.join(state.stateDir, 'state.json.tmp'), JSON.stringify(state, null, 2));
  await run(['mv', path.join(state.stateDir, 'state.json.tmp'), path.join(state.stateDir, 'state.json')]);
}

const nodeDir = (state: Pick<LabState, 'stateDir'>, node: string) => path.join(state.stateDir, 'nodes', node);
const nsFile = (state: Pick<LabState, 'stateDir'>, node: string, kind: 'mnt' | 'uts') =>
  path.join(state.stateDir, 'ns', `${node}.${kind}`);

/** Runs argv inside a node: its network, mount and UTS namespaces. */
export function nodeArgv(
  state: Pick<LabState, 'stateDir' | 'specs'>,
  node: string,
  argv: readonly string[],
): string[] {
  const spec = state.specs.find((s) => s.name === node);
  if (!spec)
    throw new LabError(`no node "${node}" in this lab (nodes: ${state.specs.map((s) => s.name).join(', ')})`);
  return [
    'nsenter',
    `--net=/run/netns/${spec.netns}`,
    `--mount=${nsFile(state, node, 'mnt')}`,
    `--uts=${nsFile(state, node, 'uts')}`,
    '--',
    ...argv,
  ];
}

export async function labExec(
  state: Pick<LabState, 'stateDir' | 'specs'>,
  node: string,
  argv: readonly string[],
  opts: { input?: string; timeoutMs?: number } = {},
) {
  return tryRun(nodeArgv(state, node, argv), opts);
}

export async function nodeRun(
  state: Pick<LabState, 'stateDir' | 'specs'>,
  node: string,
  argv: readonly string[],
  input?: string,
) {
  return run(nodeArgv(state, node, argv), input === undefined ? {} : { input });
}

export async function writeNodeFile(
  state: Pick<LabState, 'stateDir' | 'specs'>,
  node: string,
  file: string,
  content: string,
): Promise<void> {
  await nodeRun(state, node, ['sh', '-c', 'mkdir -p "$(dirname "$1")" && cat > "$1"', 'sh', file], content);
}

async function waitForTcp(host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 400 && Date.now() < deadline; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host, port, timeout: 500 });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
      s.once('timeout', () => {
        s.destroy();
        resolve(false);
      });
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new LabError(`nothing answered on ${host}:${port} within ${timeoutMs} ms`);
}

async function namespacesOf(labId: string): Promise<string[]> {
  const { stdout } = await tryRun(['ip', 'netns', 'list']);
  return stdout
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n.startsWith(`${labId}-`));
}

/** Builds the lab; if it already runs intact, returns it as it is. */
export async function labUp(opts: LabOptions = {}): Promise<LabState> {
  requireRoot();
  const { labId, netIndex, workers, stateDir } = normalise(opts);
  const existing = await loadState({ labId, stateRoot: opts.stateRoot });
  if (existing && (await isIntact(existing))) {
    for (const fault of opts.faults ?? [])
      if (!existing.faults.some((f) => f.id === fault.id && f.node === fault.node))
        await addFault({ labId, stateRoot: opts.stateRoot }, fault);
    return (await loadState({ labId, stateRoot: opts.stateRoot }))!;
  }
  await labDown({ labId, stateRoot: opts.stateRoot });

  const specs = nodeSpecs(labId, netIndex, workers);
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
    const bridge = `${labId}br`;
    await run(['ip', 'link', 'add', bridge, 'type', 'bridge']);
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

    await Promise.all(specs.map((spec) => createNode(state, spec, bridge, prefix)));
    await Promise.all(specs.map((spec) => setupOverlay(state, spec)));
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
    for (const fault of opts.faults ?? []) await addFault({ labId, stateRoot: opts.stateRoot }, fault);
    return (await loadState({ labId, stateRoot: opts.stateRoot }))!;
  } catch (error) {
    await labDown({ labId, stateRoot: opts.stateRoot });
    throw error;
  }
}

async function isIntact(state: LabState): Promise<boolean> {
  const names = new Set(await namespacesOf(state.labId));
  if (!state.specs.every((s) => names.has(s.netns))) return false;
  for (const s of state.specs) {
    const pid = await readPid(path.join(nodeDir(state, s.name), 'sshd.pid'));
    if (!pid && !state.faults.some((f) => f.id === 'node-unreachable' && f.node === s.name)) return false;
  }
  return true;
}

async function readPid(file: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(file, 'utf8')).trim());
    if (!Number.isInteger(pid) || pid <= 1) return undefined;
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

async function createNode(state: LabState, spec: LabNodeSpec, bridge: string, prefix: string): Promise<void> {
  const dir = nodeDir(state, spec.name);
  for (const d of ['etc', 'var', 'run', 'root']) {
    await mkdir(path.join(dir, 'ov', d, 'upper'), { recursive: true });
    await mkdir(path.join(dir, 'ov', d, 'work'), { recursive: true });
  }
  await run(['ip', 'netns', 'add', spec.netns]);
  await writeFile(nsFile(state, spec.name, 'mnt'), '');
  await writeFile(nsFile(state, spec.name, 'uts'), '');
  // The node's own view of the file system: overlays over /etc, /var and /run (writes land in the
  // lab's state dir, never on the host), and the lab's stand-in binaries on /usr/local/bin.
  const script = [
    'set -e',
    'hostname "$1"',
    'for d in etc var run root; do mount -t overlay overlay -o "lowerdir=/$d,upperdir=$2/ov/$d/upper,workdir=$2/ov/$d/work" "/$d"; done',
    'mount --bind "$3" /usr/local/bin',
    'mkdir -p /etc/cni/net.d /run/flannel /run/sshd /var/lib/cni /var/log/pods /etc/kubernetes /var/lib/kubelet',
  ].join('\n');
  await run([
    'unshare',
    `--mount=${nsFile(state, spec.name, 'mnt')}`,
    `--uts=${nsFile(state, spec.name, 'uts')}`,
    '--propagation',
    'private',
    '--',
    'sh',
    '-c',
    script,
    'sh',
    spec.name,
    dir,
    path.join(state.stateDir, 'bin'),
  ]);

  const ns = ['ip', '-n', spec.netns];
  const tmp = `${state.labId}t${spec.index}`;
  await run(['ip', 'link', 'add', spec.hostVeth, 'type', 'veth', 'peer', 'name', tmp]);
  await run(['ip', 'link', 'set', tmp, 'netns', spec.netns]);
  await run([...ns, 'link', 'set', tmp, 'name', 'eth0']);
  await run([...ns, 'link', 'set', 'lo', 'up']);
  await run([...ns, 'addr', 'add', `${spec.host}/24`, 'dev', 'eth0']);
  await run([...ns, 'link', 'set', 'eth0', 'up']);
  await run(['ip', 'link', 'set', spec.hostVeth, 'master', bridge]);
  await run(['ip', 'link', 'set', spec.hostVeth, 'up']);
  // The out-of-band management path netcheck's worker uses (as from a bastion): a host route that
  // survives faults which hijack the node network route.
  await run([...ns, 'route', 'add', `${prefix}.1/32`, 'dev', 'eth0']);
  await run(['ip', 'netns', 'exec', spec.netns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);

  await run([
    'ssh-keygen',
    '-q',
    '-t',
    'ed25519',
    '-N',
    '',
    '-C',
    `${spec.name}`,
    '-f',
    path.join(dir, 'ssh_host_ed25519_key'),
  ]);
  await writeFile(path.join(dir, 'authorized_keys'), await readFile(`${state.privateKeyPath}.pub`));
  await chmod(path.join(dir, 'ssh_host_ed25519_key'), 0o600);
  await writeFile(
    path.join(dir, 'sshd_config'),
    [
      `ListenAddress ${spec.host}:22`,
      `HostKey ${path.join(dir, 'ssh_host_ed25519_key')}`,
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'UseDNS no',
      'LogLevel ERROR',
      '',
    ].join('\n'),
  );
  await startSshd(state, spec);

  // A node's root has its own home: the host's ~/.bashrc (sourced by bash for every SSH command)
  // belongs to the machine running the lab, not to a Kubernetes node.
  await writeNodeFile(state, spec.name, '/root/.bashrc', '# netcheck lab node\n');
  await writeNodeFile(
    state,
    spec.name,
    '/var/lib/netcheck-lab/restore.sh',
    restoreScript(
      spec,
      state.specs.filter((p) => p.name !== spec.name),
      state.specs[0]!.host,
    ),
  );
  await writeNodeFile(state, spec.name, '/etc/cni/net.d/10-flannel.conflist', FLANNEL_CONFLIST);
  await writeNodeFile(state, spec.name, '/run/flannel/subnet.env', subnetEnv(spec));
  await writeNodeFile(state, spec.name, `${flannelLogDir(spec)}/0.log`, flannelStartupLog(spec));
  await run(['ip', 'netns', 'exec', spec.netns, 'iptables-restore'], {
    input: nodeIptables(spec, state.specs[0]!.host),
  });
}

export async function startSshd(
  state: Pick<LabState, 'stateDir' | 'specs'>,
  spec: LabNodeSpec,
): Promise<void> {
  await nodeRun(state, spec.name, [
    '/usr/sbin/sshd',
    '-f',
    path.join(nodeDir(state, spec.name), 'sshd_config'),
  ]);
  await waitForTcp(spec.host, 22, 10_000);
}

export async function stopSshd(state: Pick<LabState, 'stateDir'>, spec: LabNodeSpec): Promise<void> {
  const pid = await readPid(path.join(nodeDir(state, spec.name), 'sshd.pid'));
  if (pid) process.kill(pid, 'SIGTERM');
  // Established sessions survive the listener; end them too, as a dead node would.
  const { stdout } = await tryRun(['ip', 'netns', 'pids', spec.netns]);
  for (const p of stdout
    .split('\n')
    .map(Number)
    .filter((n) => n > 1)) {
    const comm = await readFile(`/proc/${p}/comm`, 'utf8').catch(() => '');
    if (comm.trim() === 'sshd') process.kill(p, 'SIGKILL');
  }
  for (let i = 0; i < 100 && (await readPid(path.join(nodeDir(state, spec.name), 'sshd.pid'))); i++)
    await new Promise((r) => setTimeout(r, 20));
}

/** flannel.1, cni0, the FDB/neighbour/route entries to every peer, and one pod on cni0. */
export async function setupOverlay(
  state: LabState,
  spec: LabNodeSpec,
  opts: { local?: string } = {},
): Promise<void> {
  const ns = ['ip', '-n', spec.netns];
  await tryRun([...ns, 'link', 'del', 'flannel.1']);
  await run([
    ...ns,
    'link',
    'add',
    'flannel.1',
    'type',
    'vxlan',
    'id',
    '1',
    'local',
    opts.local ?? spec.host,
    'dev',
    opts.local ? 'eth1' : 'eth0',
    'dstport',
    '8472',
    'nolearning',
  ]);
  await run([...ns, 'link', 'set', 'flannel.1', 'address', spec.vtepMac, 'mtu', '1450']);
  await run([...ns, 'addr', 'add', `${spec.overlayAddress}/32`, 'dev', 'flannel.1']);
  await run([...ns, 'link', 'set', 'flannel.1', 'up']);
  const hasCni0 = (await tryRun([...ns, 'link', 'show', 'cni0'])).code === 0;
  if (!hasCni0) {
    await run([...ns, 'link', 'add', 'cni0', 'type', 'bridge']);
    await run([...ns, 'addr', 'add', `${spec.cni0Address}/24`, 'dev', 'cni0']);
    await run([...ns, 'link', 'set', 'cni0', 'up']);
  }
  for (const peer of state.specs) {
    if (peer.name === spec.name) continue;
    const peerPublic = state.apiOverrides[peer.name]?.publicIp ?? peer.host;
    const peerMac = state.apiOverrides[peer.name]?.vtepMac ?? peer.vtepMac;
    await run(['bridge', '-n', spec.netns, 'fdb', 'append', peerMac, 'dev', 'flannel.1', 'dst', peerPublic]);
    await run([
      ...ns,
      'neigh',
      'replace',
      peer.overlayAddress,
      'lladdr',
      peerMac,
      'dev',
      'flannel.1',
      'nud',
      'permanent',
    ]);
    await run([
      ...ns,
      'route',
      'replace',
      peer.podSubnet,
      'via',
      peer.overlayAddress,
      'dev',
      'flannel.1',
      'onlink',
    ]);
  }
  const pod = `${spec.netns}-pod`;
  const pods = await tryRun(['ip', 'netns', 'list']);
  if (!pods.stdout.split('\n').some((l) => l.split(' ')[0] === pod)) {
    await run(['ip', 'netns', 'add', pod]);
    await run([...ns, 'link', 'add', 'vethpod0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pod]);
    await run([...ns, 'link', 'set', 'vethpod0', 'master', 'cni0', 'up']);
    await run(['ip', '-n', pod, 'link', 'set', 'lo', 'up']);
    await run([
      'ip',
      '-n',
      pod,
      'addr',
      'add',
      `${spec.cni0Address.replace(/\.1$/, '.2')}/24`,
      'dev',
      'eth0',
    ]);
    await run(['ip', '-n', pod, 'link', 'set', 'eth0', 'up']);
    await run(['ip', '-n', pod, 'route', 'add', 'default', 'via', spec.cni0Address]);
  }
}

async function makeCertificates(state: LabState): Promise<void> {
  const pki = path.join(state.stateDir, 'pki');
  await mkdir(pki, { recursive: true });
  const cp = state.specs[0]!;
  await run([
    'openssl',
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '30',
    '-subj',
    `/CN=netcheck-lab-${state.labId}-ca`,
    '-keyout',
    path.join(pki, 'ca.key'),
    '-out',
    state.caPath,
  ]);
  await run([
    'openssl',
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-subj',
    '/CN=kube-apiserver',
    '-keyout',
    path.join(pki, 'apiserver.key'),
    '-out',
    path.join(pki, 'apiserver.csr'),
  ]);
  await writeFile(
    path.join(pki, 'san.ext'),
    `subjectAltName=IP:${cp.host},DNS:kubernetes,DNS:kubernetes.default\n`,
  );
  await run([
    'openssl',
    'x509',
    '-req',
    '-in',
    path.join(pki, 'apiserver.csr'),
    '-CA',
    state.caPath,
    '-CAkey',
    path.join(pki, 'ca.key'),
    '-CAcreateserial',
    '-days',
    '30',
    '-extfile',
    path.join(pki, 'san.ext'),
    '-out',
    path.join(pki, 'apiserver.crt'),
  ]);
}

const STANDIN = fileURLToPath(
  new URL(`./apiserver-standin${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url),
);

export async function startApiServer(state: LabState): Promise<void> {
  const cp = state.specs[0]!;
  const log = path.join(state.stateDir, 'apiserver-standin.log');
  const { openSync } = await import('node:fs');
  const fd = openSync(log, 'a');
  const child = spawn(
    'nsenter',
    [
      `--net=/run/netns/${cp.netns}`,
      '--',
      process.execPath,
      ...process.execArgv.filter((a) => !a.startsWith('--test')),
      STANDIN,
      state.stateDir,
    ],
    {
      detached: true,
      stdio: ['ignore', fd, fd],
    },
  );
  child.unref();
  await writeFile(path.join(state.stateDir, 'apiserver.pid'), String(child.pid));
  await waitForTcp(cp.host, 6443, 15_000);
}

export async function stopApiServer(state: LabState): Promise<void> {
  const pid = await readPid(path.join(state.stateDir, 'apiserver.pid'));
  if (pid) process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 100 && (await readPid(path.join(state.stateDir, 'apiserver.pid'))); i++)
    await new Promise((r) => setTimeout(r, 20));
}

async function writeKubeconfig(state: LabState): Promise<void> {
  const ca = Buffer.from(await readFile(state.caPath)).toString('base64');
  await writeFile(
    state.kubeconfigPath,
    `apiVersion: v1
kind: Config
clusters:
- name: netcheck-lab-${state.labId}
  cluster:
    server: ${state.apiServer}
    certificate-authority-data: ${ca}
users:
- name: netcheck
  user:
    token: ${state.apiToken}
contexts:
- name: netcheck-lab
  context: { cluster: netcheck-lab-${state.labId}, user: netcheck }
current-context: netcheck-lab
`,
  );
}

function kubeadmStandIn(stateDir: string): string {
  return `#!/bin/sh
# netcheck lab stand-in for kubeadm: NOT the real kubeadm. It logs every call and imitates the
# parts netcheck's remediation needs. Real clusters run the real binary.
echo "$(date -u +%FT%TZ) kubeadm $*" >> /var/log/netcheck-lab-kubeadm.log
case "$1" in
  reset) rm -rf /etc/kubernetes/* /etc/cni/net.d/* /run/flannel/* /var/lib/cni/*; ip link del flannel.1 2>/dev/null; ip link del cni0 2>/dev/null; echo "[reset] Stopped kubelet (lab stand-in)";;
  join|init) sh /var/lib/netcheck-lab/restore.sh && rm -f "${stateDir}/api/deleted-$(hostname)" "${stateDir}/api/cordoned-$(hostname)" && echo "[netcheck lab stand-in] kubeadm $1: node state recreated, node registered again";;
  token) echo "kubeadm join $(ip -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1):6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash sha256:$(printf '%064d' 0)";;
  version) echo 'kubeadm version: &version.Info{Major:"1", Minor:"31", GitVersion:"v1.31.0-netcheck-lab-standin"}';;
  *) echo "[netcheck lab stand-in] kubeadm: unsupported command $1" >&2; exit 1;;
esac
`;
}

/** Removes everything a lab made, from names and the state dir, so it works after a crash half way. */
export async function labDown(opts: { labId?: string; stateRoot?: string } = {}): Promise<void> {
  requireRoot();
  const labId = opts.labId ?? 'nclab';
  const stateDir = stateDirFor(opts.stateRoot ?? DEFAULT_STATE_ROOT, labId);
  const namespaces = await namespacesOf(labId);
  // Every process inside a lab namespace (sshd, sessions, the API stand-in) goes first.
  for (const ns of namespaces) {
    const { stdout } = await tryRun(['ip', 'netns', 'pids', ns]);
    for (const pid of stdout
      .split('\n')
      .map(Number)
      .filter((n) => n > 1)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  const apiPid = await readPid(path.join(stateDir, 'apiserver.pid'));
  if (apiPid) process.kill(apiPid, 'SIGKILL');
  for (const ns of namespaces) await tryRun(['ip', 'netns', 'del', ns]);
  const links = await tryRun(['ip', '-o', 'link', 'show']);
  for (const line of links.stdout.split('\n')) {
    const name = /^\d+:\s+([^:@\s]+)/.exec(line)?.[1];
    if (name && (name === `${labId}br` || new RegExp(`^${labId}[vt]\\d+$`).test(name)))
      await tryRun(['ip', 'link', 'del', name]);
  }
  if (existsSync(path.join(stateDir, 'ns'))) {
    const mounts = await readFile('/proc/self/mounts', 'utf8');
    const mine = mounts
      .split('\n')
      .map((l) => l.split(' ')[1] ?? '')
      .filter((m) => m.startsWith(path.join(stateDir, 'ns')))
      .sort((a, b) => b.length - a.length);
    for (const m of mine) await tryRun(['umount', '-l', m]);
  }
  await rm(stateDir, { recursive: true, force: true });
}

export interface LabStatus {
  readonly labId: string;
  readonly running: boolean;
  readonly nodes: { name: string; host: string; sshd: boolean }[];
  readonly faults: FaultSpec[];
}

export async function labStatus(opts: { labId?: string; stateRoot?: string } = {}): Promise<LabStatus> {
  const state = await loadState(opts);
  const labId = opts.labId ?? 'nclab';
  if (!state) return { labId, running: false, nodes: [], faults: [] };
  const nodes = await Promise.all(
    state.specs.map(async (s) => ({
      name: s.name,
      host: s.host,
      sshd: !!(await readPid(path.join(nodeDir(state, s.name), 'sshd.pid'))),
    })),
  );
  return { labId, running: await isIntact(state), nodes, faults: state.faults };
}

/** Writes the inventory, key and known_hosts (and a kubeconfig) the bot needs to reach the lab. */
export async function writeInventory(
  state: LabState,
  dir: string,
): Promise<{
  inventoryPath: string;
  privateKeyPath: string;
  knownHostsPath: string;
  kubeconfigPath: string;
}> {
  await mkdir(dir, { recursive: true });
  const privateKeyPath = path.join(dir, 'id_ed25519');
  const knownHostsPath = path.join(dir, 'known_hosts');
  const kubeconfigPath = path.join(dir, 'kubeconfig');
  await writeFile(privateKeyPath, await readFile(state.privateKeyPath), { mode: 0o600 });
  await writeFile(knownHostsPath, await readFile(state.knownHostsPath));
  await writeFile(kubeconfigPath, await readFile(state.kubeconfigPath), { mode: 0o600 });
  const inventoryPath = path.join(dir, 'inventory.yaml');
  const nodes = state.nodes
    .map((n) => `  - { name: ${n.name}, host: ${n.host}, port: 22, role: ${n.role} }`)
    .join('\n');
  await writeFile(
    inventoryPath,
    `# netcheck lab "${state.labId}" (198.18.${state.netIndex}.0/24) — written by \`netcheck lab inventory\`
ssh:
  user: root
  privateKeyPath: ${privateKeyPath}
  knownHostsPath: ${knownHostsPath}
cluster:
  podNetworkCidr: 10.244.0.0/16
  apiServer: ${state.apiServer}
nodes:
${nodes}
`,
  );
  return { inventoryPath, privateKeyPath, knownHostsPath, kubeconfigPath };
}

// Faults live in their own module; re-exported here so callers import the lab from one place.
export { addFault, clearFault };
