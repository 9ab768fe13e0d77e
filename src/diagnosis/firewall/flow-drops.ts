import type { FwChain, Hook } from '../../probes/parsers/firewall-rule.js';
import { PROBE } from '../../probes/probe-registry.js';
import type { FactView } from '../fact-view.js';
import { type DropPoint, walkChain } from './chain-walk.js';
import { type FirewallLayer, nodeFirewall } from './firewall-layers.js';
import { EPHEMERAL, type Packet } from './packet.js';

/** The packet of a check as one node sees it, going out of it or coming in. */
export interface Leg {
  readonly node: string;
  readonly dir: 'out' | 'in';
  readonly packet: Packet;
  /** "echo request from node-3", for the evidence. */
  readonly what: string;
}

/** A rule (or policy) on a node that stops one leg of a flow. */
export interface FirewallHit {
  readonly node: string;
  readonly layer: FirewallLayer;
  readonly point: DropPoint;
  readonly leg: Leg;
}

export interface FlowDrops {
  /** The first place that certainly drops each leg that is dropped. */
  readonly drops: readonly FirewallHit[];
  /** Places that drop it only if a condition netcheck could not evaluate holds. */
  readonly may: readonly FirewallHit[];
  /** Nodes whose firewall could not be read whole: a drop there cannot be ruled out. */
  readonly unreadable: readonly string[];
}

const HOOKS: Record<Leg['dir'], readonly Hook[]> = {
  out: ['output', 'postrouting'],
  in: ['ingress', 'prerouting', 'input'],
};

function legDrops(view: FactView, leg: Leg): { drop?: FirewallHit; may: FirewallHit[] } {
  const hooks = HOOKS[leg.dir];
  const fw = nodeFirewall(view, leg.node);
  const bases: { layer: FirewallLayer; chain: FwChain }[] = [];
  // NAT chains see only a connection's first packet.
  for (const layer of fw.layers)
    for (const chain of layer.chains)
      if (chain.hook && hooks.includes(chain.hook) && (chain.type !== 'nat' || leg.packet.ctState === 'new'))
        bases.push({ layer, chain });
  bases.sort(
    (a, b) =>
      hooks.indexOf(a.chain.hook!) - hooks.indexOf(b.chain.hook!) ||
      (a.chain.priority ?? 0) - (b.chain.priority ?? 0),
  );
  const may: FirewallHit[] = [];
  const hit = (layer: FirewallLayer, point: DropPoint): FirewallHit => ({
    node: leg.node,
    layer,
    point,
    leg,
  });
  for (const { layer, chain } of bases) {
    const lookup = (from: FwChain, name: string) =>
      layer.chains.find((c) => c.family === from.family && c.table === from.table && c.name === name);
    const r = walkChain(chain, leg.packet, lookup);
    may.push(...r.may.map((p) => hit(layer, p)));
    if (r.end !== 'drop' || !r.by) continue;
    // A netdev chain is bound to one device, which the JSON of older nft does not name: maybe ours.
    if (r.certain && chain.family !== 'netdev') return { drop: hit(layer, r.by), may };
    may.push(hit(layer, r.by));
  }
  return { may };
}

/** What the firewalls of the nodes on a flow do to its packets. Pure. */
export function flowDrops(view: FactView, legs: readonly Leg[]): FlowDrops {
  const drops: FirewallHit[] = [];
  const may: FirewallHit[] = [];
  for (const leg of legs) {
    const r = legDrops(view, leg);
    if (r.drop) drops.push(r.drop);
    may.push(...r.may);
  }
  const unreadable = [...new Set(legs.map((l) => l.node))].flatMap((n) =>
    nodeFirewall(view, n).unreadable.map((u) => `${n}: ${u}`),
  );
  return { drops, may, unreadable };
}

/** One end of a flow: a node (when it is in the inventory) and the address it uses. */
export interface End {
  readonly node: string | undefined;
  readonly address: string;
  /** The device the flow uses there (flannel.1 for overlay traffic); undefined: the uplink. */
  readonly device?: string | undefined;
}

const at = (end: End, dir: Leg['dir'], packet: Omit<Packet, 'iif' | 'oif'>, what: string): Leg[] =>
  end.node
    ? [
        {
          node: end.node,
          dir,
          what,
          packet: {
            ...packet,
            ...(dir === 'in' ? { iif: { name: end.device } } : { oif: { name: end.device } }),
          },
        },
      ]
    : [];

/** An ICMP echo from `a` to `b` and its reply: four legs, two on each node. */
export function pingLegs(a: End, b: End): Leg[] {
  const req = {
    l4proto: 'icmp',
    icmpType: 8,
    saddr: a.address,
    daddr: b.address,
    ctState: 'new',
    ctStatus: [],
  } as const;
  const rep = {
    l4proto: 'icmp',
    icmpType: 0,
    saddr: b.address,
    daddr: a.address,
    ctState: 'established',
    ctStatus: [],
  } as const;
  return [
    ...at(a, 'out', req, `echo request ${a.address} → ${b.address}`),
    ...at(b, 'in', req, `echo request ${a.address} → ${b.address}`),
    ...at(b, 'out', rep, `echo reply ${b.address} → ${a.address}`),
    ...at(a, 'in', rep, `echo reply ${b.address} → ${a.address}`),
  ];
}

/** A TCP connection from `a` to `b`:port: the SYN and the SYN-ACK. */
export function tcpLegs(a: End, b: End, port: number): Leg[] {
  const syn = {
    l4proto: 'tcp',
    saddr: a.address,
    daddr: b.address,
    sport: EPHEMERAL,
    dport: [port, port],
    ctState: 'new',
    ctStatus: [],
  } as const;
  const ack = {
    l4proto: 'tcp',
    saddr: b.address,
    daddr: a.address,
    sport: [port, port],
    dport: EPHEMERAL,
    ctState: 'established',
    ctStatus: [],
  } as const;
  return [
    ...at(a, 'out', syn, `TCP SYN ${a.address} → ${b.address}:${port}`),
    ...at(b, 'in', syn, `TCP SYN ${a.address} → ${b.address}:${port}`),
    ...at(b, 'out', ack, `TCP SYN-ACK ${b.address}:${port} → ${a.address}`),
    ...at(a, 'in', ack, `TCP SYN-ACK ${b.address}:${port} → ${a.address}`),
  ];
}

/** VXLAN both ways between two nodes: each direction is a new UDP flow to the VXLAN port. */
export function vxlanLegs(a: End, b: End, port: number): Leg[] {
  const one = (from: End, to: End) => {
    const pkt = {
      l4proto: 'udp',
      saddr: from.address,
      daddr: to.address,
      sport: EPHEMERAL,
      dport: [port, port],
      ctState: 'new',
      ctStatus: [],
    } as const;
    const what = `VXLAN ${from.address} → ${to.address}:${port}/udp`;
    return [...at(from, 'out', pkt, what), ...at(to, 'in', pkt, what)];
  };
  return [...one(a, b), ...one(b, a)];
}

/** A node's own flannel.1 address (its subnet's .0), from its addresses or its subnet.env. */
export function overlayAddressOf(view: FactView, node: string): string | undefined {
  const addrs = view.parsed(node, PROBE.addresses);
  const own = addrs.status === 'ok' ? addrs.value.find((a) => a.ifname === 'flannel.1')?.address : undefined;
  if (own) return own;
  const env = view.parsed(node, PROBE.subnetEnv);
  const subnet = env.status === 'ok' && env.value.present ? env.value.values.FLANNEL_SUBNET : undefined;
  return subnet ? subnet.replace(/\.\d+\/\d+$/, '.0') : undefined;
}
