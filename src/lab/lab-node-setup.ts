import { flannelRestartScript } from './lab-crictl.js';
import { run } from './lab-exec.js';
import { nodeRun, writeNodeFile } from './lab-node-exec.js';
import {
  FLANNEL_CONFLIST,
  flannelLogDir,
  flannelStartupLog,
  nodeIptables,
  restoreScript,
  subnetEnv,
} from './lab-node-files.js';
import { createNodeRoot } from './lab-node-root.js';
import { configureSshd, startSshd } from './lab-sshd.js';
import type { LabState } from './lab-state.js';
import type { LabNodeSpec } from './lab-topology.js';

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
  // A default route, as a real node has (Flannel without --iface picks its interface from it); it
  // goes to the host, whose egress guard drops anything routed (lab-egress-guard.ts).
  await run([...ns, 'route', 'add', 'default', 'via', `${prefix}.1`, 'dev', 'eth0']);
  await nodeRun(state, spec.name, ['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
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
      state.specs.filter((p) => p.name !== spec.name && !state.standby?.includes(p.name)),
      state.specs[0]!.host,
    ),
  );
  await writeNodeFile(
    state,
    spec.name,
    '/var/lib/netcheck-lab/flannel-restart.sh',
    flannelRestartScript(
      spec,
      state.specs.filter((p) => p.name !== spec.name),
    ),
  );
  await writeNodeFile(state, spec.name, '/etc/cni/net.d/10-flannel.conflist', FLANNEL_CONFLIST);
  await writeNodeFile(state, spec.name, '/run/flannel/subnet.env', subnetEnv(spec));
  await writeNodeFile(state, spec.name, `${flannelLogDir(spec)}/0.log`, flannelStartupLog(spec));
  // The node's own iptables-restore (nft backend on bookworm and trixie alike): every rule in its
  // netns is written and read by one iptables version, as on a real node.
  await nodeRun(state, spec.name, ['iptables-restore'], nodeIptables(spec, state.specs[0]!.host));
}

/**
 * A node that has not joined yet (`--standby`): a plain Linux host with its own home and nothing
 * of Kubernetes. Its default route is every node's (via the bridge, behind the host's egress guard).
 */
async function writeStandbyState(state: LabState, spec: LabNodeSpec): Promise<void> {
  await writeNodeFile(state, spec.name, '/root/.bashrc', '# netcheck lab node (standby)\n');
}

/** One node: namespaces and mounts, its link to the lab bridge, sshd, and its healthy state. */
export async function createNode(
  state: LabState,
  spec: LabNodeSpec,
  bridge: string,
  prefix: string,
): Promise<void> {
  await run(['ip', 'netns', 'add', spec.netns]);
  await createNodeRoot(state, spec);
  await wireNode(state, spec, bridge, prefix);
  await configureSshd(state, spec);
  await startSshd(state, spec);
  if (state.standby?.includes(spec.name)) await writeStandbyState(state, spec);
  else await writeNodeState(state, spec);
}
