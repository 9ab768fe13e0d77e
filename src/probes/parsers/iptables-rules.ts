import type { FwChain, FwCond, FwRule, FwRuleset, FwVerdict, Hook, NumRange } from './firewall-rule.js';
import { type IptablesDump, tokenize } from './iptables-save.js';
import { icmpTypeWord } from './nft-values.js';

/** Where iptables' built-in chains hook in, per table, with the kernel's priorities. */
const BUILTIN: Readonly<Record<string, Readonly<Record<string, Hook>>>> = {
  raw: { PREROUTING: 'prerouting', OUTPUT: 'output' },
  mangle: {
    PREROUTING: 'prerouting',
    INPUT: 'input',
    FORWARD: 'forward',
    OUTPUT: 'output',
    POSTROUTING: 'postrouting',
  },
  nat: { PREROUTING: 'prerouting', INPUT: 'input', OUTPUT: 'output', POSTROUTING: 'postrouting' },
  filter: { INPUT: 'input', FORWARD: 'forward', OUTPUT: 'output' },
  security: { INPUT: 'input', FORWARD: 'forward', OUTPUT: 'output' },
};
const PRIORITY: Readonly<Record<string, number>> = { raw: -300, mangle: -150, filter: 0, security: 50 };
const natPriority = (hook: Hook) => (hook === 'prerouting' || hook === 'output' ? -100 : 100);

/** Targets that do not end the chain (they log, mark, change the packet, then it goes on). */
const NON_TERMINAL = new Set([
  'LOG',
  'NFLOG',
  'ULOG',
  'CONNMARK',
  'CT',
  'NOTRACK',
  'TRACE',
  'TCPMSS',
  'CLASSIFY',
  'DSCP',
  'TOS',
  'TTL',
  'CHECKSUM',
  'AUDIT',
  'SET',
]);
const NAT_TARGETS = new Set(['DNAT', 'SNAT', 'MASQUERADE', 'REDIRECT', 'NETMAP']);

/** Match modules whose options are read below; `comment` never matters to a packet. */
const KNOWN_MODULES = new Set(['tcp', 'udp', 'icmp', 'multiport', 'state', 'conntrack', 'comment', 'mark']);

function ports(value: string): NumRange[] | undefined {
  const out: NumRange[] = [];
  for (const part of value.split(',')) {
    const [a, b] = part.split(':');
    const from = a === '' ? 0 : Number(a);
    const to = b === undefined ? from : b === '' ? 65535 : Number(b);
    if (!Number.isInteger(from) || !Number.isInteger(to)) return undefined;
    out.push([from, to]);
  }
  return out;
}

function verdictOf(target: string | undefined, goto: boolean, chains: ReadonlySet<string>): FwVerdict {
  if (target === undefined) return { kind: 'continue' };
  if (target === 'ACCEPT') return { kind: 'accept' };
  if (target === 'DROP') return { kind: 'drop' };
  if (target === 'REJECT') return { kind: 'reject' };
  if (target === 'RETURN') return { kind: 'return' };
  if (target === 'MARK') return { kind: 'set-mark' };
  if (NAT_TARGETS.has(target)) return { kind: 'nat' };
  if (NON_TERMINAL.has(target)) return { kind: 'continue' };
  if (chains.has(target)) return { kind: goto ? 'goto' : 'jump', target };
  return { kind: 'unknown', text: `-j ${target}` };
}

/** One `-A CHAIN …` line's words as conditions and a verdict. */
export function iptablesRule(line: string, chains: ReadonlySet<string>): FwRule {
  const words = tokenize(line);
  const conds: FwCond[] = [];
  let target: string | undefined;
  let goto = false;
  let module = '';
  let negate = false;
  for (let i = 2; i < words.length; i++) {
    const w = words[i]!;
    const value = words[i + 1] ?? '';
    if (w === '!') {
      negate = true;
      continue;
    }
    const take = (cond: FwCond | undefined) => {
      conds.push(cond ?? { kind: 'unknown', text: `${negate ? '! ' : ''}${w} ${value}` });
      i++;
    };
    switch (w) {
      case '-p':
      case '--protocol':
        take({
          kind: 'l4proto',
          negate,
          values: [value.toLowerCase() === 'all' ? 'all' : value.toLowerCase()],
        });
        break;
      case '-s':
      case '--source':
      case '-d':
      case '--destination':
        take({
          kind: w.startsWith('-s') || w === '--source' ? 'saddr' : 'daddr',
          negate,
          cidrs: value.split(','),
        });
        break;
      case '-i':
      case '--in-interface':
      case '-o':
      case '--out-interface':
        take({ kind: w === '-i' || w === '--in-interface' ? 'iif' : 'oif', negate, names: [value] });
        break;
      case '-m':
      case '--match':
        module = value;
        if (!KNOWN_MODULES.has(value)) conds.push({ kind: 'unknown', text: `-m ${value}` });
        i++;
        break;
      case '--dport':
      case '--destination-port':
      case '--dports':
      case '--destination-ports':
      case '--sport':
      case '--source-port':
      case '--sports':
      case '--source-ports': {
        const r = ports(value);
        const proto = module === 'multiport' ? 'th' : module || 'th';
        take(r ? { kind: w.startsWith('--d') ? 'dport' : 'sport', negate, proto, ranges: r } : undefined);
        break;
      }
      case '--icmp-type': {
        const types = icmpTypeWord(value);
        take(types ? { kind: 'icmp-type', negate, types } : undefined);
        break;
      }
      case '--state':
      case '--ctstate':
        take({ kind: 'ct-state', negate, states: value.toLowerCase().split(',') });
        break;
      case '--mark': {
        const [v, m] = value.split('/');
        const num = Number(v);
        const mask = m === undefined ? 0xffffffff : Number(m);
        take(
          Number.isInteger(num) && Number.isInteger(mask)
            ? { kind: 'mark', negate, value: num, mask }
            : undefined,
        );
        break;
      }
      case '--comment':
        i++;
        break;
      case '-j':
      case '--jump':
      case '-g':
      case '--goto':
        target = value;
        goto = w === '-g' || w === '--goto';
        i = words.length;
        break;
      default:
        // An option of a module netcheck does not read (its value, if any, is the next word).
        if (w.startsWith('-')) {
          const hasValue = value !== '' && !value.startsWith('-');
          conds.push({ kind: 'unknown', text: `${negate ? '! ' : ''}${w}${hasValue ? ` ${value}` : ''}` });
          if (hasValue) i++;
        }
    }
    negate = false;
  }
  return { conds, verdict: verdictOf(target, goto, chains), text: line };
}

/** An iptables-save dump (one backend) as chains: built-ins with hook, priority and policy, then user chains. */
export function iptablesRuleset(dump: IptablesDump): FwRuleset {
  const chains: FwChain[] = [];
  const tables = new Set([...Object.keys(dump.policies), ...dump.rules.map((r) => r.table)]);
  for (const table of tables) {
    const names = new Set([
      ...Object.keys(dump.policies[table] ?? {}),
      ...dump.rules.filter((r) => r.table === table).map((r) => r.chain),
    ]);
    for (const name of names) {
      const hook = BUILTIN[table]?.[name];
      const policy = dump.policies[table]?.[name];
      chains.push({
        family: 'ip',
        table,
        name,
        hook,
        priority: hook ? (table === 'nat' ? natPriority(hook) : (PRIORITY[table] ?? 0)) : undefined,
        type: table === 'nat' ? 'nat' : 'filter',
        policy: policy === 'DROP' ? 'drop' : policy === 'ACCEPT' ? 'accept' : undefined,
        rules: dump.rules
          .filter((r) => r.table === table && r.chain === name)
          .map((r) => iptablesRule(r.line, names)),
      });
    }
  }
  return { chains };
}
