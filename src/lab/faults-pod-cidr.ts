import { appendFlannelLog, type FaultFamily, ip } from './fault-impl.js';
import { nodeRun, writeNodeFile } from './lab-node-exec.js';
import { subnetEnv } from './lab-node-files.js';
import { labNet } from './lab-topology.js';

/**
 * Faults in the pod network Flannel was given: what the API says about the node's podCIDR and
 * net-conf, what Flannel wrote into subnet.env, and what it logged.
 */
export const POD_CIDR_FAULTS = {
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
} satisfies FaultFamily;
