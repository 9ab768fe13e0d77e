import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ClusterFacts, NodeFacts } from '../../src/probes/cluster-facts.js';
import type { ProbeOutput } from '../../src/probes/probe-output.js';
import { PROBE } from '../../src/probes/probe-registry.js';

const FIXTURES = path.join(import.meta.dirname, '..', 'fixtures', 'probes');

export function fixture(name: string): string {
  return readFileSync(path.join(FIXTURES, name), 'utf8');
}

export function output(probe: string, node: string, fields: Partial<ProbeOutput>): ProbeOutput {
  return {
    probe,
    node,
    command: `(${probe})`,
    exitCode: 0,
    stdout: '',
    stderr: '',
    timedOut: false,
    truncated: false,
    durationMs: 5,
    ...fields,
  };
}

const CLEAN_IPTABLES = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:FLANNEL-FWD - [0:0]
-A FORWARD -m comment --comment "flanneld forward" -j FLANNEL-FWD
-A FLANNEL-FWD -s 10.244.0.0/16 -m comment --comment "flanneld forward" -j ACCEPT
-A FLANNEL-FWD -d 10.244.0.0/16 -m comment --comment "flanneld forward" -j ACCEPT
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:KUBE-SERVICES - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -m comment --comment "default/kubernetes:https cluster IP" -m tcp --dport 443 -j KUBE-SVC-NPX46M4PTMTKRN6Y
COMMIT
`;

/** An iptables-save with these filter rules (default policies ACCEPT) and kube-proxy's API service rule. */
export const filterRules = (...rules: string[]): string =>
  `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${rules.join('\n')}\nCOMMIT\n*nat\n-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -m tcp --dport 443 -j KUBE-SVC-X\nCOMMIT\n`;

/** node-3's own routes: its default route, its uplink and its cni0 subnet. */
const HEALTHY_ROUTES = [
  '{"dst":"default","gateway":"198.18.0.1","dev":"eth0","protocol":"static","flags":[]}',
  '{"dst":"198.18.0.0/24","dev":"eth0","protocol":"kernel","scope":"link","prefsrc":"198.18.0.13","flags":[]}',
  '{"dst":"10.244.3.0/24","dev":"cni0","protocol":"kernel","scope":"link","prefsrc":"10.244.3.1","flags":[]}',
].join(',');

/** Recorded outputs of a healthy node-3 (198.18.0.13) talking to cp-1 (198.18.0.10). */
export function healthyWorkerOutputs(node = 'node-3'): Record<string, ProbeOutput> {
  return {
    [PROBE.pingControlPlane]: output(PROBE.pingControlPlane, node, { stdout: fixture('ping-ok.txt') }),
    [PROBE.httpsApiServer]: output(PROBE.httpsApiServer, node, { stdout: '200' }),
    [PROBE.flannelLink]: output(PROBE.flannelLink, node, { stdout: fixture('ip-link-flannel-present.json') }),
    [PROBE.addresses]: output(PROBE.addresses, node, { stdout: fixture('ip-addr.json') }),
    [PROBE.routeControlPlane]: output(PROBE.routeControlPlane, node, {
      stdout: fixture('ip-route-get-eth0.json'),
    }),
    [PROBE.cniConfig]: output(PROBE.cniConfig, node, { stdout: 'DIR /etc/cni/net.d\n10-flannel.conflist\n' }),
    [PROBE.subnetEnv]: output(PROBE.subnetEnv, node, { stdout: fixture('subnet-env.txt') }),
    [PROBE.iptables]: output(PROBE.iptables, node, { stdout: CLEAN_IPTABLES }),
    [PROBE.sysctls]: output(PROBE.sysctls, node, {
      stdout: 'net.ipv4.ip_forward=1\nnet.bridge.bridge-nf-call-iptables=1\n',
    }),
    [PROBE.conntrack]: output(PROBE.conntrack, node, { stdout: 'COUNT 412\nMAX 262144\n' }),
  };
}

export function healthyControlPlaneOutputs(node = 'cp-1'): Record<string, ProbeOutput> {
  return {
    [PROBE.iptables]: output(PROBE.iptables, node, { stdout: CLEAN_IPTABLES }),
    [PROBE.listening]: output(PROBE.listening, node, { stdout: fixture('ss-listening-apiserver.txt') }),
  };
}

export interface FactsOverrides {
  readonly worker?: Record<string, Partial<ProbeOutput>>;
  readonly cp?: Record<string, Partial<ProbeOutput>>;
  readonly workerConnection?: NodeFacts['connection'];
  readonly cpConnection?: NodeFacts['connection'];
}

function apply(
  base: Record<string, ProbeOutput>,
  node: string,
  overrides: Record<string, Partial<ProbeOutput>> = {},
): Record<string, ProbeOutput> {
  const result = { ...base };
  for (const [key, fields] of Object.entries(overrides))
    result[key] = output(key, node, { ...base[key], ...fields });
  return result;
}

export function clusterFacts(o: FactsOverrides = {}): ClusterFacts {
  const workerConnection = o.workerConnection ?? { ok: true, durationMs: 20 };
  const cpConnection = o.cpConnection ?? { ok: true, durationMs: 20 };
  return {
    target: 'node-3',
    controlPlane: 'cp-1',
    podNetworkCidr: '10.244.0.0/16',
    apiServer: { url: 'https://198.18.0.10:6443', host: '198.18.0.10', port: 6443 },
    nodes: {
      'node-3': {
        name: 'node-3',
        role: 'worker',
        host: '198.18.0.13',
        connection: workerConnection,
        outputs: workerConnection.ok ? apply(healthyWorkerOutputs(), 'node-3', o.worker) : {},
      },
      'cp-1': {
        name: 'cp-1',
        role: 'control-plane',
        host: '198.18.0.10',
        connection: cpConnection,
        outputs: cpConnection.ok ? apply(healthyControlPlaneOutputs(), 'cp-1', o.cp) : {},
      },
    },
    inventory: [
      { name: 'cp-1', host: '198.18.0.10', role: 'control-plane' },
      { name: 'node-3', host: '198.18.0.13', role: 'worker' },
    ],
    kube: { status: 'disabled' },
    collectedAt: '2026-11-24T03:00:00.000Z',
    durationMs: 42,
  };
}

/** A three-node view: target node-3, control plane cp-1, and a peer node-1 (198.18.0.11, 10.244.1.0/24). */
export function clusterFactsWithPeer(
  o: FactsOverrides & {
    peer?: Record<string, Partial<ProbeOutput>>;
    target?: Record<string, Partial<ProbeOutput>>;
  } = {},
): ClusterFacts {
  const base = clusterFacts(o);
  const peerMac = '5a:1e:8d:1c:11:01';
  const peerLink = fixture('ip-link-flannel-present.json')
    .replace('"8a:2b:02:7a:5e:54"', `"${peerMac}"`)
    .replace('"198.18.0.13"', '"198.18.0.11"');
  const peerOutputs: Record<string, ProbeOutput> = {
    [PROBE.iptables]: output(PROBE.iptables, 'node-1', {
      stdout: healthyControlPlaneOutputs('node-1')[PROBE.iptables]!.stdout,
    }),
    [PROBE.flannelLink]: output(PROBE.flannelLink, 'node-1', { stdout: peerLink }),
    [PROBE.subnetEnv]: output(PROBE.subnetEnv, 'node-1', {
      stdout: 'FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1450\n',
    }),
    [PROBE.fdb]: output(PROBE.fdb, 'node-1', {
      stdout: '[{"mac":"8a:2b:02:7a:5e:54","dst":"198.18.0.13","flags":["self"],"state":"permanent"}]',
    }),
  };
  for (const [key, fields] of Object.entries(o.peer ?? {}))
    peerOutputs[key] = output(key, 'node-1', { command: key, ...fields });
  const targetExtra: Record<string, ProbeOutput> = {
    'ping-node:node-1': output('ping-node:node-1', 'node-3', {
      stdout: fixture('ping-ok.txt'),
      command: "ping -n -c 1 -W 1 '198.18.0.11'",
    }),
    'overlay-ping:10.244.1.0': output('overlay-ping:10.244.1.0', 'node-3', {
      stdout: fixture('ping-ok.txt'),
      command: "ping -n -c 1 -W 1 '10.244.1.0'",
    }),
    'overlay-df-ping:10.244.1.0': output('overlay-df-ping:10.244.1.0', 'node-3', {
      stdout: fixture('ping-ok.txt'),
      command: "ping -n -M do -s 1422 -c 1 -W 1 '10.244.1.0'",
    }),
    [PROBE.fdb]: output(PROBE.fdb, 'node-3', {
      stdout: `[{"mac":"${peerMac}","dst":"198.18.0.11","flags":["self"],"state":"permanent"}]`,
    }),
    // Flannel's entries for node-1 (10.244.1.0/24): the route and the neighbour beside the FDB entry.
    [PROBE.routes]: output(PROBE.routes, 'node-3', {
      stdout: `[${HEALTHY_ROUTES},{"dst":"10.244.1.0/24","gateway":"10.244.1.0","dev":"flannel.1","flags":["onlink"]}]`,
    }),
    [PROBE.neigh]: output(PROBE.neigh, 'node-3', {
      stdout: `[{"dst":"10.244.1.0","lladdr":"${peerMac}","state":["PERMANENT"]}]`,
    }),
  };
  // What a test set for the worker (`o.worker`) wins over these defaults for the target.
  for (const key of Object.keys(o.worker ?? {})) delete targetExtra[key];
  for (const [key, fields] of Object.entries(o.target ?? {}))
    targetExtra[key] = output(key, 'node-3', { command: targetExtra[key]?.command ?? key, ...fields });
  const target = base.nodes['node-3']!;
  return {
    ...base,
    nodes: {
      ...base.nodes,
      'node-3': { ...target, outputs: { ...target.outputs, ...targetExtra } },
      'node-1': {
        name: 'node-1',
        role: 'worker',
        host: '198.18.0.11',
        connection: { ok: true, durationMs: 20 },
        outputs: peerOutputs,
      },
    },
    inventory: [...base.inventory, { name: 'node-1', host: '198.18.0.11', role: 'worker' }],
  };
}
