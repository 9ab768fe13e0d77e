import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { diagnose } from '../../src/diagnosis/diagnose.js';
import { walkChain } from '../../src/diagnosis/firewall/chain-walk.js';
import type { Packet } from '../../src/diagnosis/firewall/packet.js';
import type { FwChain } from '../../src/probes/parsers/firewall-rule.js';
import { iptablesRule } from '../../src/probes/parsers/iptables-rules.js';
import { type NftRuleset, parseNftRuleset } from '../../src/probes/parsers/nft-ruleset.js';
import type { ProbeOutput } from '../../src/probes/probe-output.js';
import { PROBE } from '../../src/probes/probe-registry.js';
import { planFor } from '../../src/remediation/runbooks.js';
import { renderReport } from '../../src/slack/blocks/report-blocks.js';
import { clusterFacts, clusterFactsWithPeer } from '../support/facts-builder.js';
import { CP_OVERLAY_ENTRIES, ICMP_DROP, nftWith, PING_LOST } from '../support/firewall-fixtures.js';

const VERSIONS = path.join(import.meta.dirname, '..', 'fixtures', 'probes', 'versions');

/** The stdout of a recorded `nft -j list ruleset` (real output of Debian 12's and 13's nft). */
function recorded(version: string): string {
  const text = readFileSync(path.join(VERSIONS, `nftables-${version}`, 'nft-ruleset.txt'), 'utf8');
  return text.slice(text.indexOf('%% stdout\n') + 10, text.indexOf('\n%% stderr\n'));
}

const out = (stdout: string, exitCode = 0): ProbeOutput => ({
  probe: PROBE.nftRuleset,
  node: 'n',
  command: 'nft -j list ruleset',
  exitCode,
  stdout,
  stderr: '',
  timedOut: false,
  truncated: false,
  durationMs: 1,
});

function ruleset(version: string): NftRuleset {
  const parsed = parseNftRuleset(out(recorded(version)));
  assert.equal(parsed.status, 'ok');
  return (parsed as { value: NftRuleset }).value;
}

const chainOf = (rs: NftRuleset, table: string, name: string) =>
  rs.chains.find((c) => c.family === 'inet' && c.table === table && c.name === name)!;
const lookup = (rs: NftRuleset) => (from: FwChain, name: string) =>
  rs.chains.find((c) => c.family === from.family && c.table === from.table && c.name === name);

const echo: Packet = {
  l4proto: 'icmp',
  icmpType: 8,
  saddr: '192.0.2.13',
  daddr: '192.0.2.10',
  iif: { name: undefined },
  ctState: 'new',
  ctStatus: [],
};
const tcp = (saddr: string, port: number): Packet => ({
  l4proto: 'tcp',
  saddr,
  daddr: '192.0.2.10',
  sport: [32768, 60999],
  dport: [port, port],
  iif: { name: undefined },
  ctState: 'new',
  ctStatus: [],
});

describe('nft -j list ruleset', () => {
  it('Debian 12 (nft 1.0.6) and Debian 13 (nft 1.1.3) give the same chains, rules and handles', () => {
    const norm = (rs: NftRuleset) =>
      JSON.stringify(
        [...rs.chains].sort((a, b) =>
          `${a.family}${a.table}${a.name}`.localeCompare(`${b.family}${b.table}${b.name}`),
        ),
      );
    assert.equal(norm(ruleset('1.0.6')), norm(ruleset('1.1.3')));
    assert.equal(ruleset('1.0.6').version, '1.0.6');
  });

  it('reads base chains with hook, priority and policy, and rules with their handle and text', () => {
    const input = chainOf(ruleset('1.0.6'), 'filter', 'input');
    assert.equal(input.hook, 'input');
    assert.equal(input.priority, 0);
    const drop = input.rules.find((r) => r.text === 'icmp type echo-request drop');
    assert.ok(drop?.handle !== undefined);
    assert.equal(chainOf(ruleset('1.0.6'), 'firewalld', 'filter_INPUT').priority, 10);
  });

  it('says absent when there is no nft, unknown when it fails, and never throws on hostile JSON', () => {
    const absent = parseNftRuleset(out('NOTOOL\n'));
    assert.equal(absent.status === 'ok' && absent.value.present, false);
    assert.equal(parseNftRuleset(out('', 1)).status, 'unknown');
    assert.equal(parseNftRuleset(out('{not json')).status, 'unknown');
    assert.equal(parseNftRuleset(out('{"nftables": 5}')).status, 'unknown');
    const hostile = JSON.stringify({
      nftables: [
        null,
        7,
        { chain: { family: 'inet', table: 't', name: 'c', hook: 'input', prio: 'x', policy: 'drop' } },
        {
          rule: {
            family: 'inet',
            table: 't',
            chain: 'c',
            handle: 3,
            expr: [
              { match: { op: '==', left: { fib: { result: 'type' } }, right: 'local' } },
              { drop: null },
            ],
          },
        },
        {
          rule: {
            family: 'inet',
            table: 't',
            chain: 'c',
            handle: 4,
            expr: [
              { weird: 1, two: 2 },
              {
                match: {
                  left: { payload: { protocol: 'tcp', field: 'dport' } },
                  right: { set: Array.from({ length: 20_000 }, (_, i) => i) },
                },
              },
            ],
          },
        },
        { rule: { family: 'inet', table: 't', chain: 'nope', handle: 5, expr: 'x' } },
      ],
    });
    const parsed = parseNftRuleset(out(hostile));
    assert.equal(parsed.status, 'ok');
    const c = (parsed as { value: NftRuleset }).value.chains[0]!;
    assert.equal(c.priority, undefined);
    assert.deepEqual(
      c.rules[0]!.conds.map((x) => x.kind),
      ['unknown'],
    );
    assert.ok(
      c.rules[1]!.conds.every((x) => x.kind === 'unknown'),
      'a 20,000-element set is not evaluated',
    );
  });
});

describe('the chain walker', () => {
  const rs = ruleset('1.1.3');
  it('an echo request is dropped by the rule that names it (established accept before it does not match a new packet)', () => {
    const r = walkChain(chainOf(rs, 'filter', 'input'), echo, lookup(rs));
    assert.equal(r.end, 'drop');
    assert.equal(r.certain, true);
    assert.equal(r.by?.rule?.text, 'icmp type echo-request drop');
  });
  it('an echo reply (established) is accepted', () => {
    const r = walkChain(
      chainOf(rs, 'filter', 'input'),
      { ...echo, icmpType: 0, ctState: 'established' },
      lookup(rs),
    );
    assert.equal(r.end, 'accept');
  });
  it('a named set decides: 6443 from a blocked address drops, from another is not dropped', () => {
    assert.match(
      walkChain(chainOf(rs, 'filter', 'input'), tcp('192.0.2.12', 6443), lookup(rs)).by?.rule?.text ?? '',
      /@blocked/,
    );
    assert.equal(
      walkChain(chainOf(rs, 'filter', 'input'), tcp('192.0.2.13', 10250), lookup(rs)).end,
      'accept',
    );
  });
  it('a rule with a match it cannot evaluate (limit) only "may" drop; a catch-all reject in another base chain does', () => {
    const udp: Packet = {
      l4proto: 'udp',
      saddr: '192.0.2.13',
      daddr: '192.0.2.10',
      sport: [40000, 40000],
      dport: [9999, 9999],
      iif: { name: undefined },
      ctState: 'new',
      ctStatus: [],
    };
    const r = walkChain(chainOf(rs, 'filter', 'input'), udp, lookup(rs));
    assert.equal(r.end, 'accept');
    assert.match(r.may[0]?.rule?.text ?? '', /limit.*udp dport 9999 drop/);
    const fw = walkChain(chainOf(rs, 'firewalld', 'filter_INPUT'), udp, lookup(rs));
    assert.equal(fw.end, 'drop');
    assert.match(fw.by?.rule?.text ?? '', /reject with icmpx admin-prohibited/);
  });
  it('iptables words: protocol, ports, negation, unknown modules are "may"', () => {
    const chain = (line: string): FwChain => ({
      family: 'ip',
      table: 'filter',
      name: 'INPUT',
      hook: 'input',
      policy: 'accept',
      rules: [iptablesRule(line, new Set())],
    });
    const none = () => undefined;
    assert.equal(
      walkChain(chain('-A INPUT -p tcp -m tcp --dport 6440:6450 -j REJECT'), tcp('192.0.2.13', 6443), none)
        .end,
      'drop',
    );
    assert.equal(
      walkChain(chain('-A INPUT -p tcp -m tcp ! --dport 6443 -j DROP'), tcp('192.0.2.13', 6443), none).end,
      'accept',
    );
    assert.equal(
      walkChain(chain('-A INPUT ! -s 192.0.2.0/24 -j DROP'), tcp('192.0.2.13', 6443), none).end,
      'accept',
    );
    const may = walkChain(chain('-A INPUT -m addrtype --dst-type LOCAL -p icmp -j DROP'), echo, none);
    assert.equal(may.end, 'accept');
    assert.equal(may.may.length, 1);
  });
});

/** node-3's ping and overlay pings to cp-1 lost, cp-1's nft input chain holding `rules`. */
const cpInputDrops = (rules: object[]) =>
  clusterFactsWithPeer({
    target: {
      [PROBE.pingControlPlane]: PING_LOST,
      'overlay-ping:10.244.0.0': PING_LOST,
      'overlay-df-ping:10.244.0.0': PING_LOST,
      // Flannel's entries for cp-1 are in place: only the firewall stands between them.
      ...CP_OVERLAY_ENTRIES,
    },
    cp: {
      [PROBE.nftRuleset]: { stdout: nftWith(rules) },
      [PROBE.subnetEnv]: { stdout: 'FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.0.1/24\n' },
    },
  });

describe('diagnosis through every layer', () => {
  it('an nft drop on the control plane: icmp-blocked on cp-1, the rule by handle, the overlay pings to it folded, a plan that deletes exactly it', () => {
    const report = diagnose(cpInputDrops([ICMP_DROP]));
    assert.deepEqual(
      report.rootCauses.map((c) => `${c.id}@${c.node}`),
      ['icmp-blocked@cp-1'],
    );
    assert.deepEqual(report.unexplained, [], JSON.stringify(report.unexplained.map((c) => c.id)));
    const cause = report.rootCauses[0]!;
    assert.deepEqual(cause.remedy, {
      kind: 'delete-firewall-rules',
      node: 'cp-1',
      rules: [
        {
          layer: 'nftables',
          family: 'inet',
          table: 'filter',
          chain: 'input',
          handle: 7,
          text: 'icmp type echo-request drop',
        },
      ],
    });
    assert.ok(
      cause.evidence.some((e) =>
        e.lines.includes('table inet filter chain input: icmp type echo-request drop # handle 7'),
      ),
    );
    const plan = planFor(report, {
      planId: 'p1',
      runId: 'r1',
      requestedBy: 'U1',
      createdAt: '2026-11-25T00:00:00.000Z',
    })!;
    const commands = plan.steps.map((s) => (s.kind === 'shell' ? s.command : ''));
    assert.match(commands[0]!, /nft list ruleset > .*nft\.ruleset.*iptables-save/);
    assert.equal(commands[1], 'nft delete rule inet filter input handle 7');
    const other = planFor(
      {
        ...report,
        rootCauses: [
          {
            ...cause,
            remedy: {
              ...cause.remedy!,
              rules: [{ ...(cause.remedy as { rules: object[] }).rules[0], handle: 8 }],
            } as never,
          },
        ],
      },
      { planId: 'p1', runId: 'r1', requestedBy: 'U1', createdAt: '2026-11-25T00:00:00.000Z' },
    )!;
    assert.notEqual(other.hash, plan.hash, 'the handle is part of the hash');
    const text = JSON.stringify(renderReport({ ...report, plan }, 'r1', new Set(['cp-1'])).blocks);
    assert.match(text, /the plan below does this/);
  });

  it('iptables-nft tables seen in nft -j are not counted twice', () => {
    const ipFilter = JSON.stringify({
      nftables: [
        { table: { family: 'ip', name: 'filter', handle: 2 } },
        {
          chain: {
            family: 'ip',
            table: 'filter',
            name: 'INPUT',
            handle: 1,
            type: 'filter',
            hook: 'input',
            prio: 0,
            policy: 'accept',
          },
        },
        {
          rule: {
            family: 'ip',
            table: 'filter',
            chain: 'INPUT',
            handle: 2,
            expr: [
              { match: { op: '==', left: { meta: { key: 'l4proto' } }, right: 'icmp' } },
              { xt: { type: 'match', name: 'icmp' } },
              { drop: null },
            ],
          },
        },
      ],
    });
    const save = '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p icmp -m icmp --icmp-type 8 -j DROP\nCOMMIT\n';
    const report = diagnose(
      clusterFacts({
        worker: { [PROBE.pingControlPlane]: PING_LOST },
        cp: {
          [PROBE.nftRuleset]: { stdout: ipFilter },
          [PROBE.iptablesNftSave]: { stdout: save },
          [PROBE.iptablesLegacySave]: { stdout: 'NOTABLES\n' },
        },
      }),
    );
    const cause = report.rootCauses[0]!;
    assert.equal(cause.id, 'icmp-blocked');
    assert.deepEqual(cause.remedy, {
      kind: 'delete-firewall-rules',
      node: 'cp-1',
      rules: [
        { layer: 'iptables-nft', table: 'filter', line: '-A INPUT -p icmp -m icmp --icmp-type 8 -j DROP' },
      ],
    });
  });

  it('nothing drops it on either node: the path is named, no plan, and the fix line promises no deletion', () => {
    const report = diagnose(
      clusterFacts({
        worker: { [PROBE.pingControlPlane]: PING_LOST },
        cp: { [PROBE.nftRuleset]: { stdout: nftWith([]) } },
      }),
    );
    const cause = report.rootCauses[0]!;
    assert.equal(cause.id, 'icmp-blocked');
    assert.equal(cause.confidence, 'medium');
    assert.equal(cause.remedy, undefined);
    assert.match(cause.cause, /path between them/);
    assert.equal(
      planFor(report, { planId: 'p', runId: 'r', requestedBy: 'U', createdAt: '2026-11-25T00:00:00.000Z' }),
      undefined,
    );
    const text = JSON.stringify(renderReport(report, 'r', new Set(['cp-1'])).blocks);
    assert.doesNotMatch(text, /Delete/);
    assert.match(text, /no rule to delete/);
  });

  it('a rule whose match cannot be evaluated "may" drop: medium confidence, no plan', () => {
    const limited = [{ limit: { rate: 5, per: 'second' } }, ...ICMP_DROP];
    const report = diagnose(
      clusterFacts({
        worker: { [PROBE.pingControlPlane]: PING_LOST },
        cp: { [PROBE.nftRuleset]: { stdout: nftWith([limited]) } },
      }),
    );
    const cause = report.rootCauses[0]!;
    assert.equal(cause.confidence, 'medium');
    assert.match(cause.cause, /may drop ICMP/);
    assert.equal(cause.remedy, undefined);
  });

  it('the same uncertain rule speaks for the overlay pings to that node too: nothing is left unexplained', () => {
    const limited = [{ limit: { rate: 5, per: 'second' } }, ...ICMP_DROP];
    const report = diagnose(cpInputDrops([limited]));
    assert.deepEqual(
      report.rootCauses.map((c) => `${c.id}@${c.node}/${c.confidence}`),
      ['icmp-blocked@cp-1/medium'],
    );
    assert.deepEqual(
      report.unexplained.map((c) => c.title),
      [],
    );
  });
});

describe('a catch-all rule', () => {
  it('is named, but no plan deletes it (that would open the node to everything)', () => {
    const catchAll = [
      { match: { op: '==', left: { meta: { key: 'iifname' } }, right: 'lo' } },
      { accept: null },
    ];
    const reject = [{ reject: { type: 'icmpx', expr: 'admin-prohibited' } }];
    const report = diagnose(
      clusterFacts({
        worker: { [PROBE.pingControlPlane]: PING_LOST },
        cp: { [PROBE.nftRuleset]: { stdout: nftWith([catchAll, reject]) } },
      }),
    );
    const cause = report.rootCauses[0]!;
    assert.equal(cause.id, 'icmp-blocked');
    assert.equal(cause.node, 'cp-1');
    assert.equal(cause.remedy, undefined);
    assert.match(cause.fix, /does not widen a firewall/);
    assert.ok(
      cause.evidence.some((e) =>
        e.lines.some((l) => /reject with icmpx admin-prohibited # handle 8/.test(l)),
      ),
    );
  });
});
