import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fixedClock } from '../../src/core/clock.js';
import type { KubeFacts, KubeNode } from '../../src/kube/kube-facts.js';
import type { ClusterFacts, NodeFacts } from '../../src/probes/cluster-facts.js';
import { type CollectDeps, collectFacts } from '../../src/probes/collect-facts.js';
import type { PeerChoice, PeerMemory } from '../../src/probes/collect-nodes.js';
import type { ProbeOutput } from '../../src/probes/probe-output.js';
import { PROBE } from '../../src/probes/probe-registry.js';
import type { ProbeTransport } from '../../src/probes/probe-transport.js';
import { bystandersToProbe, decidedByTarget, heldBack } from '../../src/worker/bystanders.js';
import { clusterFactsWithPeer, filterRules, fixture, output } from '../support/facts-builder.js';
import { testInventory } from '../support/test-inventory.js';

const inventory = testInventory(['node-1', 'node-2', 'node-3']);
const node3 = inventory.nodes.find((n) => n.name === 'node-3')!;

const kubeNode = (name: string, n: number): KubeNode => ({
  name,
  podCIDR: `10.244.${n}.0/24`,
  internalIP: `198.18.0.1${n}`,
  publicIp: `198.18.0.1${n}`,
  vtepMac: undefined,
  ready: 'True',
  networkUnavailable: undefined,
});
const LIVE: KubeFacts = {
  status: 'reachable',
  nodes: [kubeNode('cp-1', 0), kubeNode('node-1', 1), kubeNode('node-2', 2), kubeNode('node-3', 3)],
  netConfNetwork: '10.244.0.0/16',
  flannelPods: [],
  flannelLog: [],
};

const REFUSED = 'tcp-connect ECONNREFUSED\n';
function target(outputs: readonly ProbeOutput[], ok = true): NodeFacts {
  return {
    name: 'node-3',
    role: 'worker',
    host: '198.18.0.13',
    connection: ok
      ? { ok: true, durationMs: 3 }
      : { ok: false, code: 'node-unreachable', detail: 'timed out' },
    outputs: Object.fromEntries(outputs.map((o) => [o.probe, o])),
  };
}
const answered = (probe: string) => output(probe, 'node-3', {});
const lost = (probe: string) => output(probe, 'node-3', { exitCode: 1 });
const HEALTHY = [
  answered('ping-control-plane'),
  answered('ping-node:node-1'),
  answered('ping-node:node-2'),
  // Nothing listens on the kubelet port: a refusal is the peer's own answer.
  output('tcp-node:node-1', 'node-3', { exitCode: 1, stdout: REFUSED }),
  answered('tcp-node:node-2'),
  answered('overlay-ping:10.244.1.0'),
  answered('overlay-df-ping:10.244.2.0'),
];

describe('which peers a diagnosis probes besides the target', () => {
  it('with a live node list and every check toward them answered: none', () => {
    assert.deepEqual(bystandersToProbe(target(HEALTHY), LIVE, 'cp-1'), new Set());
  });

  it('the peers a check failed toward: an underlay ping or TCP check, an overlay ping by its subnet', () => {
    const outputs = [
      ...HEALTHY.filter((o) => o.probe !== 'ping-node:node-1' && o.probe !== 'overlay-df-ping:10.244.2.0'),
      lost('ping-node:node-1'),
      output('overlay-df-ping:10.244.2.0', 'node-3', { exitCode: 1, timedOut: true }),
    ];
    assert.deepEqual(bystandersToProbe(target(outputs), LIVE, 'cp-1'), new Set(['node-1', 'node-2']));
  });

  it('the API server not answering, with a node list seen before: the control plane, and the peers the checks failed toward judged on that list', () => {
    const cachedOnly: KubeFacts = {
      status: 'unreachable',
      error: 'the API server did not answer within 200 ms',
      cached: { nodes: LIVE.nodes, fetchedAt: '2026-12-07T03:00:00.000Z' },
    };
    assert.deepEqual(bystandersToProbe(target(HEALTHY), cachedOnly, 'cp-1'), new Set(['cp-1']));
    const lostToNode2 = [...HEALTHY, lost('overlay-ping:10.244.2.0')];
    assert.deepEqual(bystandersToProbe(target(lostToNode2), cachedOnly, 'cp-1'), new Set(['cp-1', 'node-2']));
  });

  it('the control plane when the ping to it, the HTTPS check of the API server or an overlay ping to its subnet failed', () => {
    const without = (probe: string) => HEALTHY.filter((o) => o.probe !== probe);
    const cp = new Set(['cp-1']);
    assert.deepEqual(
      bystandersToProbe(target([...without('ping-control-plane'), lost('ping-control-plane')]), LIVE, 'cp-1'),
      cp,
    );
    const https = output('https-apiserver', 'node-3', { exitCode: 28, timedOut: false });
    assert.deepEqual(bystandersToProbe(target([...HEALTHY, https]), LIVE, 'cp-1'), cp);
    assert.deepEqual(
      bystandersToProbe(target([...HEALTHY, lost('overlay-ping:10.244.0.0')]), LIVE, 'cp-1'),
      cp,
    );
    const served = output('https-apiserver', 'node-3', { exitCode: 0 });
    assert.deepEqual(bystandersToProbe(target([...HEALTHY, served]), LIVE, 'cp-1'), new Set());
  });

  it('every one where the API cannot say what the cluster looks like, or the target says nothing', () => {
    const all = (b: ReturnType<typeof bystandersToProbe>) => b === 'all';
    assert.ok(
      all(bystandersToProbe(target(HEALTHY), undefined, 'cp-1')),
      'the API server has not answered yet',
    );
    assert.ok(all(bystandersToProbe(target(HEALTHY), { status: 'disabled' }, 'cp-1')), 'no KUBECONFIG');
    const cachedOnly: KubeFacts = {
      status: 'unreachable',
      error: 'refused',
      cached: { nodes: LIVE.nodes, fetchedAt: '' },
    };
    assert.ok(
      all(bystandersToProbe(target(HEALTHY), { ...cachedOnly, cached: undefined }, 'cp-1')),
      'the API server down, and no list seen before',
    );
    assert.ok(all(bystandersToProbe(target(HEALTHY), { ...LIVE, nodes: [] }, 'cp-1')), 'an empty list');
    assert.ok(all(bystandersToProbe(target([], false), LIVE, 'cp-1')), 'the target could not be reached');
    assert.ok(
      all(bystandersToProbe(target([...HEALTHY, lost('overlay-ping:10.244.9.0')]), LIVE, 'cp-1')),
      'a lost overlay ping to a subnet no node holds',
    );
  });
});

describe('the peers held back until the target is in: its checks failed toward every node', () => {
  const failing = (...probes: string[]) =>
    target([...HEALTHY.filter((o) => !probes.includes(o.probe)), ...probes.map(lost)]);

  it('the overlay pings lost toward every peer they ran toward: those peers', () => {
    const t = failing('overlay-ping:10.244.1.0', 'overlay-df-ping:10.244.2.0');
    assert.deepEqual(heldBack(t, LIVE, 'cp-1'), new Set(['node-1', 'node-2']));
  });

  it('the underlay ping lost toward every node, the control plane among them: all three', () => {
    const t = failing('ping-control-plane', 'ping-node:node-1', 'ping-node:node-2');
    assert.deepEqual(heldBack(t, LIVE, 'cp-1'), new Set(['cp-1', 'node-1', 'node-2']));
  });

  it('not held back: a check lost toward one peer only, a peer another failure calls for, a list not live', () => {
    assert.deepEqual(heldBack(failing('overlay-ping:10.244.1.0'), LIVE, 'cp-1'), new Set());
    // The underlay ping everywhere, but the TCP check toward node-2 alone: node-2 starts at once.
    const mixed = failing('ping-control-plane', 'ping-node:node-1', 'ping-node:node-2', 'tcp-node:node-2');
    assert.deepEqual(heldBack(mixed, LIVE, 'cp-1'), new Set(['cp-1', 'node-1']));
    // The HTTPS check goes to the control plane alone.
    const https = failing('ping-control-plane', 'ping-node:node-1', 'ping-node:node-2', 'https-apiserver');
    assert.deepEqual(heldBack(https, LIVE, 'cp-1'), new Set(['node-1', 'node-2']));
    const cached: KubeFacts = {
      status: 'unreachable',
      error: 'x',
      cached: { nodes: LIVE.nodes, fetchedAt: 't' },
    };
    const everywhere = failing('ping-control-plane', 'ping-node:node-1', 'ping-node:node-2');
    assert.deepEqual(heldBack(everywhere, cached, 'cp-1'), new Set());
  });
});

describe("whether the target's own facts decide its diagnosis", () => {
  const LOST_PING = { exitCode: 1, stdout: fixture('ping-timeout.txt') };
  /**
   * The target's facts alone, as when its peers have not been probed, and the API server's node
   * list of the fixture's overlay (node-3 routes to node-1's subnet only).
   */
  const targetOnly = (facts: ClusterFacts): ClusterFacts => ({
    ...facts,
    nodes: { 'node-3': facts.nodes['node-3']! },
    kube: { ...LIVE, nodes: [kubeNode('node-1', 1), kubeNode('node-3', 3)] },
  });
  const overlayLost = { 'overlay-ping:10.244.1.0': LOST_PING, 'overlay-df-ping:10.244.1.0': LOST_PING };

  it("VXLAN dropped by the target's own firewall: decided, the peer is not needed", () => {
    const facts = clusterFactsWithPeer({
      target: overlayLost,
      worker: { [PROBE.iptables]: { stdout: filterRules('-A INPUT -p udp -m udp --dport 8472 -j DROP') } },
    });
    assert.equal(decidedByTarget(targetOnly(facts)), true);
  });

  it('the same failures with nothing on the target to explain them: not decided (the peer may hold the cause)', () => {
    assert.equal(decidedByTarget(targetOnly(clusterFactsWithPeer({ target: overlayLost }))), false);
  });

  it('nothing failed: no cause to decide on', () => {
    assert.equal(decidedByTarget(targetOnly(clusterFactsWithPeer())), false);
  });
});

/**
 * A transport that records the nodes it ran a bundle on and answers the target's bundle with every
 * network probe answered, except those named in `fail` (exit 1: no reply).
 */
function recordingTransport(fail: readonly string[] = []) {
  const ran: string[] = [];
  const transport: ProbeTransport = {
    connect: async () => undefined,
    exec: async (node, command) => {
      ran.push(node.name);
      const boundary = /_nc_B=(NETCHECK-[0-9a-f]+)/.exec(command.text)?.[1] ?? '';
      const keys = [...command.text.matchAll(/^(?:net|run) \d+ (\S+) /gm)].map((m) => m[1]!);
      const stdout = keys
        .map((k) => {
          const rc = fail.includes(k) ? 1 : 0;
          return `\n${boundary} BEGIN ${k} x\n\n${boundary} STDERR\n\n${boundary} END ${rc} 5\n`;
        })
        .join('');
      return { exitCode: 0, stdout, stderr: '', truncated: false, timedOut: false, durationMs: 5 };
    },
  };
  return { ran, transport };
}

/**
 * As recordingTransport, but the target's bundle streams its network frames and the NET line
 * first, as NETWORK_FIRST does, and ends only once `release` is called.
 */
function streamingTransport(fail: readonly string[], hanging: readonly string[] = []) {
  const t = recordingTransport(fail);
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const transport: ProbeTransport = {
    connect: async () => undefined,
    exec: async (node, command, opts) => {
      const result = await t.transport.exec(node, command, opts);
      if (hanging.includes(node.name)) return new Promise(() => undefined);
      if (node.name !== 'node-3') return result;
      const boundary = /_nc_B=(NETCHECK-[0-9a-f]+)/.exec(command.text)?.[1] ?? '';
      opts.onStdout?.(Buffer.from(`${result.stdout}\n${boundary} NET\n`));
      await released;
      return result;
    },
  };
  return { ran: t.ran, release, transport };
}

/** As recordingTransport, but a peer's bundle never ends. */
function hangingPeers(fail: readonly string[]) {
  const t = recordingTransport(fail);
  const transport: ProbeTransport = {
    connect: async () => undefined,
    exec: async (node, command, opts) => {
      const result = t.transport.exec(node, command, opts);
      return node.name === 'node-3' ? result : new Promise(() => undefined);
    },
  };
  return { ran: t.ran, transport };
}

/** An API server that answers only when the test says so. */
function lateAnswer() {
  let answer: (k: KubeFacts) => void = () => undefined;
  const late = new Promise<KubeFacts>((resolve) => {
    answer = resolve;
  });
  return { late, answer };
}

function deps(
  transport: ProbeTransport,
  kube: CollectDeps['kube'],
  more: Omit<PeerChoice, 'candidates'> = {},
): CollectDeps {
  const clock = fixedClock(0);
  return {
    transport,
    kube,
    now: clock.monotonicMs,
    isoNow: clock.isoNow,
    peers: { candidates: bystandersToProbe, ...more },
  };
}

describe('collecting: the target, then the peers the evidence points at', () => {
  it('a healthy target with a live node list: none of its peers is probed, not even the control plane', async () => {
    const t = recordingTransport();
    const facts = await collectFacts(
      deps(t.transport, async () => LIVE),
      inventory,
      node3,
    );
    assert.deepEqual(t.ran.sort(), ['node-3']);
    assert.deepEqual(Object.keys(facts.nodes), ['node-3']);
  });

  it('the HTTPS check of the API server failed: the control plane is probed, the other workers are not', async () => {
    const t = recordingTransport(['https-apiserver']);
    const facts = await collectFacts(
      deps(t.transport, async () => LIVE),
      inventory,
      node3,
    );
    assert.deepEqual(t.ran.sort(), ['cp-1', 'node-3']);
    assert.deepEqual(Object.keys(facts.nodes), ['node-3', 'cp-1']);
  });

  it('checks failed toward node-1 and the control plane: both are probed, node-2 is not; facts in inventory order', async () => {
    const t = recordingTransport(['ping-node:node-1', 'ping-control-plane']);
    const facts = await collectFacts(
      deps(t.transport, async () => LIVE),
      inventory,
      node3,
    );
    assert.deepEqual(t.ran.sort(), ['cp-1', 'node-1', 'node-3']);
    assert.deepEqual(Object.keys(facts.nodes), ['node-3', 'cp-1', 'node-1']);
  });

  it("a peer the target's network probes failed toward is probed while the target's local reads still run", async () => {
    const t = streamingTransport(['tcp-node:node-2']);
    const run = collectFacts(
      deps(t.transport, async () => LIVE),
      inventory,
      node3,
    );
    for (let i = 0; i < 20 && !t.ran.includes('node-2'); i++)
      await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual([...t.ran].sort(), ['node-2', 'node-3'], 'node-2 started before node-3 ended');
    t.release();
    const facts = await run;
    assert.deepEqual(Object.keys(facts.nodes), ['node-3', 'node-2']);
  });

  it("the peers a target's last diagnosis needed start at once next time; their facts are kept", async () => {
    const memory = new Map<string, PeerMemory>();
    const first = recordingTransport(['ping-node:node-1']);
    await collectFacts(
      deps(first.transport, async () => LIVE, { memory }),
      inventory,
      node3,
    );
    assert.deepEqual(memory.get('node-3'), { needed: new Set(['node-1']), deferred: new Set() });
    // node-3 is healthy now: its network probes call for no peer, but node-1 started beside it.
    const t = streamingTransport([]);
    const run = collectFacts(
      deps(t.transport, async () => LIVE, { memory }),
      inventory,
      node3,
    );
    for (let i = 0; i < 20 && !t.ran.includes('node-1'); i++)
      await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual([...t.ran].sort(), ['node-1', 'node-3']);
    t.release();
    const facts = await run;
    assert.deepEqual(Object.keys(facts.nodes), ['node-3', 'node-1']);
    assert.deepEqual(
      memory.get('node-3'),
      { needed: new Set(), deferred: new Set() },
      'and the next one will not',
    );
  });

  it("the target's own facts decide: the peers its checks failed toward are not waited for, nor started next time", async () => {
    const lost = ['ping-node:node-1', 'ping-node:node-2'];
    const memory = new Map<string, PeerMemory>();
    const asked: string[][] = [];
    const decidedByTarget = (facts: ClusterFacts) => {
      asked.push(Object.keys(facts.nodes));
      return true;
    };
    // The peers' bundles never end: the diagnosis must not wait for them.
    const hung = hangingPeers(lost);
    const facts = await collectFacts(
      deps(hung.transport, async () => LIVE, { memory, decidedByTarget }),
      inventory,
      node3,
    );
    assert.deepEqual(asked, [['node-3']], 'decided on the target alone');
    assert.deepEqual(
      [...hung.ran].sort(),
      ['node-1', 'node-2', 'node-3'],
      'started when the network probes were in',
    );
    assert.deepEqual(Object.keys(facts.nodes), ['node-3']);
    assert.deepEqual(memory.get('node-3'), { needed: new Set(), deferred: new Set(['node-1', 'node-2']) });
    // The same failures next time: nothing but the target runs.
    const again = hangingPeers(lost);
    await collectFacts(
      deps(again.transport, async () => LIVE, { memory, decidedByTarget }),
      inventory,
      node3,
    );
    assert.deepEqual(again.ran, ['node-3']);
  });

  it("the target's facts do not decide: the peers its checks failed toward are waited for, even those held back", async () => {
    const memory = new Map<string, PeerMemory>([
      ['node-3', { needed: new Set(), deferred: new Set(['node-1']) }],
    ]);
    const t = recordingTransport(['ping-node:node-1']);
    const facts = await collectFacts(
      deps(t.transport, async () => LIVE, { memory, decidedByTarget: () => false }),
      inventory,
      node3,
    );
    assert.deepEqual(t.ran, ['node-3', 'node-1'], 'node-1 started once the target was in');
    assert.deepEqual(Object.keys(facts.nodes), ['node-3', 'node-1']);
    assert.deepEqual(memory.get('node-3'), { needed: new Set(['node-1']), deferred: new Set() });
  });

  it('checks failed toward every node: no peer is started before the target is in, and none at all where it decides', async () => {
    const everywhere = ['ping-control-plane', 'ping-node:node-1', 'ping-node:node-2'];
    // The peers' bundles never end: a diagnosis that started one would never be decided.
    const decided = hangingPeers(everywhere);
    const facts = await collectFacts(
      deps(decided.transport, async () => LIVE, { heldBack, decidedByTarget: () => true }),
      inventory,
      node3,
    );
    assert.deepEqual(decided.ran, ['node-3']);
    assert.deepEqual(Object.keys(facts.nodes), ['node-3']);
    // Not decided by the target: all three are started once it is in, and waited for.
    const t = recordingTransport(everywhere);
    const undecided = await collectFacts(
      deps(t.transport, async () => LIVE, { heldBack, decidedByTarget: () => false }),
      inventory,
      node3,
    );
    assert.equal(t.ran[0], 'node-3');
    assert.deepEqual([...t.ran].sort(), ['cp-1', 'node-1', 'node-2', 'node-3']);
    assert.deepEqual(Object.keys(undecided.nodes), ['node-3', 'cp-1', 'node-1', 'node-2']);
  });

  it('the API server silent when the network probes are in, and no list seen before: every peer, started while the target still runs', async () => {
    const t = streamingTransport([]);
    const { late, answer } = lateAnswer();
    const run = collectFacts(
      deps(t.transport, () => late),
      inventory,
      node3,
    );
    for (let i = 0; i < 20 && t.ran.length < 4; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual([...t.ran].sort(), ['cp-1', 'node-1', 'node-2', 'node-3']);
    t.release();
    answer(LIVE);
    await run;
  });

  it('the API server silent when the network probes are in, with a list seen before: judged on that list, and again once it answers', async () => {
    // The control plane's bundle never ends: once the API server has answered with a live list
    // and the target's checks toward the control plane passed, it must not be waited for.
    const t = streamingTransport(['tcp-node:node-2'], ['cp-1']);
    const { late, answer } = lateAnswer();
    const lastSeen = async (): Promise<KubeFacts> => ({
      status: 'unreachable',
      error: 'the API server has not answered yet',
      cached: { nodes: LIVE.nodes, fetchedAt: '2026-12-07T03:00:00.000Z' },
    });
    const run = collectFacts(
      deps(t.transport, () => late, { lastSeen }),
      inventory,
      node3,
    );
    for (let i = 0; i < 20 && t.ran.length < 3; i++) await new Promise((resolve) => setImmediate(resolve));
    // Not answering yet counts as a failure toward the control plane; node-1 is not called for.
    assert.deepEqual([...t.ran].sort(), ['cp-1', 'node-2', 'node-3'], 'started while the target still runs');
    answer(LIVE);
    t.release();
    const facts = await run;
    assert.deepEqual(Object.keys(facts.nodes), ['node-3', 'node-2']);
    assert.equal(facts.kube.status, 'reachable');
  });

  it('the API server down with a node list seen before: the control plane, judged on that list; the other workers are not probed', async () => {
    const t = recordingTransport(['https-apiserver']);
    const facts = await collectFacts(
      deps(t.transport, async () => ({
        status: 'unreachable',
        error: 'refused',
        cached: { nodes: LIVE.nodes, fetchedAt: '2026-12-07T03:00:00.000Z' },
      })),
      inventory,
      node3,
    );
    assert.deepEqual(t.ran.sort(), ['cp-1', 'node-3']);
    assert.deepEqual(Object.keys(facts.nodes), ['node-3', 'cp-1']);
  });

  it("the API server down with no list seen before, or not answering by the time the target's network probes are in: every peer", async () => {
    const down = recordingTransport();
    await collectFacts(
      deps(down.transport, async () => ({ status: 'unreachable', error: 'refused', cached: undefined })),
      inventory,
      node3,
    );
    assert.deepEqual(down.ran.sort(), ['cp-1', 'node-1', 'node-2', 'node-3']);

    const broken = recordingTransport();
    await collectFacts(
      deps(broken.transport, async () => {
        throw new Error('the client itself failed');
      }),
      inventory,
      node3,
    ).catch(() => undefined);
    assert.deepEqual(broken.ran.sort(), ['cp-1', 'node-1', 'node-2', 'node-3']);

    const silent = recordingTransport();
    const { late, answer } = lateAnswer();
    const run = collectFacts(
      deps(silent.transport, () => late),
      inventory,
      node3,
    );
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    answer(LIVE);
    await run;
    assert.deepEqual(silent.ran.sort(), ['cp-1', 'node-1', 'node-2', 'node-3']);
  });
});
