import type { RemoteCommand } from '../ssh/remote-command.js';
import type { Parsed } from './parsed.js';
import { parseFdb } from './parsers/bridge-fdb.js';
import { parseCniConfigDir } from './parsers/cni-config-dir.js';
import { parseConntrack } from './parsers/conntrack.js';
import { parseHttps } from './parsers/curl.js';
import { parseKernelLog } from './parsers/dmesg.js';
import { parseEthtoolFeatures } from './parsers/ethtool.js';
import { parseFlannelLog } from './parsers/flannel-log.js';
import { parseAddresses } from './parsers/ip-addr.js';
import { parseLink } from './parsers/ip-link.js';
import { parseNeigh } from './parsers/ip-neigh.js';
import { parseRouteGet, parseRoutes } from './parsers/ip-route.js';
import { parseBackendSave } from './parsers/iptables-backend-save.js';
import { parseIptablesSave } from './parsers/iptables-save.js';
import { parseNftRuleset } from './parsers/nft-ruleset.js';
import { parseNetworkManager } from './parsers/nmcli.js';
import { parsePing } from './parsers/ping.js';
import { parseListeningPorts } from './parsers/ss.js';
import { parseSubnetEnv } from './parsers/subnet-env.js';
import { parseSysctls } from './parsers/sysctl.js';
import { parseServices } from './parsers/systemctl.js';
import { parseTcpConnect } from './parsers/tcp-connect.js';
import { probeCommands } from './probe-commands.js';
import type { ProbeOutput } from './probe-output.js';

/** Inventory values a probe's command may use (never anything from Slack or from a node). */
export interface ProbeContext {
  readonly controlPlaneHost: string;
  /** The API server's `/livez` URL. */
  readonly apiServerLivez: string;
  /** The API server's host and port (the URL's), for the TCP check after curl's exit 7. */
  readonly apiServerHost: string;
  readonly apiServerPort: number;
}

/**
 * Where a probe runs when one node is diagnosed: on the target, on every other node (`peer`), on
 * the control plane whichever of the two it is.
 */
export type ProbeSite = 'target' | 'peer' | 'control-plane';

export interface ProbeSpec<T> {
  readonly command: (ctx: ProbeContext) => RemoteCommand;
  /** Pure: recorded output in, a value or an explicit unknown out. */
  readonly parse: (output: ProbeOutput) => Parsed<T>;
  readonly runsOn: readonly ProbeSite[];
  /** Per-probe budget: a dropped packet costs its own timeout, nothing else waits on it. */
  readonly timeoutMs: number;
  /** A local read that cannot wait on the network: run in sequence with the other quick ones. */
  readonly quick: boolean;
  /** Network probes: their tools (ping, curl, Perl) end their own wait (node-plan.ts). */
  readonly selfTimed?: boolean;
  /** Probes whose output this one may stand for with `SAME <key>` (node-plan.ts). */
  readonly sameAs?: readonly ProbeKey[];
  /** A quick read's usual CPU, relative to the others: spreads them evenly over lanes (node-plan.ts). */
  readonly cost?: number;
}

/** Probe keys (stable: recorded fixtures and diagnosis refer to them). */
export const PROBE = {
  pingControlPlane: 'ping-control-plane',
  httpsApiServer: 'https-apiserver',
  flannelLink: 'link-flannel.1',
  addresses: 'addresses',
  routeControlPlane: 'route-control-plane',
  routes: 'routes',
  fdb: 'fdb-flannel.1',
  neigh: 'neigh-flannel.1',
  cniConfig: 'cni-config',
  subnetEnv: 'subnet-env',
  sysctls: 'sysctls',
  flannelLog: 'flannel-log',
  iptables: 'iptables-save',
  services: 'services',
  listening: 'listening-tcp',
  networkManager: 'network-manager',
  ethtoolFlannel: 'ethtool-flannel.1',
  kernelLog: 'kernel-log',
  conntrack: 'conntrack',
  nftRuleset: 'nft-ruleset',
  iptablesNftSave: 'iptables-nft-save',
  iptablesLegacySave: 'iptables-legacy-save',
} as const;

export type ProbeKey = (typeof PROBE)[keyof typeof PROBE];

const QUICK = 3000;
const PING = 3000;
// A quick read's cost is roughly the CPU its tools take on a small VM (ms, `perf stat`): starting a
// process is a few ms of it; the kernel log (dmesg, grep, tail over the whole ring buffer), systemctl
// and the firewall dumps are the heavy ones. Only the relative sizes matter.
const local = (cost: number, ms = QUICK) => ({ timeoutMs: ms, quick: true, cost }) as const;
/** Every network probe here runs ping, curl or the Perl checks, which end their own wait. */
const network = (ms: number) => ({ timeoutMs: ms, quick: false, selfTimed: true }) as const;
const TARGET = ['target'] as const;
const EVERY_NODE = ['target', 'peer'] as const;

/**
 * The registry: each probe once, with its command, its parser and where it runs. Order is the
 * order probes are planned in. A key in PROBE without an entry here fails the typecheck.
 * Adding a probe: its parser in parsers/<tool>.ts, then its key, template and entry in this file;
 * planning, bundling, collection and the typed `FactView.parsed(node, PROBE.x)` follow from here.
 */
export const PROBES = {
  [PROBE.pingControlPlane]: {
    command: (c) => probeCommands.pingHost(c.controlPlaneHost),
    parse: parsePing,
    runsOn: TARGET,
    ...network(PING),
  },
  [PROBE.httpsApiServer]: {
    command: (c) => probeCommands.httpsGet(c.apiServerLivez, c.apiServerHost, c.apiServerPort),
    parse: parseHttps,
    runsOn: TARGET,
    ...network(5000),
  },
  [PROBE.flannelLink]: {
    command: () => probeCommands.linkShow('flannel.1'),
    parse: (o: ProbeOutput) => parseLink(o, 'flannel.1'),
    runsOn: EVERY_NODE,
    ...local(5),
  },
  [PROBE.addresses]: { command: probeCommands.addrShow, parse: parseAddresses, runsOn: TARGET, ...local(5) },
  [PROBE.routeControlPlane]: {
    command: (c) => probeCommands.routeGet(c.controlPlaneHost),
    parse: parseRouteGet,
    runsOn: TARGET,
    ...local(5),
  },
  [PROBE.routes]: { command: probeCommands.routes, parse: parseRoutes, runsOn: TARGET, ...local(7) },
  [PROBE.fdb]: {
    command: () => probeCommands.fdb('flannel.1'),
    parse: parseFdb,
    runsOn: EVERY_NODE,
    ...local(4),
  },
  [PROBE.neigh]: {
    command: () => probeCommands.neigh('flannel.1'),
    parse: parseNeigh,
    runsOn: TARGET,
    ...local(5),
  },
  [PROBE.cniConfig]: {
    command: probeCommands.cniConfigDir,
    parse: parseCniConfigDir,
    runsOn: TARGET,
    ...local(3),
  },
  [PROBE.subnetEnv]: {
    command: probeCommands.subnetEnv,
    parse: parseSubnetEnv,
    runsOn: EVERY_NODE,
    ...local(1),
  },
  [PROBE.sysctls]: { command: probeCommands.sysctls, parse: parseSysctls, runsOn: TARGET, ...local(3) },
  [PROBE.flannelLog]: {
    command: probeCommands.flannelLog,
    parse: parseFlannelLog,
    runsOn: TARGET,
    ...local(3),
  },
  [PROBE.iptables]: {
    command: probeCommands.iptablesSave,
    parse: parseIptablesSave,
    runsOn: EVERY_NODE,
    ...local(2, 5000),
    sameAs: [PROBE.iptablesNftSave, PROBE.iptablesLegacySave],
  },
  [PROBE.services]: { command: probeCommands.services, parse: parseServices, runsOn: TARGET, ...local(11) },
  [PROBE.listening]: {
    command: probeCommands.listeningTcp,
    parse: parseListeningPorts,
    runsOn: ['control-plane'],
    ...local(6),
  },
  [PROBE.networkManager]: {
    command: probeCommands.networkManager,
    parse: parseNetworkManager,
    runsOn: TARGET,
    ...local(3),
  },
  [PROBE.ethtoolFlannel]: {
    command: () => probeCommands.ethtoolFeatures('flannel.1'),
    parse: parseEthtoolFeatures,
    runsOn: TARGET,
    ...local(5),
  },
  [PROBE.kernelLog]: {
    command: probeCommands.kernelLog,
    parse: parseKernelLog,
    runsOn: TARGET,
    ...local(22),
  },
  [PROBE.conntrack]: { command: probeCommands.conntrack, parse: parseConntrack, runsOn: TARGET, ...local(3) },
  [PROBE.nftRuleset]: {
    command: probeCommands.nftRuleset,
    parse: parseNftRuleset,
    runsOn: EVERY_NODE,
    ...local(12, 5000),
  },
  [PROBE.iptablesNftSave]: {
    command: probeCommands.iptablesNftSave,
    parse: parseBackendSave,
    runsOn: EVERY_NODE,
    ...local(6, 5000),
  },
  [PROBE.iptablesLegacySave]: {
    command: probeCommands.iptablesLegacySave,
    parse: parseBackendSave,
    runsOn: EVERY_NODE,
    ...local(2, 5000),
  },
} as const satisfies { readonly [K in ProbeKey]: ProbeSpec<unknown> };

/** What a probe's parser gives back when it could parse: `ProbeValue<'iptables-save'>` is an IptablesDump. */
export type ProbeValue<K extends ProbeKey> = (typeof PROBES)[K]['parse'] extends (
  o: ProbeOutput,
) => Parsed<infer T>
  ? T
  : never;

/** TCP to every peer goes to the kubelet port: a SYN-ACK or a RST both prove the path carries TCP. */
const KUBELET_PORT = 10250;

/**
 * Per-peer probes carry the peer in their key: `<kind>:<peer>`. The underlay ones are planned per
 * inventory peer (by name); the overlay ones are found on the node itself, from its flannel.1
 * routes, by the bundle's overlay loop (probe-bundle.ts), so they are keyed by overlay address.
 */
export const PEER_PROBES = {
  'ping-node': {
    command: (peerHost: string) => probeCommands.pingHost(peerHost),
    parse: parsePing,
    ...network(PING),
  },
  'tcp-node': {
    command: (peerHost: string) => probeCommands.tcpConnect(peerHost, KUBELET_PORT),
    parse: parseTcpConnect,
    ...network(PING),
  },
  'overlay-ping': { command: undefined, parse: parsePing, ...network(PING) },
  'overlay-df-ping': { command: undefined, parse: parsePing, ...network(PING) },
} as const;

export type PeerProbeKind = keyof typeof PEER_PROBES;
export type PeerProbeKey = `${PeerProbeKind}:${string}`;
export type PeerProbeValue<K extends PeerProbeKind> = (typeof PEER_PROBES)[K]['parse'] extends (
  o: ProbeOutput,
) => Parsed<infer T>
  ? T
  : never;

export const peerProbeKey = (kind: PeerProbeKind, peer: string): PeerProbeKey => `${kind}:${peer}`;

/** The kind and peer of a recorded per-peer probe key, or undefined for any other key. */
export function splitPeerProbeKey(key: string): { kind: PeerProbeKind; peer: string } | undefined {
  const colon = key.indexOf(':');
  if (colon < 0) return undefined;
  const kind = key.slice(0, colon);
  if (!Object.hasOwn(PEER_PROBES, kind)) return undefined;
  return { kind: kind as PeerProbeKind, peer: key.slice(colon + 1).split(':')[0] ?? '' };
}

/** The overlay pings (plain and don't-fragment), whose destinations are pod subnets' gateways. */
export function isOverlayProbeKey(key: string): boolean {
  const kind = splitPeerProbeKey(key)?.kind;
  return kind === 'overlay-ping' || kind === 'overlay-df-ping';
}

/** Probes whose tool is ping (the control plane's, a peer's, the overlay's), as opposed to a TCP or HTTPS client. */
export function isPingProbeKey(key: string): boolean {
  return (
    key === PROBE.pingControlPlane || splitPeerProbeKey(key)?.kind === 'ping-node' || isOverlayProbeKey(key)
  );
}
