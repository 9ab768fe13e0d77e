import { appendFlannelLog, type FaultFamily, ip } from './fault-impl.js';
import { run, tryRun } from './lab-exec.js';
import { repointPeerFdb, setupOverlay } from './lab-overlay.js';
import type { LabState } from './lab-state.js';
import type { LabNodeSpec } from './lab-topology.js';

const NAT_ADDRESS = '10.0.2.15';

/** The peer a fault on `node` involves: the first other worker, else the control plane. */
function partner(state: LabState, node: LabNodeSpec): LabNodeSpec {
  const others = state.specs.filter((s) => s.name !== node.name);
  return others.find((s) => s.role === 'worker') ?? others[0]!;
}

/** The peer whose entries peer-route-missing removes on `node`: the control plane, or for it the first worker. */
const lostPeer = (state: LabState, node: LabNodeSpec): LabNodeSpec =>
  state.specs.find((s) => s.name !== node.name && s.role === 'control-plane') ?? partner(state, node);

/** A Vagrant NAT interface with 10.0.2.15 (only inside this node) that Flannel picks and announces. */
async function bindToNat(state: LabState, node: LabNodeSpec): Promise<void> {
  await ip(node, 'link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'eth1nat');
  await ip(node, 'addr', 'add', `${NAT_ADDRESS}/24`, 'dev', 'eth1');
  await ip(node, 'link', 'set', 'eth1', 'up');
  await ip(node, 'link', 'set', 'eth1nat', 'up');
  state.apiOverrides[node.name] = { ...state.apiOverrides[node.name], publicIp: NAT_ADDRESS };
  await setupOverlay(state, node, { local: NAT_ADDRESS });
  for (const peer of state.specs) if (peer.name !== node.name) await repointPeerFdb(peer, node, NAT_ADDRESS);
  await appendFlannelLog(
    state,
    node,
    `I1124 03:10:00.000000       1 match.go:263] Using interface with name eth1 and address ${NAT_ADDRESS}`,
  );
}

async function unbindFromNat(state: LabState, node: LabNodeSpec): Promise<void> {
  delete state.apiOverrides[node.name]?.publicIp;
  await tryRun(['ip', '-n', node.netns, 'link', 'del', 'eth1']);
  await setupOverlay(state, node);
  for (const peer of state.specs) if (peer.name !== node.name) await repointPeerFdb(peer, node, node.host);
}

/** Faults in what Flannel tells its peers and in the entries it keeps for them. */
export const FLANNEL_PEER_FAULTS = {
  'public-ip-duplicate': {
    // Two Vagrant VMs, each with its NAT interface on 10.0.2.15: the node and its partner (the first
    // other worker) both announce it, so the peers' FDB send both VTEPs' traffic to one address.
    add: async (state, node) => {
      await bindToNat(state, node);
      await bindToNat(state, partner(state, node));
    },
    clear: async (state, node) => {
      await unbindFromNat(state, partner(state, node));
      await unbindFromNat(state, node);
    },
  },
  'peer-route-missing': {
    // Flannel failed to add one peer's entries (AddFDB/vxlanRoute errors): its route, FDB entry and
    // neighbour are gone from this node only; every other peer works.
    add: async (state, node) => {
      const peer = lostPeer(state, node);
      await ip(
        node,
        'route',
        'del',
        peer.podSubnet,
        'via',
        peer.overlayAddress,
        'dev',
        'flannel.1',
        'onlink',
      );
      await ip(node, 'neigh', 'del', peer.overlayAddress, 'dev', 'flannel.1');
      await run([
        'bridge',
        '-n',
        node.netns,
        'fdb',
        'del',
        peer.vtepMac,
        'dev',
        'flannel.1',
        'dst',
        peer.host,
      ]);
      await appendFlannelLog(
        state,
        node,
        `E1124 03:10:00.000000       1 vxlan_network.go:0] AddFDB failed: no buffer space available`,
      );
      await appendFlannelLog(
        state,
        node,
        `E1124 03:10:00.000100       1 vxlan_network.go:0] failed to add vxlanRoute (${peer.podSubnet} -> ${peer.overlayAddress}): invalid argument`,
      );
    },
    clear: (state, node) => setupOverlay(state, node),
  },
} satisfies FaultFamily;
