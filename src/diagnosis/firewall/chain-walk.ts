import type { FwChain, FwRule, FwVerdict } from '../../probes/parsers/firewall-rule.js';
import { type Packet, ruleMatches } from './packet.js';

/** A place that stops a packet: a rule, or a base chain's drop policy. */
export interface DropPoint {
  readonly chain: FwChain;
  /** Undefined: the chain's policy drops it. */
  readonly rule: FwRule | undefined;
}

export interface WalkResult {
  readonly end: 'accept' | 'drop' | 'return';
  /** The drop point when `end` is drop. */
  readonly by?: DropPoint | undefined;
  /** False when something before it could not be evaluated (it may have accepted the packet first). */
  readonly certain: boolean;
  /** Rules that drop only if a condition netcheck cannot evaluate holds. */
  readonly may: readonly DropPoint[];
}

const MAX_DEPTH = 16;

type Lookup = (chain: FwChain, name: string) => FwChain | undefined;

/** The verdict a rule gives this packet (a ct state map picks the packet's state's entry). */
function verdictFor(v: FwVerdict, p: Packet): FwVerdict {
  if (v.kind !== 'ct-state-map') return v;
  return v.entries.find((e) => e.states.includes(p.ctState))?.verdict ?? { kind: 'continue' };
}

/**
 * Walks one chain as the kernel does: rules in order, jumps into user chains and back, a base
 * chain's policy at its end. Where a rule's match cannot be evaluated it "may" match: a drop there
 * is listed in `may` and the walk goes on; an accept there makes every later drop uncertain.
 */
export function walkChain(chain: FwChain, packet: Packet, lookup: Lookup, depth = 0): WalkResult {
  let p = packet;
  let uncertain = false;
  const may: DropPoint[] = [];
  // Leaving a base chain early (return) ends it as falling off its end does: by its policy.
  const leave = (certain: boolean): WalkResult =>
    chain.hook && chain.policy === 'drop'
      ? { end: 'drop', by: { chain, rule: undefined }, certain, may }
      : { end: chain.hook ? 'accept' : 'return', certain, may };
  for (const rule of chain.rules) {
    const m = ruleMatches(rule.conds, p);
    if (m === 'no') continue;
    const v = verdictFor(rule.verdict, p);
    const sure = m === 'yes';
    switch (v.kind) {
      case 'continue':
        break;
      case 'set-mark':
        p = { ...p, markUnknown: true };
        break;
      case 'accept':
      case 'nat':
        if (sure) return { end: 'accept', certain: !uncertain, may };
        uncertain = true;
        break;
      case 'drop':
      case 'reject':
        if (sure) return { end: 'drop', by: { chain, rule }, certain: !uncertain, may };
        may.push({ chain, rule });
        break;
      case 'return':
        if (sure) return leave(!uncertain);
        uncertain = true;
        break;
      case 'jump':
      case 'goto': {
        const sub = depth < MAX_DEPTH ? lookup(chain, v.target) : undefined;
        if (!sub) {
          uncertain = true;
          break;
        }
        const r = walkChain(sub, p, lookup, depth + 1);
        may.push(...r.may);
        if (r.end === 'drop') {
          if (sure) return { end: 'drop', by: r.by, certain: r.certain && !uncertain, may };
          if (r.by) may.push(r.by);
        } else if (r.end === 'accept') {
          if (sure && r.certain) return { end: 'accept', certain: !uncertain, may };
          uncertain = true;
        } else if (v.kind === 'goto' && sure) {
          // A goto's chain returns to the chain that called this one.
          return leave(r.certain && !uncertain);
        } else if (!r.certain) uncertain = true;
        break;
      }
      case 'ct-state-map':
      case 'unknown':
        uncertain = true;
        break;
    }
  }
  return leave(!uncertain);
}
