import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { run } from './lab-exec.js';
import { writeNodeFile } from './lab-node-exec.js';
import {
  FLANNEL_CONFLIST,
  flannelLogDir,
  flannelStartupLog,
  nodeIptables,
  restoreScript,
  subnetEnv,
} from './lab-node-files.js';
import { configureSshd, startSshd } from './lab-sshd.js';
import { type LabState, nodeDir, nsFile } from './lab-state.js';
import type { LabNodeSpec } from './lab-topology.js';

/** A node's own view of the file system, in persistent mount and UTS namespaces bound to files. */
async function createNamespaces(state: LabState, spec: LabNodeSpec): Promise<void> {
  const dir = nodeDir(state, spec.name);
  for (const d of ['etc', 'var', 'run', 'root']) {
    await mkdir(path.join(dir, 'ov', d, 'upper'), { recursive: true });
    await mkdir(path.join(dir, 'ov', d, 'work'), { recursive: true });
  }
  await run(['ip', 'netns', 'add', spec.netns]);
  await writeFile(nsFile(state, spec.name, 'mnt'), '');
  await writeFile(nsFile(state, spec.name, 'uts'), '');
  // Overlays over /etc, /var and /run (writes land in the lab's state dir, never on the host), and
  // the lab's stand-in binaries on /usr/local/bin.
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
}

/** eth0 on the lab bridge, the management route, and forwarding on. */
async function wireNode(state: LabState, spec: LabNodeSpec, bridge: string, prefix: string): Promise<void> {
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
}

/** The files and iptables rules Flannel, kubeadm and kube-proxy leave on a healthy node. */
async function writeNodeState(state: LabState, spec: LabNodeSpec): Promise<void> {
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

/** One node: namespaces and mounts, its link to the lab bridge, sshd, and its healthy state. */
export async function createNode(
  state: LabState,
  spec: LabNodeSpec,
  bridge: string,
  prefix: string,
): Promise<void> {
  await createNamespaces(state, spec);
  await wireNode(state, spec, bridge, prefix);
  await configureSshd(state, spec);
  await startSshd(state, spec);
  await writeNodeState(state, spec);
}
