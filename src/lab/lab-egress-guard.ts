import { LabError, run, tryRun } from './lab-exec.js';
import { labNet } from './lab-topology.js';

/**
 * Lab nodes have a default route via the lab bridge's host address, as real nodes have one via
 * their gateway. Nothing may leave the machine that way: one nftables table in the host namespace
 * drops, before the routing decision, every packet a lab node sends to the host's MAC that is not
 * for the bridge's own address. Bridged node-to-node frames carry another node's MAC and are not
 * touched; routed ones (to the internet, another lab, the host's other addresses) are dropped
 * whether or not the host forwards. IPv6 from the bridge is dropped the same way.
 */
export const GUARD_TABLE = 'netcheck_lab';
const CHAIN = 'prerouting';
const comment = (labId: string) => `netcheck-lab ${labId}`;

/** The bridge's fixed MAC (a bridge otherwise takes its lowest port's MAC, which changes as nodes come and go). */
export function bridgeMac(netIndex: number): string {
  return `0e:6c:${netIndex.toString(16).padStart(2, '0')}:ff:ff:fe`;
}

interface GuardRule {
  readonly handle: number;
  readonly packets: number;
}

async function guardRules(labId: string): Promise<GuardRule[]> {
  const listed = await tryRun(['nft', '-j', 'list', 'chain', 'inet', GUARD_TABLE, CHAIN]);
  if (listed.code !== 0) return [];
  const items =
    (JSON.parse(listed.stdout) as { nftables?: { rule?: Record<string, unknown> }[] }).nftables ?? [];
  return items.flatMap(({ rule }) => {
    if (!rule || rule.comment !== comment(labId)) return [];
    const exprs = (rule.expr as { counter?: { packets?: number } }[] | undefined) ?? [];
    const packets = exprs.reduce((n, e) => n + (e.counter?.packets ?? 0), 0);
    return [{ handle: Number(rule.handle), packets }];
  });
}

/** Installs the lab's drop rules (replacing any a crashed run left); before any node gets its default route. */
export async function guardLabEgress(labId: string, netIndex: number, bridge: string): Promise<void> {
  const nft = await tryRun(['nft', '--version']);
  if (nft.code !== 0)
    throw new LabError(
      'the lab needs nft (package nftables) on the host: it keeps lab traffic from leaving the machine',
    );
  await run(['nft', 'add', 'table', 'inet', GUARD_TABLE]);
  await run([
    'nft',
    'add',
    'chain',
    'inet',
    GUARD_TABLE,
    CHAIN,
    '{ type filter hook prerouting priority -300 ; policy accept ; }',
  ]);
  await unguardLabEgress(labId);
  const mine = ['iifname', bridge, 'ether', 'daddr', bridgeMac(netIndex)];
  const tail = ['counter', 'drop', 'comment', `"${comment(labId)}"`];
  await run([
    'nft',
    'add',
    'rule',
    'inet',
    GUARD_TABLE,
    CHAIN,
    ...mine,
    'ip',
    'daddr',
    '!=',
    labNet(netIndex).bridgeAddress,
    ...tail,
  ]);
  await run(['nft', 'add', 'rule', 'inet', GUARD_TABLE, CHAIN, ...mine, 'meta', 'nfproto', 'ipv6', ...tail]);
}

/** Removes the lab's rules (once its bridge is gone nothing can match them); the table stays for other labs. */
export async function unguardLabEgress(labId: string): Promise<void> {
  for (const r of await guardRules(labId))
    await tryRun(['nft', 'delete', 'rule', 'inet', GUARD_TABLE, CHAIN, 'handle', String(r.handle)]);
}

/** Packets the lab's guard has dropped so far (undefined: no guard installed). */
export async function egressDrops(labId: string): Promise<number | undefined> {
  const rules = await guardRules(labId);
  return rules.length === 0 ? undefined : rules.reduce((n, r) => n + r.packets, 0);
}
