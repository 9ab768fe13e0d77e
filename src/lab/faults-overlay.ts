import { appendFlannelLog, type FaultFamily, ip } from './fault-impl.js';
import { run, tryRun } from './lab-exec.js';
import { repointPeerFdb, setupOverlay } from './lab-overlay.js';

/** Faults in the VXLAN overlay: flannel.1, cni0, the underlay interface and path MTU. */
export const OVERLAY_FAULTS = {
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
      const mac = `0e:6c:ee:00:00:${node.index.toString(16).padStart(2, '0')}`;
      await ip(node, 'link', 'set', 'flannel.1', 'address', mac);
      await appendFlannelLog(
        state,
        node,
        `E1124 03:10:00.000000       1 vxlan.go:0] failed to configure interface flannel.1: flannel.1's mac address wanted: ${node.vtepMac}, but got: ${mac}`,
      );
    },
    // A MAC change flushes the device's neighbour entries, so restore the whole overlay state.
    clear: (state, node) => setupOverlay(state, node),
  },
} satisfies FaultFamily;
