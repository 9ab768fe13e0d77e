import type { FaultId, FaultSpec } from './fault-spec.js';
import {
  type LabState,
  loadState,
  nodeRun,
  saveState,
  setupOverlay,
  startApiServer,
  startSshd,
  stopApiServer,
  stopSshd,
  writeNodeFile,
} from './lab.js';
import { LabError, run, tryRun } from './lab-exec.js';
import {
  CALICO_CONFLIST,
  criLine,
  FLANNEL_CONFLIST,
  flannelLogDir,
  flannelStartupLog,
  nodeIptables,
  subnetEnv,
} from './lab-node-files.js';
import { type LabNodeSpec, labNet } from './lab-topology.js';

interface FaultImpl {
  readonly controlPlaneOnly?: boolean;
  add(state: LabState, node: LabNodeSpec): Promise<void>;
  clear(state: LabState, node: LabNodeSpec): Promise<void>;
}

/** Flannel's jump from FORWARD into its own chain, as iptables arguments after -A/-D. */
const FLANNEL_FWD_JUMP = ['FORWARD', '-m', 'comment', '--comment', 'flanneld forward', '-j', 'FLANNEL-FWD'];

const ipt = (node: LabNodeSpec, ...args: string[]) =>
  run(['ip', 'netns', 'exec', node.netns, 'iptables', ...args]);
const ip = (node: LabNodeSpec, ...args: string[]) => run(['ip', '-n', node.netns, ...args]);
const cp = (state: LabState) => state.specs[0]!;

async function appendFlannelLog(state: LabState, node: LabNodeSpec, message: string): Promise<void> {
  await nodeRun(
    state,
    node.name,
    ['sh', '-c', 'cat >> "$1"', 'sh', `${flannelLogDir(node)}/0.log`],
    criLine(message),
  );
}

/** Insert a rule with -I; clear deletes exactly that rule. */
function ruleFault(spec: (state: LabState, node: LabNodeSpec) => string[]): FaultImpl {
  return {
    add: (state, node) => ipt(node, '-I', ...spec(state, node)).then(() => undefined),
    clear: (state, node) =>
      tryRun(['ip', 'netns', 'exec', node.netns, 'iptables', '-D', ...spec(state, node)]).then(
        () => undefined,
      ),
  };
}

const FAULTS: Record<FaultId, FaultImpl> = {
  // On the control plane a firewall drops echo requests in; on a worker they are dropped going out.
  'icmp-blocked': ruleFault((state, node) =>
    node.role === 'control-plane'
      ? ['INPUT', '-p', 'icmp', '-m', 'icmp', '--icmp-type', '8', '-j', 'DROP']
      : [
          'OUTPUT',
          '-p',
          'icmp',
          '-m',
          'icmp',
          '--icmp-type',
          '8',
          '-d',
          `${cp(state).host}/32`,
          '-j',
          'DROP',
        ],
  ),
  'apiserver-port-blocked': ruleFault((state, node) =>
    node.role === 'control-plane'
      ? ['INPUT', '-p', 'tcp', '-m', 'tcp', '--dport', '6443', '-j', 'DROP']
      : [
          'OUTPUT',
          '-p',
          'tcp',
          '-d',
          `${cp(state).host}/32`,
          '-m',
          'tcp',
          '--dport',
          '6443',
          '-j',
          'REJECT',
          '--reject-with',
          'tcp-reset',
        ],
  ),
  'apiserver-down': {
    controlPlaneOnly: true,
    add: (state) => stopApiServer(state),
    clear: (state) => startApiServer(state),
  },
  'vxlan-8472-blocked': ruleFault(() => ['INPUT', '-p', 'udp', '-m', 'udp', '--dport', '8472', '-j', 'DROP']),
  'forward-policy-drop': {
    // After a reboot or a Docker restart: FORWARD policy DROP and Flannel's jump gone.
    add: async (_state, node) => {
      await ipt(node, '-P', 'FORWARD', 'DROP');
      await tryRun(['ip', 'netns', 'exec', node.netns, 'iptables', '-D', ...FLANNEL_FWD_JUMP]);
    },
    clear: async (_state, node) => {
      await ipt(node, '-P', 'FORWARD', 'ACCEPT');
      await tryRun(['ip', 'netns', 'exec', node.netns, 'iptables', '-D', ...FLANNEL_FWD_JUMP]);
      await ipt(node, '-A', ...FLANNEL_FWD_JUMP);
    },
  },
  'kube-proxy-missing': {
    add: (_s, node) =>
      run(['ip', 'netns', 'exec', node.netns, 'iptables', '-t', 'nat', '-F', 'KUBE-SERVICES']).then(
        () => undefined,
      ),
    clear: async (state, node) => {
      // Restore the nat table as kube-proxy would write it.
      const nat = nodeIptables(node, cp(state).host).split('*nat')[1] ?? '';
      await run(['ip', 'netns', 'exec', node.netns, 'iptables-restore', '--table=nat'], {
        input: `*nat${nat}`,
      });
    },
  },
  'ip-forward-disabled': {
    add: (_s, node) =>
      run(['ip', 'netns', 'exec', node.netns, 'sysctl', '-qw', 'net.ipv4.ip_forward=0']).then(
        () => undefined,
      ),
    clear: (_s, node) =>
      run(['ip', 'netns', 'exec', node.netns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']).then(
        () => undefined,
      ),
  },
  'br-netfilter-missing': {
    add: async (state, node) => {
      await run(['ip', 'netns', 'exec', node.netns, 'sysctl', '-qw', 'net.bridge.bridge-nf-call-iptables=0']);
      await appendFlannelLog(
        state,
        node,
        'E1124 03:10:00.000000       1 main.go:268] Failed to check br_netfilter: stat /proc/sys/net/bridge/bridge-nf-call-iptables: no such file or directory',
      );
    },
    clear: (_s, node) =>
      run(['ip', 'netns', 'exec', node.netns, 'sysctl', '-qw', 'net.bridge.bridge-nf-call-iptables=1']).then(
        () => undefined,
      ),
  },
  'flannel1-missing': {
    add: async (state, node) => {
      await ip(node, 'link', 'del', 'flannel.1');
      await appendFlannelLog(
        state,
        node,
        'E1124 03:10:00.000000       1 main.go:332] Error registering network: operation not supported',
      );
    },
    clear: (state, node) => setupOverlay(state, node),
  },
  'subnet-env-missing': {
    add: (state, node) =>
      nodeRun(state, node.name, ['rm', '-f', '/run/flannel/subnet.env']).then(() => undefined),
    clear: (state, node) => writeNodeFile(state, node.name, '/run/flannel/subnet.env', subnetEnv(node)),
  },
  'cni-config-missing': {
    add: (state, node) =>
      nodeRun(state, node.name, ['rm', '-f', '/etc/cni/net.d/10-flannel.conflist']).then(() => undefined),
    clear: (state, node) =>
      writeNodeFile(state, node.name, '/etc/cni/net.d/10-flannel.conflist', FLANNEL_CONFLIST),
  },
  'leftover-cni-config': {
    // Calico was tried first and not cleaned up: its config sorts before Flannel's.
    add: (state, node) =>
      writeNodeFile(state, node.name, '/etc/cni/net.d/10-calico.conflist', CALICO_CONFLIST),
    clear: (state, node) =>
      nodeRun(state, node.name, ['rm', '-f', '/etc/cni/net.d/10-calico.conflist']).then(() => undefined),
  },
  'stale-cni0-bridge': {
    // The node re-joined and got a new subnet; cni0 kept the old address.
    add: async (state, node) => {
      await ip(node, 'addr', 'flush', 'dev', 'cni0');
      await ip(node, 'addr', 'add', `10.244.${node.index + 100}.1/24`, 'dev', 'cni0');
      await appendFlannelLog(
        state,
        node,
        `E1124 03:10:00.000000       1 cni.go:0] failed to set bridge addr: "cni0" already has an IP address different from ${node.cni0Address}/24`,
      );
    },
    clear: async (_state, node) => {
      await ip(node, 'addr', 'flush', 'dev', 'cni0');
      await ip(node, 'addr', 'add', `${node.cni0Address}/24`, 'dev', 'cni0');
      await tryRun(['ip', '-n', `${node.netns}-pod`, 'route', 'replace', 'default', 'via', node.cni0Address]);
    },
  },
  'podcidr-overlaps-host-net': {
    // The pod network was chosen to overlap the node network; Flannel's route for the control
    // plane's "subnet" replaces the node-network route, so host traffic goes into the overlay.
    add: async (state, node) => {
      const { prefix } = labNet(state.netIndex);
      await writeNodeFile(
        state,
        node.name,
        '/run/flannel/subnet.env',
        subnetEnv(node, '198.18.0.0/15').replace(
          `FLANNEL_SUBNET=${node.cni0Address}/24`,
          `FLANNEL_SUBNET=198.19.${node.index}.1/24`,
        ),
      );
      await ip(
        node,
        'route',
        'replace',
        `${prefix}.0/24`,
        'via',
        `${prefix}.0`,
        'dev',
        'flannel.1',
        'onlink',
      );
      await appendFlannelLog(
        state,
        node,
        `I1124 03:10:00.000000       1 main.go:407] Wrote subnet file to /run/flannel/subnet.env (network 198.18.0.0/15)`,
      );
    },
    clear: async (state, node) => {
      const { prefix } = labNet(state.netIndex);
      await ip(
        node,
        'route',
        'replace',
        `${prefix}.0/24`,
        'dev',
        'eth0',
        'proto',
        'kernel',
        'scope',
        'link',
        'src',
        node.host,
      );
      await writeNodeFile(state, node.name, '/run/flannel/subnet.env', subnetEnv(node));
    },
  },
  'podcidr-not-assigned': {
    add: async (state, node) => {
      state.apiOverrides[node.name] = { ...state.apiOverrides[node.name], podCIDR: null };
      await nodeRun(state, node.name, ['rm', '-f', '/run/flannel/subnet.env']);
      await appendFlannelLog(
        state,
        node,
        `E1124 03:10:00.000000       1 main.go:332] Error registering network: failed to acquire lease: node "${node.name}" pod cidr not assigned`,
      );
    },
    clear: async (state, node) => {
      delete state.apiOverrides[node.name]?.podCIDR;
      await writeNodeFile(state, node.name, '/run/flannel/subnet.env', subnetEnv(node));
    },
  },
  'podcidr-netconf-mismatch': {
    add: async (state, node) => {
      state.apiOverrides[node.name] = { ...state.apiOverrides[node.name], netConfNetwork: '10.245.0.0/16' };
      await writeNodeFile(state, node.name, '/run/flannel/subnet.env', subnetEnv(node, '10.245.0.0/16'));
      await appendFlannelLog(
        state,
        node,
        `E1124 03:10:00.000000       1 main.go:332] Error registering network: subnet "10.245.0.0/16" specified in the flannel net config doesn't contain "${node.podSubnet}" PodCIDR of the "${node.name}" node`,
      );
    },
    clear: async (state, node) => {
      delete state.apiOverrides[node.name]?.netConfNetwork;
      await writeNodeFile(state, node.name, '/run/flannel/subnet.env', subnetEnv(node));
    },
  },
  'wrong-iface-public-ip': {
    // A Vagrant-style NAT interface (10.0.2.15, only inside this node) is picked as the default:
    // flannel.1 binds to it and publishes it as public-ip, so peers send VXLAN there.
    add: async (state, node) => {
      await ip(node, 'link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'eth1nat');
      await ip(node, 'addr', 'add', '10.0.2.15/24', 'dev', 'eth1');
      await ip(node, 'link', 'set', 'eth1', 'up');
      await ip(node, 'link', 'set', 'eth1nat', 'up');
      state.apiOverrides[node.name] = { ...state.apiOverrides[node.name], publicIp: '10.0.2.15' };
      await setupOverlay(state, node, { local: '10.0.2.15' });
      for (const peer of state.specs)
        if (peer.name !== node.name) await repointPeerFdb(peer, node, '10.0.2.15');
      await appendFlannelLog(
        state,
        node,
        'I1124 03:10:00.000000       1 match.go:263] Using interface with name eth1 and address 10.0.2.15',
      );
    },
    clear: async (state, node) => {
      delete state.apiOverrides[node.name]?.publicIp;
      await tryRun(['ip', '-n', node.netns, 'link', 'del', 'eth1']);
      await setupOverlay(state, node);
      for (const peer of state.specs)
        if (peer.name !== node.name) await repointPeerFdb(peer, node, node.host);
    },
  },
  'mtu-mismatch': {
    // The underlay path (here the node's switch port) carries only 1400-byte frames while flannel.1
    // still sends 1450-byte packets (1500 on the wire): small packets pass, full-size ones vanish.
    add: (_state, node) => run(['ip', 'link', 'set', node.hostVeth, 'mtu', '1400']).then(() => undefined),
    clear: (_state, node) => run(['ip', 'link', 'set', node.hostVeth, 'mtu', '1500']).then(() => undefined),
  },
  'vtep-mac-mismatch': {
    // systemd-networkd gave flannel.1 a new MAC after a reboot; the annotation and peers keep the old one.
    add: async (state, node) => {
      await ip(
        node,
        'link',
        'set',
        'flannel.1',
        'address',
        `0e:6c:ee:00:00:${node.index.toString(16).padStart(2, '0')}`,
      );
      await appendFlannelLog(
        state,
        node,
        `E1124 03:10:00.000000       1 vxlan.go:0] failed to configure interface flannel.1: flannel.1's mac address wanted: ${node.vtepMac}, but got: 0e:6c:ee:00:00:${node.index.toString(16).padStart(2, '0')}`,
      );
    },
    // A MAC change flushes the device's neighbour entries, so restore the whole overlay state.
    clear: (state, node) => setupOverlay(state, node),
  },
  'node-unreachable': {
    add: (state, node) => stopSshd(state, node),
    clear: (state, node) => startSshd(state, node),
  },
};

async function restartFlannelLog(state: LabState, node: LabNodeSpec): Promise<void> {
  const { stdout } = await nodeRun(state, node.name, [
    'sh',
    '-c',
    'ls -1 "$1" | wc -l',
    'sh',
    flannelLogDir(node),
  ]);
  await writeNodeFile(
    state,
    node.name,
    `${flannelLogDir(node)}/${Number(stdout.trim()) || 1}.log`,
    flannelStartupLog(node),
  );
}

async function repointPeerFdb(peer: LabNodeSpec, node: LabNodeSpec, dst: string): Promise<void> {
  await tryRun(['bridge', '-n', peer.netns, 'fdb', 'del', node.vtepMac, 'dev', 'flannel.1']);
  await tryRun(['bridge', '-n', peer.netns, 'fdb', 'append', node.vtepMac, 'dev', 'flannel.1', 'dst', dst]);
}

async function resolve(
  opts: { labId?: string; stateRoot?: string },
  spec: FaultSpec,
): Promise<{ state: LabState; node: LabNodeSpec; impl: FaultImpl }> {
  const state = await loadState(opts);
  if (!state)
    throw new LabError(`no lab "${opts.labId ?? 'nclab'}" is running: start one with \`netcheck lab up\``);
  const node = state.specs.find((s) => s.name === spec.node);
  if (!node)
    throw new LabError(
      `no node "${spec.node}" in lab ${state.labId}; nodes: ${state.specs.map((s) => s.name).join(', ')}`,
    );
  const impl = FAULTS[spec.id];
  if (impl.controlPlaneOnly && node.role !== 'control-plane')
    throw new LabError(`${spec.id} can only be injected on the control plane (${state.specs[0]!.name})`);
  return { state, node, impl };
}

export async function addFault(opts: { labId?: string; stateRoot?: string }, spec: FaultSpec): Promise<void> {
  const { state, node, impl } = await resolve(opts, spec);
  if (state.faults.some((f) => f.id === spec.id && f.node === spec.node)) return;
  await impl.add(state, node);
  state.faults.push({ id: spec.id, node: spec.node });
  await saveState(state);
}

export async function clearFault(
  opts: { labId?: string; stateRoot?: string },
  spec: FaultSpec,
): Promise<void> {
  const { state, node, impl } = await resolve(opts, spec);
  await impl.clear(state, node);
  // Fixing a Flannel fault means Flannel restarts: kubelet starts a new container log file.
  await restartFlannelLog(state, node);
  state.faults = state.faults.filter((f) => !(f.id === spec.id && f.node === spec.node));
  await saveState(state);
}
