import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { parseCurlWriteOut } from '../../src/probes/parsers/curl-write-out.js';
import { parsePing } from '../../src/probes/parsers/ping.js';
import { parseTcpConnect } from '../../src/probes/parsers/tcp-connect.js';
import { buildBundle, parseBundle } from '../../src/probes/probe-bundle.js';
import { probeCommands } from '../../src/probes/probe-commands.js';
import {
  CONNECT_CEILING_MS,
  DEADLINE_FLOOR_MS,
  KUBE_CEILING_MS,
  KUBE_FLOOR_MS,
  kubeWait,
  networkWaits,
  PING_CEILING_MS,
  probeDeadline,
  roundTripEvidence,
} from '../../src/probes/probe-deadline.js';
import type { ProbeOutput } from '../../src/probes/probe-output.js';
import { RoundTrips } from '../../src/probes/round-trips.js';
import { undecided, undecidedProbes } from '../../src/probes/undecided-probes.js';
import { networkOutput } from '../support/bundle-run.js';

/** A recorded network probe output: what the bundle gives back (the ping text is iputils 20221126's). */
const out = (probe: string, exitCode: number, durationMs: number, stdout = ''): ProbeOutput =>
  networkOutput(probe, exitCode, durationMs, stdout);
const NO_REPLY =
  'PING 198.18.0.10 (198.18.0.10) 56(84) bytes of data.\n\n--- 198.18.0.10 ping statistics ---\n1 packets transmitted, 0 received, 100% packet loss, time 0ms\n\n';
const network = (key: string) => !['addresses', 'routes'].includes(key);

describe('probe deadlines from round trips', () => {
  it('without evidence every wait is today’s fixed one', () => {
    assert.equal(probeDeadline(undefined, PING_CEILING_MS), PING_CEILING_MS);
    assert.equal(probeDeadline(Number.NaN, CONNECT_CEILING_MS), CONNECT_CEILING_MS);
    assert.equal(probeDeadline(-1, CONNECT_CEILING_MS), CONNECT_CEILING_MS);
    assert.equal(networkWaits(undefined), undefined);
  });

  it('a LAN round trip gets the floor, never less (tool start on a busy node is not the network)', () => {
    assert.equal(probeDeadline(0.05, PING_CEILING_MS), DEADLINE_FLOOR_MS);
    assert.equal(probeDeadline(0, CONNECT_CEILING_MS), DEADLINE_FLOOR_MS);
    assert.deepEqual(networkWaits(0.4), { pingMs: DEADLINE_FLOOR_MS, connectMs: DEADLINE_FLOOR_MS });
    assert.equal(DEADLINE_FLOOR_MS, 200);
    assert.ok(DEADLINE_FLOOR_MS >= 200);
  });

  it('scales with the round trip between the bounds, and never exceeds the fixed waits', () => {
    assert.equal(probeDeadline(100, CONNECT_CEILING_MS), 400);
    assert.deepEqual(networkWaits(200), { pingMs: 800, connectMs: 800 });
    assert.deepEqual(networkWaits(10_000), { pingMs: PING_CEILING_MS, connectMs: CONNECT_CEILING_MS });
  });

  it('a node whose round trips are slow (300 ms) gets waits large enough for its answers', () => {
    const trips = new RoundTrips();
    // Recorded facts of a healthy but slow node: every answer took about 300 ms.
    trips.learn('node-3', [
      out('ping-node:node-1', 0, 310),
      out('ping-control-plane', 0, 305),
      out('https-apiserver', 0, 640),
    ]);
    const waits = networkWaits(trips.estimate('node-3', 40))!;
    assert.ok(waits.pingMs >= 3 * 305, `ping waits ${waits.pingMs} ms`);
    assert.equal(waits.pingMs, PING_CEILING_MS);
    assert.ok(waits.connectMs >= 3 * 310, `connect waits ${waits.connectMs} ms`);
    // A slow SSH handshake alone says as much: 900 ms is at least three round trips of 300 ms.
    assert.equal(networkWaits(new RoundTrips().estimate('node-3', 900))!.pingMs, PING_CEILING_MS);
    // Before any tool was seen to run, the handshake is how long the node takes to start one now:
    // a busy node's 160 ms handshake gives its first probes twice that.
    assert.deepEqual(new RoundTrips().estimate('node-3', 160), { rttMs: 160 / 3, toolMs: 160 });
    assert.deepEqual(networkWaits(new RoundTrips().estimate('node-3', 160)), { pingMs: 320, connectMs: 320 });
    // A LAN handshake (15 ms) keeps the floor.
    assert.deepEqual(networkWaits(new RoundTrips().estimate('node-3', 15)), {
      pingMs: DEADLINE_FLOOR_MS,
      connectMs: DEADLINE_FLOOR_MS,
    });
  });

  it('a fast node learns fast waits; a bundle where nothing answered teaches nothing', () => {
    const trips = new RoundTrips();
    assert.equal(trips.estimate('node-3', undefined), undefined);
    trips.learn('node-3', [out('ping-node:node-1', 0, 4), out('tcp-node:node-1', 0, 9)]);
    trips.learn('node-3', [out('ping-node:node-1', 1, 300, NO_REPLY)]);
    assert.deepEqual(trips.estimate('node-3', 30), { rttMs: 10, toolMs: 4 });
    assert.deepEqual(networkWaits(trips.estimate('node-3', 30)), {
      pingMs: DEADLINE_FLOOR_MS,
      connectMs: DEADLINE_FLOOR_MS,
    });
  });

  it('the evidence per destination is its fastest answer; the node’s scale the slowest path', () => {
    const e = roundTripEvidence([
      out('ping-control-plane', 0, 20),
      out('https-apiserver', 0, 24), // TCP, TLS and the request: three round trips of at most 8 ms
      out('overlay-ping:10.244.1.0', 0, 50),
      out('overlay-df-ping:10.244.1.0', 1, 300, NO_REPLY),
      out('tcp-node:node-1', 0, 6),
    ]);
    assert.deepEqual(e.byDestination.get('control-plane'), { rttMs: 8, toolMs: 20 });
    assert.deepEqual(e.byDestination.get('10.244.1.0'), { rttMs: 50, toolMs: 50 });
    assert.deepEqual(e.byDestination.get('node-1'), { rttMs: 6, toolMs: 6 });
    assert.deepEqual(e.scale, { rttMs: 50, toolMs: 50 });
    assert.equal(roundTripEvidence([out('ping-node:node-1', 2, 1)]).scale, undefined);
    // ping's own measurement is the round trip; the run (tool start included) is the tool time.
    const REPLY =
      'PING 198.18.0.11 (198.18.0.11) 56(84) bytes of data.\n64 bytes from 198.18.0.11: icmp_seq=1 ttl=64 time=0.047 ms\n\n--- 198.18.0.11 ping statistics ---\n1 packets transmitted, 1 received, 0% packet loss, time 0ms\nrtt min/avg/max/mdev = 0.047/0.047/0.047/0.000 ms\n';
    assert.deepEqual(roundTripEvidence([out('ping-node:node-1', 0, 40, REPLY)]).scale, {
      rttMs: 0.047,
      toolMs: 40,
    });
  });

  it('a busy node (tools slow to start) gets waits that cover starting the tool', () => {
    assert.deepEqual(networkWaits({ rttMs: 0.05, toolMs: 400 }), { pingMs: 800, connectMs: 800 });
    // Answers of 400 ms runs do not decide a probe cut at 250 ms: it runs again with the fixed wait.
    const busy = [out('ping-control-plane', 1, 260, NO_REPLY), out('ping-node:node-1', 0, 400)];
    assert.deepEqual(undecidedProbes(busy, network, networkWaits(1)!), ['ping-control-plane']);
  });

  it('a cut "no answer" stands when the same bundle shows the path is fast', () => {
    const waits = networkWaits(1)!;
    const outputs = [
      out('ping-control-plane', 1, 305, NO_REPLY),
      out('https-apiserver', 0, 12),
      out('ping-node:node-1', 0, 3),
      out('addresses', 1, 400),
    ];
    assert.deepEqual(undecidedProbes(outputs, network, waits), []);
  });

  it('how long a ping takes to run is judged from pings, not from curl (TLS and start-up are not ping’s)', () => {
    const waits = networkWaits(1)!;
    const outputs = [
      out('ping-control-plane', 1, 205, NO_REPLY),
      // A cold curl: 150 ms of start-up and TLS, 3 round trips of at most 50 ms.
      out('https-apiserver', 0, 150),
      out('ping-node:node-1', 0, 8),
    ];
    assert.deepEqual(undecidedProbes(outputs, network, waits), []);
    // A Perl TCP check cut by its alarm is still judged against curl's run (the same kind of tool).
    const tcp = [
      out('tcp-node:node-1', 1, 205, 'tcp-connect ETIMEDOUT\n'),
      out('https-apiserver', 0, 150),
      out('ping-node:node-1', 0, 8),
    ];
    assert.deepEqual(undecidedProbes(tcp, network, waits), ['tcp-node:node-1']);
  });

  it('a cold curl (start-up and TLS) speaks for the API server only, not for the node’s other paths', () => {
    const waits = networkWaits(1)!;
    const outputs = [
      out('overlay-ping:10.244.1.0', 1, 205, NO_REPLY),
      out('https-apiserver', 0, 450),
      out('ping-node:node-1', 0, 9),
      out('ping-control-plane', 0, 7),
    ];
    assert.deepEqual(roundTripEvidence(outputs).scale, { rttMs: 9, toolMs: 9 });
    assert.deepEqual(undecidedProbes(outputs, network, waits), []);
    // Where it is the only answer, it is the evidence there is.
    assert.deepEqual(roundTripEvidence([out('https-apiserver', 0, 450)]).scale, { rttMs: 150, toolMs: 450 });
  });

  it('curl’s own TCP handshake time is the API server path’s round trip, not its whole TLS run', () => {
    const https = out('https-apiserver', 0, 520, '200 1 0.000412\n');
    assert.deepEqual(roundTripEvidence([https]).byDestination.get('control-plane'), {
      rttMs: 0.412,
      toolMs: 520,
    });
    // A ping to the control plane cut at 300 ms is decided by that round trip and the pings' runs.
    const waits = { pingMs: 300, connectMs: 300 };
    const outputs = [out('ping-control-plane', 1, 305, NO_REPLY), https, out('ping-node:node-1', 0, 150)];
    assert.deepEqual(undecidedProbes(outputs, network, waits), []);
    // Without the handshake time (a recording from before it was asked for) a third of the run stands.
    const older = [{ ...outputs[0]! }, out('https-apiserver', 0, 520, '200 1\n'), outputs[2]!];
    assert.deepEqual(undecidedProbes(older, network, waits), ['ping-control-plane']);
    assert.deepEqual(parseCurlWriteOut('200 1 0.000412\n'), {
      httpCode: 200,
      numConnects: 1,
      timeConnectS: 0.000412,
    });
    assert.deepEqual(parseCurlWriteOut('000 0 0.000000\n'), {
      httpCode: undefined,
      numConnects: 0,
      timeConnectS: 0,
    });
  });

  it('a cut probe that had 1.5 times the slowest answered run of its tool is decided; less is not', () => {
    const waits = { pingMs: 240, connectMs: 240 };
    // ping's own measurement: the path is fast, the tool was slow to run (a busy node).
    const reply =
      'PING 198.18.0.11 (198.18.0.11) 56(84) bytes of data.\n64 bytes from 198.18.0.11: icmp_seq=1 ttl=64 time=0.05 ms\n\n--- 198.18.0.11 ping statistics ---\n1 packets transmitted, 1 received, 0% packet loss, time 0ms\nrtt min/avg/max/mdev = 0.050/0.050/0.050/0.000 ms\n';
    const decided = [
      out('overlay-ping:10.244.1.0', 1, 245, NO_REPLY),
      out('ping-node:node-1', 0, 130, reply),
    ];
    assert.deepEqual(undecidedProbes(decided, network, waits), []);
    const notYet = [out('overlay-ping:10.244.1.0', 1, 245, NO_REPLY), out('ping-node:node-1', 0, 180, reply)];
    assert.deepEqual(undecidedProbes(notYet, network, waits), ['overlay-ping:10.244.1.0']);
  });

  it('a slow but healthy path is not called blocked: a cut probe runs again with the fixed wait', () => {
    const waits = networkWaits(1)!; // the SSH handshake was fast, the node's path to cp-1 is not
    const outputs = [
      out('ping-control-plane', 1, 302, NO_REPLY),
      out('https-apiserver', 0, 900), // TCP, TLS and HTTP to cp-1 answered, 300 ms a round trip
      out('ping-node:node-1', 0, 2),
    ];
    assert.deepEqual(undecidedProbes(outputs, network, waits), ['ping-control-plane']);
    // The same with no other answer to cp-1: the node's slowest answered path sets the scale.
    const slowPeers = [out('ping-control-plane', 1, 301, NO_REPLY), out('ping-node:node-1', 0, 120)];
    assert.deepEqual(undecidedProbes(slowPeers, network, waits), ['ping-control-plane']);
  });

  it('nothing answered: the evidence the waits came from stands; a fast failure is decided', () => {
    const waits = networkWaits(1)!;
    assert.deepEqual(undecidedProbes([out('ping-control-plane', 1, 300, NO_REPLY)], network, waits), []);
    // No route (exit 2 at once) and a refused connect are the tools' own verdicts, not a cut.
    assert.deepEqual(
      undecidedProbes([out('ping-control-plane', 2, 3), out('tcp-node:node-1', 1, 4)], network, waits),
      [],
    );
  });

  it('an answer that came late on a busy node is still an answer: nothing is run again for it', () => {
    const waits = { pingMs: 200, connectMs: 200 };
    // Every tool took longer to start than the wait, and one answered path (600 ms) calls for more.
    const slowReply = out('ping-node:node-2', 0, 600);
    const refused = { ...out('tcp-node:node-1', 1, 450, 'tcp-connect ECONNREFUSED\n') };
    const icmpError = out(
      'ping-control-plane',
      1,
      400,
      'PING 198.18.0.10 (198.18.0.10) 56(84) bytes of data.\nFrom 198.18.0.1 icmp_seq=1 Destination Host Unreachable\n\n--- 198.18.0.10 ping statistics ---\n1 packets transmitted, 0 received, +1 errors, 100% packet loss, time 0ms\n\n',
    );
    const tooBig = {
      ...out(
        'overlay-df-ping:10.244.1.0',
        1,
        420,
        'PING 10.244.1.0 (10.244.1.0) 1422(1450) bytes of data.\n',
      ),
      stderr: 'ping: local error: message too long, mtu=1400\n',
    };
    assert.deepEqual(undecidedProbes([slowReply, refused, icmpError, tooBig], network, waits), []);
    // The same evidence leaves a silent ping and a connect that timed out undecided.
    const silent = out('overlay-ping:10.244.1.0', 1, 420, NO_REPLY);
    const timeout = out('tcp-node:node-2', 1, 430, 'tcp-connect ETIMEDOUT\n');
    assert.deepEqual(undecidedProbes([slowReply, refused, silent, timeout], network, waits), [
      'overlay-ping:10.244.1.0',
      'tcp-node:node-2',
    ]);
  });

  it('a probe runs again with the wait the same bundle’s answers call for, at most today’s', () => {
    const waits = { pingMs: 200, connectMs: 200 };
    const rtt = 'rtt min/avg/max/mdev = 0.050/0.050/0.050/0.000 ms\n';
    const answers = [out('ping-node:node-1', 0, 150, rtt), out('ping-node:node-2', 0, 170, rtt)];
    const cut = out('overlay-ping:10.244.1.0', 1, 210, NO_REPLY);
    // Twice the fastest ping to the slowest peer: 340 ms.
    assert.deepEqual(undecided([...answers, cut], network, waits), {
      probes: ['overlay-ping:10.244.1.0'],
      waits: { pingMs: 340, connectMs: 340 },
    });
    // A slow path (300 ms round trips, from ping's own figures) calls for the ceiling.
    const slow = out(
      'ping-control-plane',
      0,
      320,
      'rtt min/avg/max/mdev = 300.000/300.000/300.000/0.000 ms\n',
    );
    const cutToCp = out('https-apiserver', 28, 230, '000 0 0.000000\n');
    assert.deepEqual(undecided([slow, cutToCp], network, waits).waits, {
      pingMs: PING_CEILING_MS,
      connectMs: 1200,
    });
    // curl keeps its own connect timeout: however long curl takes to start (900 ms here, against
    // a 150 ms ping), only the path's round trip decides.
    const fastCp = out('ping-control-plane', 0, 150, rtt);
    assert.deepEqual(undecided([fastCp, { ...cutToCp, durationMs: 900 }], network, waits).probes, []);
  });

  it('a probe stopped before its tool could say anything always runs again', () => {
    const waits = { pingMs: 200, connectMs: 200 };
    const fast = out('ping-node:node-2', 0, 5);
    const cutEarly = { ...out('tcp-node:node-1', 124, 210), timedOut: true };
    assert.deepEqual(undecidedProbes([fast, cutEarly], network, waits), ['tcp-node:node-1']);
  });

  it('a refused TCP connect is a round trip (the peer answered with a RST)', () => {
    const evidence = roundTripEvidence([out('tcp-node:node-1', 1, 40, 'tcp-connect ECONNREFUSED\n')]);
    assert.deepEqual(evidence.byDestination.get('node-1'), { rttMs: 40, toolMs: 40 });
    const timedOut = roundTripEvidence([out('tcp-node:node-1', 1, 40, 'tcp-connect ETIMEDOUT\n')]);
    assert.equal(timedOut.scale, undefined);
  });

  it('the API server is waited for as its own round trips (or the control plane’s handshake) call for', () => {
    assert.equal(kubeWait(undefined, undefined), KUBE_CEILING_MS);
    assert.equal(kubeWait(20, 30), DEADLINE_FLOOR_MS, 'after a first answer: the usual floor');
    assert.equal(kubeWait(undefined, 30), KUBE_FLOOR_MS, 'a first call also sets up TLS');
    assert.equal(kubeWait(400, 30), 1600);
    assert.equal(kubeWait(undefined, 3000), KUBE_CEILING_MS, 'a 1 s round trip: the fixed 3 s');
  });
});

describe('a cut wait reads exactly like the tool’s own timeout', () => {
  // Stand-ins for ping and perl on PATH that wait, like a probe whose packet was dropped, and end
  // their wait on the signal the real tool ends it on (ping: SIGINT; the Perl TCP check: SIGALRM).
  const bin = mkdtempSync(path.join(tmpdir(), 'ncperf-bin-'));
  after(() => rmSync(bin, { recursive: true, force: true }));
  writeFileSync(
    path.join(bin, 'ping'),
    `#!/bin/sh\nprintf 'PING 198.18.0.10 (198.18.0.10) 56(84) bytes of data.\\n'\ntrap 'printf "\\n--- 198.18.0.10 ping statistics ---\\n1 packets transmitted, 0 received, 100%% packet loss, time 0ms\\n\\n"; exit 1' INT\nsleep 5 & wait\n`,
  );
  writeFileSync(
    path.join(bin, 'perl'),
    `#!/bin/sh\ntrap 'echo tcp-connect ETIMEDOUT; exit 1' ALRM\nsleep 5 & wait\n`,
  );
  chmodSync(path.join(bin, 'ping'), 0o755);
  chmodSync(path.join(bin, 'perl'), 0o755);
  const run = (text: string) =>
    execFileSync('sh', ['-c', text], {
      encoding: 'utf8',
      timeout: 20_000,
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    });

  it('ping cut at its derived wait: exit 1 with statistics, parsed as "no reply" as before', () => {
    const probes = [
      {
        key: 'ping-control-plane',
        command: probeCommands.pingHost('198.18.0.10'),
        timeoutMs: 3000,
        selfTimed: true,
      },
      {
        key: 'tcp-node:node-1',
        command: probeCommands.tcpConnect('198.18.0.11', 10250),
        timeoutMs: 3000,
        selfTimed: true,
      },
    ];
    const bundle = buildBundle(probes, undefined, { pingMs: 300, connectMs: 300 });
    const started = Date.now();
    const outputs = parseBundle('node-3', bundle, probes, run(bundle.command.text));
    assert.ok(Date.now() - started < 1500, `took ${Date.now() - started} ms`);
    const by = Object.fromEntries(outputs.map((o) => [o.probe, o]));
    assert.equal(by['ping-control-plane']?.exitCode, 1);
    assert.equal(
      by['ping-control-plane']?.command,
      probes[0]!.command.text,
      'the evidence shows the probe’s own command',
    );
    const ping = parsePing(by['ping-control-plane']!);
    assert.deepEqual(ping.status === 'ok' && ping.value.replied, false);
    const tcp = parseTcpConnect(by['tcp-node:node-1']!);
    assert.equal(tcp.status === 'ok' && tcp.value.outcome, 'timeout');
  });

  it('without waits the bundle is today’s: no stand-in is cut early', () => {
    const bundle = buildBundle(
      [{ key: 'ping-control-plane', command: probeCommands.pingHost('198.18.0.10'), timeoutMs: 1000 }],
      undefined,
    );
    assert.doesNotMatch(bundle.command.text, /preserve-status/);
  });
});
