import type { NodeRole } from '../config/inventory-schema.js';
import type { KubeFacts } from '../kube/kube-facts.js';
import type { ProbeOutput } from '../probes/probe-output.js';

export type ConnectionFact =
  | { readonly ok: true; readonly durationMs: number }
  | {
      readonly ok: false;
      readonly code:
        | 'node-unreachable'
        | 'host-key-mismatch'
        | 'host-key-unknown'
        | 'auth-failed'
        | 'ssh-protocol';
      readonly detail: string;
    };

export interface NodeFacts {
  readonly name: string;
  readonly role: NodeRole;
  readonly host: string;
  readonly connection: ConnectionFact;
  /** Raw probe outputs keyed by probe key; parsing happens in diagnosis, so recorded facts stay replayable. */
  readonly outputs: Readonly<Record<string, ProbeOutput>>;
}

/** Everything one run learnt. Plain data: it can be stored, recorded as a fixture and replayed. */
export interface ClusterFacts {
  readonly target: string;
  readonly controlPlane: string;
  readonly podNetworkCidr: string;
  readonly apiServer: { readonly url: string; readonly host: string; readonly port: number };
  readonly nodes: Readonly<Record<string, NodeFacts>>;
  /** Every inventory node (name, host, role), probed or not: rules need peers' addresses. */
  readonly inventory: readonly { readonly name: string; readonly host: string; readonly role: NodeRole }[];
  readonly kube: KubeFacts;
  readonly collectedAt: string;
  readonly durationMs: number;
}

/** Probe keys (stable: fixtures and rules refer to them). */
export const PROBE = {
  pingControlPlane: 'ping-control-plane',
  httpsApiServer: 'https-apiserver',
  flannelLink: 'link-flannel.1',
  addresses: 'addresses',
  routeControlPlane: 'route-control-plane',
  cniConfig: 'cni-config',
  subnetEnv: 'subnet-env',
  iptables: 'iptables-save',
  listening: 'listening-tcp',
  routes: 'routes',
  fdb: 'fdb-flannel.1',
  neigh: 'neigh-flannel.1',
  sysctls: 'sysctls',
  flannelLog: 'flannel-log',
  iptablesBackends: 'iptables-backends',
  services: 'services',
} as const;

/** Per-peer probes carry the peer in their key. */
export const PEER_PROBE = {
  underlayPing: (peer: string) => `ping-node:${peer}`,
  underlayTcp: (peer: string) => `tcp-node:${peer}`,
  overlayPing: (peer: string) => `overlay-ping:${peer}`,
  overlayDfPing: (peer: string) => `overlay-df-ping:${peer}`,
} as const;

export type ProbeKey = string;
