/**
 * One model for every firewall layer a packet crosses (iptables legacy, iptables-nft, native
 * nftables), so one evaluator (diagnosis/firewall/) can walk them all as the kernel does. Parsers
 * turn each tool's output into this; whatever they cannot read becomes an `unknown` condition or
 * verdict, which the evaluator treats as "may match", never as "matches" or "does not".
 */

/** An inclusive range of numbers (ports, ICMP types). */
export type NumRange = readonly [number, number];

/** What a condition compares against: values a packet field is tested with. */
export type FwCond =
  | { readonly kind: 'l4proto'; readonly negate: boolean; readonly values: readonly string[] }
  | {
      readonly kind: 'dport' | 'sport';
      readonly negate: boolean;
      /** The protocol the port field belongs to (`th`: any with ports); implies that protocol. */
      readonly proto: string;
      readonly ranges: readonly NumRange[];
    }
  | { readonly kind: 'saddr' | 'daddr'; readonly negate: boolean; readonly cidrs: readonly string[] }
  | { readonly kind: 'icmp-type'; readonly negate: boolean; readonly types: readonly number[] }
  | { readonly kind: 'iif' | 'oif'; readonly negate: boolean; readonly names: readonly string[] }
  | { readonly kind: 'ct-state'; readonly negate: boolean; readonly states: readonly string[] }
  /** `ct status dnat` (firewalld accepts DNATed flows this way). */
  | { readonly kind: 'ct-status'; readonly negate: boolean; readonly statuses: readonly string[] }
  /** `meta mark` / `-m mark`: value after the mask. */
  | { readonly kind: 'mark'; readonly negate: boolean; readonly value: number; readonly mask: number }
  | { readonly kind: 'nfproto'; readonly negate: boolean; readonly values: readonly string[] }
  /** Anything else: shown, never evaluated. */
  | { readonly kind: 'unknown'; readonly text: string };

export type FwVerdict =
  | { readonly kind: 'accept' | 'drop' | 'reject' | 'return' | 'continue' }
  | { readonly kind: 'jump' | 'goto'; readonly target: string }
  /** nft `ct state vmap { … }`: one verdict per connection state. */
  | { readonly kind: 'ct-state-map'; readonly entries: readonly { states: string[]; verdict: FwVerdict }[] }
  /** NAT statements end the chain like an accept; a mark set makes later mark matches uncertain. */
  | { readonly kind: 'nat' | 'set-mark' }
  | { readonly kind: 'unknown'; readonly text: string };

export interface FwRule {
  readonly conds: readonly FwCond[];
  readonly verdict: FwVerdict;
  /** The rule as its tool prints it: `-A INPUT -p icmp -j DROP`, or nft's rule text. */
  readonly text: string;
  /** nft's rule handle (native nftables only). */
  readonly handle?: number | undefined;
}

export type Hook = 'ingress' | 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting';

export interface FwChain {
  readonly family: string;
  readonly table: string;
  readonly name: string;
  /** Set on base chains: where the kernel calls it, in which order, and what happens at its end. */
  readonly hook?: Hook | undefined;
  readonly priority?: number | undefined;
  /** `filter`, `nat`, `route` (nft chain type; iptables' nat table is `nat`). */
  readonly type?: string | undefined;
  readonly policy?: 'accept' | 'drop' | undefined;
  readonly rules: readonly FwRule[];
}

/** Every chain of one layer on one node. */
export interface FwRuleset {
  readonly chains: readonly FwChain[];
}

/** Bounds on hostile input: a ruleset bigger than this is cut (and says so). */
export const MAX_FW_RULES = 20_000;

export const RECOGNISED_HOOKS: ReadonlySet<string> = new Set([
  'ingress',
  'prerouting',
  'input',
  'forward',
  'output',
  'postrouting',
]);
