import { run, tryRun } from './lab-exec.js';
import type { LabState } from './lab-state.js';
import type { LabNodeSpec } from './lab-topology.js';

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
  // One `bridge -batch` and one `ip -batch` for every peer's FDB entry, neighbour and route: at
  // 100 nodes that is 2 processes per node instead of 297 (30,000 process starts for the lab).
  const fdb: string[] = [];
  const ipBatch: string[] = [];
  for (const peer of state.specs) {
    if (peer.name === spec.name || state.standby?.includes(peer.name)) continue;
    const peerPublic = state.apiOverrides[peer.name]?.publicIp ?? peer.host;
    const peerMac = state.apiOverrides[peer.name]?.vtepMac ?? peer.vtepMac;
    fdb.push(`fdb append ${peerMac} dev flannel.1 dst ${peerPublic}`);
    ipBatch.push(`neigh replace ${peer.overlayAddress} lladdr ${peerMac} dev flannel.1 nud permanent`);
    ipBatch.push(`route replace ${peer.podSubnet} via ${peer.overlayAddress} dev flannel.1 onlink`);
  }
  if (fdb.length > 0) {
    await run(['bridge', '-n', spec.netns, '-batch', '-'], { input: `${fdb.join('\n')}\n` });
    await run([...ns, '-batch', '-'], { input: `${ipBatch.join('\n')}\n` });
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

/** Points a peer's FDB entry for node's VTEP MAC at another underlay address. */
export async function repointPeerFdb(peer: LabNodeSpec, node: LabNodeSpec, dst: string): Promise<void> {
  await tryRun(['bridge', '-n', peer.netns, 'fdb', 'del', node.vtepMac, 'dev', 'flannel.1']);
  await tryRun(['bridge', '-n', peer.netns, 'fdb', 'append', node.vtepMac, 'dev', 'flannel.1', 'dst', dst]);
}
