import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { selfSignedCertCommand } from '../../src/lab/lab-pki.js';
import { parseHttps } from '../../src/probes/parsers/curl.js';
import { PING_VERSION, pingWaitsInTool } from '../../src/probes/ping-flavor.js';
import { buildBundle } from '../../src/probes/probe-bundle.js';
import { probeCommands } from '../../src/probes/probe-commands.js';
import { IN_TOOL_FLOOR_MS, networkWaits, PING_CEILING_MS } from '../../src/probes/probe-deadline.js';
import { RoundTrips } from '../../src/probes/round-trips.js';
import { TCP_CONNECT_PERL } from '../../src/probes/tcp-connect-script.js';
import { curlUrlIsIpv4, undecided } from '../../src/probes/undecided-probes.js';
import { sh } from '../../src/ssh/remote-command.js';
import {
  networkOutput,
  runBundleLocally,
  runBundleLocallyAsync,
  standInTools,
} from '../support/bundle-run.js';

const out = networkOutput;
/** iputils 20221126's output for one request: a reply after `ms`, or none. */
const reply = (ms: number) =>
  `PING 198.18.0.11 (198.18.0.11) 56(84) bytes of data.\n64 bytes from 198.18.0.11: icmp_seq=1 ttl=64 time=${ms} ms\n\n--- 198.18.0.11 ping statistics ---\n1 packets transmitted, 1 received, 0% packet loss, time 0ms\nrtt min/avg/max/mdev = ${ms}/${ms}/${ms}/0.000 ms\n`;
const NO_REPLY =
  'PING 198.18.0.10 (198.18.0.10) 56(84) bytes of data.\n\n--- 198.18.0.10 ping statistics ---\n1 packets transmitted, 0 received, 100% packet loss, time 0ms\n\n';
const network = () => true;

describe('which ping keeps a wait of a fraction of a second itself', () => {
  const version = (stdout: string, exitCode: number | null = 0) =>
    pingWaitsInTool(out(PING_VERSION.key, exitCode, 5, stdout));

  it('iputils from 20210202 on; older iputils, busybox and a missing ping are cut from outside', () => {
    assert.equal(version('ping from iputils 20221126\nlibcap: yes, IDN: yes\n'), true);
    assert.equal(version('ping from iputils 20210202\n'), true);
    assert.equal(version('ping from iputils 20240905\n'), true);
    assert.equal(version('ping from iputils s20200821\n'), false);
    assert.equal(version('ping from iputils s20190709\n'), false);
    assert.equal(version('', 1), false, 'busybox: usage on stderr, exit 1');
    assert.equal(version('', 127), false, 'no ping at all');
    // A line that only looks like it, not at the start of a line, is another ping.
    assert.equal(version('fake: ping from iputils 20221126\n'), false);
  });

  it('an answer that says nothing either way is asked again (cut, or not back)', () => {
    assert.equal(pingWaitsInTool(undefined), undefined);
    assert.equal(pingWaitsInTool({ ...out(PING_VERSION.key, 124, 2000), timedOut: true }), undefined);
    assert.equal(version('ping from iputils 20221126\n', null), undefined);
  });

  it('a bundle asks the node’s ping itself before any probe, and says which waits the pings had', () => {
    const probes = [
      { key: 'p', command: sh`ping -n -c 1 -W 1 198.18.0.11`, timeoutMs: 1000, selfTimed: true },
    ];
    const outside = { pingMs: 300, connectMs: 300 };
    const inside = { pingMs: 150, connectMs: 300, pingInTool: true } as const;
    // A stand-in ping: `-V` prints the version given, anything else its arguments.
    const run = (version: string) =>
      runBundleLocally(
        buildBundle(probes, undefined, outside, inside),
        probes,
        standInTools({ ping: `if [ "$1" = -V ]; then echo '${version}'; exit 0; fi\necho "$*"` }),
      );
    const recent = run('ping from iputils 20240905');
    assert.equal(recent.p?.stdout, '-n -c 1 -W 0.150 198.18.0.11\n');
    assert.equal(pingWaitsInTool(recent[PING_VERSION.key]), true);
    const old = run('ping from iputils s20190709');
    assert.equal(old.p?.stdout, '-n -c 1 -W 1 198.18.0.11\n', 'cut from outside: its own -W untouched');
    assert.equal(pingWaitsInTool(old[PING_VERSION.key]), false);
  });

  it('is kept per node and connection: a new SSH connection asks again', () => {
    const trips = new RoundTrips();
    assert.equal(trips.pingInTool('node-3', 42), undefined);
    trips.learnPing('node-3', out(PING_VERSION.key, 0, 5, 'ping from iputils 20221126\n'), 42);
    assert.equal(trips.pingInTool('node-3', 42), true);
    assert.equal(trips.pingInTool('node-3', 57), undefined, 'another handshake: another connection');
    assert.equal(trips.pingInTool('node-1', 42), undefined);
    trips.learnPing('node-1', { ...out(PING_VERSION.key, 124, 2000), timedOut: true }, 42);
    assert.equal(trips.pingInTool('node-1', 42), undefined);
  });
});

describe('a ping that keeps its own wait', () => {
  it('waits what the measured round trip calls for, not the tool start-up or the SSH handshake', () => {
    const trips = new RoundTrips();
    // A busy node: answered pings took 150 ms to run, their round trip was 0.2 ms.
    trips.learn('node-3', [out('ping-node:node-1', 0, 150, reply(0.2)), out('tcp-node:node-1', 1, 160)]);
    const estimate = trips.estimate('node-3', 300);
    assert.equal(estimate?.measuredRttMs, 0.2);
    // A 300 ms handshake bounds a round trip by 100 ms: the connect wait keeps four of those.
    // The Perl check keeps its own wait too (tcpMs); curl's connect phase (TLS in it) keeps connectMs.
    assert.deepEqual(networkWaits(estimate, true), {
      pingMs: IN_TOOL_FLOOR_MS,
      connectMs: 400,
      pingInTool: true,
      tcpMs: IN_TOOL_FLOOR_MS,
    });
    // Cut from outside, the same evidence gives ping what the connect wait gets.
    assert.deepEqual(networkWaits(estimate), { pingMs: 400, connectMs: 400, tcpMs: IN_TOOL_FLOOR_MS });
    // A fresh connection's TCP connect is a measured round trip too, until the node's tools measure one.
    assert.equal(new RoundTrips().estimate('node-3', 300, 0.4)?.measuredRttMs, 0.4);
    assert.equal(networkWaits(new RoundTrips().estimate('node-3', 300, 0.4))?.tcpMs, IN_TOOL_FLOOR_MS);
    assert.equal(trips.estimate('node-3', 300, 50)?.measuredRttMs, 0.2, 'the tools’ measurement first');
    // Nothing measured yet (a first bundle, or only Perl answered): no wait of its own for Perl.
    assert.equal(networkWaits(new RoundTrips().estimate('node-3', 30))?.tcpMs, undefined);
    // A slow path (60 ms measured) gets four round trips; nothing measured: the handshake's bound.
    trips.learn('node-3', [out('ping-node:node-1', 0, 150, reply(60))]);
    assert.equal(networkWaits(trips.estimate('node-3', 30), true)?.pingMs, 240);
    assert.equal(networkWaits(new RoundTrips().estimate('node-3', 900), true)?.pingMs, PING_CEILING_MS);
  });

  it('a cut ping is decided by the measured round trips of the same bundle, not by a Perl run', () => {
    const waits = { pingMs: 100, connectMs: 300, pingInTool: true } as const;
    // ICMP dropped: the Perl check's answer (refused, after a 150 ms run) bounds the round trip
    // with its start-up in it; the overlay ping measured 0.3 ms. Decided: nothing runs again.
    const blocked = [
      out('ping-node:node-1', 1, 160, NO_REPLY),
      out('tcp-node:node-1', 1, 150, 'tcp-connect ECONNREFUSED\n'),
      out('overlay-ping:10.244.1.0', 0, 140, reply(0.3)),
    ];
    assert.deepEqual(undecided(blocked, network, waits), { probes: [], waits: undefined });
    // Overlay pings cut where every node answered (VXLAN dropped): decided, nothing runs again.
    const vxlan = [
      out('overlay-ping:10.244.1.0', 1, 150, NO_REPLY),
      out('overlay-df-ping:10.244.1.0', 1, 150, NO_REPLY),
      out('ping-node:node-1', 0, 140, reply(0.2)),
    ];
    assert.deepEqual(undecided(vxlan, network, waits), { probes: [], waits: undefined });
    // A slow but healthy path: another ping of the bundle took 40 ms, so 100 ms was too short
    // to call a missing reply blocked; it runs again with four of those round trips.
    const slow = [
      out('ping-node:node-1', 1, 160, NO_REPLY),
      out('tcp-node:node-1', 1, 150, 'tcp-connect ECONNREFUSED\n'),
      out('ping-node:node-2', 0, 150, reply(40)),
    ];
    assert.deepEqual(undecided(slow, network, waits), {
      probes: ['ping-node:node-1'],
      waits: { pingMs: 160, connectMs: 300, pingInTool: true },
    });
    // A peer whose every reply is slow: nothing of the bundle reached it, the others answered at
    // once. Its cut pings and TCP check run again with the connect wait, not called blocked.
    const slowPeer = [
      out('ping-node:node-1', 1, 160, NO_REPLY),
      out('tcp-node:node-1', 1, 150, 'tcp-connect ETIMEDOUT\n'),
      out('ping-node:node-2', 0, 150, reply(0.2)),
      out('tcp-node:node-2', 1, 140, 'tcp-connect ECONNREFUSED\n'),
      out('overlay-ping:10.244.1.0', 1, 150, NO_REPLY),
      out('overlay-ping:10.244.2.0', 0, 150, reply(0.3)),
    ];
    assert.deepEqual(undecided(slowPeer, network, { ...waits, tcpMs: 100 }), {
      probes: ['ping-node:node-1', 'tcp-node:node-1', 'overlay-ping:10.244.1.0'],
      waits: { pingMs: 300, connectMs: 300, pingInTool: true, tcpMs: 300 },
    });
    // Nothing answered at all (a node cut off from every peer): the evidence its waits came from stands.
    const cutOff = [
      out('ping-node:node-1', 1, 160, NO_REPLY),
      out('tcp-node:node-1', 1, 150, 'tcp-connect ETIMEDOUT\n'),
      out('overlay-ping:10.244.1.0', 1, 150, NO_REPLY),
    ];
    assert.deepEqual(undecided(cutOff, network, { ...waits, tcpMs: 100 }), { probes: [], waits: undefined });
    // Only a Perl check answered elsewhere (no measured round trip): the slow node's probes still
    // run again, with the connect wait.
    const perlOnly = [...cutOff, out('tcp-node:node-2', 1, 140, 'tcp-connect ECONNREFUSED\n')];
    assert.deepEqual(undecided(perlOnly, network, { ...waits, tcpMs: 100 }).waits, {
      pingMs: 300,
      connectMs: 300,
      pingInTool: true,
      tcpMs: 300,
    });
    // The Perl check kept its own wait (tcpMs): decided the same way, by measured round trips.
    const tcpWaits = { pingMs: 300, connectMs: 300, tcpMs: 100 };
    const perlCut = out('tcp-node:node-1', 1, 130, 'tcp-connect ETIMEDOUT\n');
    assert.deepEqual(undecided([perlCut, out('ping-node:node-1', 0, 150, reply(0.3))], network, tcpWaits), {
      probes: [],
      waits: undefined,
    });
    assert.deepEqual(undecided([perlCut, out('ping-node:node-1', 0, 150, reply(40))], network, tcpWaits), {
      probes: ['tcp-node:node-1'],
      waits: { pingMs: 300, connectMs: 300, tcpMs: 160 },
    });
    // Stopped by the guard (a ping that hung): runs again, with at least twice its wait.
    const hung = [
      { ...out('ping-node:node-1', 124, 3000), timedOut: true },
      out('ping-node:node-2', 0, 50, reply(0.2)),
    ];
    assert.deepEqual(undecided(hung, network, waits).waits?.pingMs, 200);
  });

  it('gets its wait as its own -W, the probe’s word replaced or put first, and runs without `timeout`', () => {
    // A stand-in ping that prints the arguments it got and what started it: for an IPv4 address the
    // probe's own shell, not a `timeout` (a process more per probe, for a guard -W makes redundant).
    const bin = standInTools({
      ping: 'echo "$*"; cat /proc/$PPID/comm; case "$*" in *hangs.example*) exec sleep 30;; esac',
    });
    const probes = [
      { key: 'with-w', command: sh`ping -n -c 1 -W 1 198.18.0.11`, timeoutMs: 1000, selfTimed: true },
      { key: 'without-w', command: sh`ping -n -c 1 198.18.0.12`, timeoutMs: 1000, selfTimed: true },
      { key: 'odd', command: sh`ping -n -c 1 -W 1 ${'a b'} -W`, timeoutMs: 1000, selfTimed: true },
      { key: 'by-name', command: sh`ping -n -c 1 -W 1 node-1.example`, timeoutMs: 1000, selfTimed: true },
      { key: 'hangs', command: sh`ping -n -c 1 -W 1 hangs.example`, timeoutMs: 1000, selfTimed: true },
    ];
    const started = Date.now();
    const by = runBundleLocally(
      buildBundle(probes, undefined, { pingMs: 150, connectMs: 300, pingInTool: true }),
      probes,
      bin,
    );
    assert.equal(by['with-w']?.stdout, '-n -c 1 -W 0.150 198.18.0.11\nsh\n');
    assert.equal(by['without-w']?.stdout, '-W 0.150 -n -c 1 198.18.0.12\nsh\n');
    // The last argument is not an IPv4 address: `timeout` stays (ping resolves a name first, and
    // nothing in ping bounds that wait).
    assert.equal(by.odd?.stdout, '-n -c 1 -W 0.150 a b -W\ntimeout\n');
    assert.equal(by['by-name']?.stdout, '-n -c 1 -W 0.150 node-1.example\ntimeout\n');
    // …and that guard ends a name that never resolves.
    assert.equal(by.hangs?.timedOut, true);
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
    // Cut from outside, or of a flavour not known yet: `timeout` cuts it, and guards a hang.
    for (const waits of [undefined, { pingMs: 150, connectMs: 300 }]) {
      const cut = runBundleLocally(buildBundle(probes, undefined, waits), probes, bin);
      assert.equal(cut['with-w']?.stdout.split('\n')[1], 'timeout');
    }
  });

  it('the Perl check gets its wait through _NC_WAIT and waits it once started, fractions included', () => {
    const bin = standInTools({ perl: 'echo "wait=$_NC_WAIT"; cat /proc/$PPID/comm' });
    const probes = [
      { key: 'tcp', command: sh`perl -e 1 198.18.0.11 10250 2`, timeoutMs: 3000, selfTimed: true },
      { key: 'by-name', command: sh`perl -e 1 kubelet.example 10250 2`, timeoutMs: 3000, selfTimed: true },
    ];
    const bundle = buildBundle(probes, undefined, { pingMs: 300, connectMs: 300, tcpMs: 120 });
    const own = runBundleLocally(bundle, probes, bin);
    // Its own wait; given an IPv4 address no `timeout` around it (select() ends it), given a name
    // `timeout` still (a lookup that hangs is beyond Perl's alarm).
    assert.equal(own.tcp?.stdout, 'wait=0.120\nsh\n');
    assert.equal(own['by-name']?.stdout, 'wait=0.120\ntimeout\n');
    // Without a wait of its own, a _NC_WAIT the node's environment may hold is not passed on.
    process.env._NC_WAIT = '0.001';
    try {
      for (const waits of [undefined, { pingMs: 300, connectMs: 300 }]) {
        const cut = buildBundle(probes, undefined, waits);
        assert.equal(runBundleLocally(cut, probes, bin).tcp?.stdout, 'wait=\ntimeout\n');
      }
    } finally {
      delete process.env._NC_WAIT;
    }
  });
});

describe('the Perl TCP check, for real on loopback', () => {
  const check = (host: string, port: number, wait?: string) => {
    const started = Date.now();
    const r = spawnSync('perl', ['-e', TCP_CONNECT_PERL, host, String(port), '2'], {
      encoding: 'utf8',
      env: { ...process.env, ...(wait === undefined ? {} : { _NC_WAIT: wait }) },
      timeout: 10_000,
    });
    return { line: r.stdout.trim(), status: r.status, ms: Date.now() - started };
  };

  it('connected, refused, and a timeout after the fraction of a second it was given', async () => {
    // The first connect fills the queue; the kernel drops the SYNs of the next ones.
    const port = await neverAccepting();
    assert.deepEqual(check('127.0.0.1', port, '0.5').line, 'tcp-connect ok');
    const cut = check('127.0.0.1', port, '0.300');
    assert.deepEqual([cut.line, cut.status], ['tcp-connect ETIMEDOUT', 1]);
    assert.ok(cut.ms >= 300 && cut.ms < 1500, `waited ${cut.ms} ms for a 0.3 s wait`);
    // A wait that is not a plain number is ignored: the argument's whole seconds apply.
    const junk = check('127.0.0.1', port, '1e9');
    assert.ok(junk.ms >= 1900, `waited ${junk.ms} ms, the argument says 2 s`);
    // Closed port: refused at once; a host name goes through Socket (the blocking path).
    const closed = check('127.0.0.1', 1, '0.2');
    assert.deepEqual([closed.line, closed.status], ['tcp-connect ECONNREFUSED', 1]);
    assert.equal(check('localhost', 1, '0.2').line, 'tcp-connect ECONNREFUSED');
  });
});

/**
 * A loopback port with a backlog of 0 that never accepts: once one connect fills its queue, the
 * kernel drops the SYNs of the next ones (nothing answers them, as a firewall's DROP). `filled`:
 * that connect is made here, so the port drops SYNs from the start.
 */
async function neverAccepting(filled = false): Promise<number> {
  const fill = filled
    ? 'socket(my $c, PF_INET, SOCK_STREAM, 0) or die; connect($c, pack_sockaddr_in($p, inet_aton("127.0.0.1"))) or die; '
    : '';
  const listener = spawn(
    'perl',
    [
      '-e',
      `use Socket; socket(my $s, PF_INET, SOCK_STREAM, 0) or die; bind($s, pack_sockaddr_in(0, inet_aton("127.0.0.1"))) or die; listen($s, 0) or die; my ($p) = unpack_sockaddr_in(getsockname($s)); ${fill}$| = 1; print "$p\n"; sleep 60`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  after(() => listener.kill());
  const [chunk] = (await once(listener.stdout, 'data')) as [Buffer];
  return Number(chunk.toString().trim());
}

/**
 * An HTTPS server on loopback whose TLS handshake starts `delayMs` after TCP connected (a busy API
 * server): TCP is accepted at once, the socket handed to TLS later. Counts the connections.
 */
async function slowTlsServer(delayMs: number): Promise<{ port: number; connections: () => number }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'nc-slow-tls-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const files = { key: path.join(dir, 'key.pem'), cert: path.join(dir, 'cert.pem') };
  const [cmd, ...args] = selfSignedCertCommand('/CN=127.0.0.1', files, 1);
  execFileSync(cmd!, args, { stdio: 'ignore' });
  const https = createHttpsServer(
    { key: readFileSync(files.key), cert: readFileSync(files.cert) },
    (_q, res) => res.end('ok'),
  );
  let connections = 0;
  const timers = new Set<NodeJS.Timeout>();
  const tcp: Server = createTcpServer((socket) => {
    connections++;
    socket.on('error', () => undefined);
    const t = setTimeout(() => {
      timers.delete(t);
      https.emit('connection', socket);
    }, delayMs);
    timers.add(t);
  });
  tcp.listen(0, '127.0.0.1');
  await once(tcp, 'listening');
  after(() => {
    for (const t of timers) clearTimeout(t);
    tcp.close();
    https.close();
  });
  const address = tcp.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return { port: address.port, connections: () => connections };
}

describe('curl, for real on loopback: its TCP handshake keeps the short wait, TLS the whole one', () => {
  const waits = { pingMs: 300, connectMs: 2000, tcpMs: 100 };
  const https = (url: string, host: string, port: number) => ({
    key: 'https-apiserver',
    command: probeCommands.httpsGet(url, host, port),
    timeoutMs: 5000,
    selfTimed: true,
  });
  const run = async (
    probe: ReturnType<typeof https>,
    w: typeof waits | { pingMs: number; connectMs: number },
  ) => {
    const r = (await runBundleLocallyAsync(buildBundle([probe], undefined, w), [probe]))[probe.key];
    assert.ok(r, 'the probe ran');
    return r;
  };

  it('a port that drops SYNs is a timeout after the TCP wait, not the whole connect wait', async () => {
    const port = await neverAccepting(true);
    const probe = https(`https://127.0.0.1:${port}/livez`, '127.0.0.1', port);
    const started = Date.now();
    const cut = await run(probe, waits);
    const took = Date.now() - started;
    const parsed = parseHttps(cut);
    assert.equal(parsed.status, 'ok');
    assert.deepEqual(parsed.status === 'ok' && [parsed.value.tcpConnected, parsed.value.tcpFailure], [
      false,
      'timeout',
    ]);
    assert.ok(took < 1500, `the 2 s connect wait applied (${took} ms); the TCP wait is 0.1 s`);
    assert.notEqual(cut.stderr.trim(), '', 'curl’s own message is shown');
    // Decided by the path's measured round trip (a fast ping to the control plane): not run again.
    const rtt = 'rtt min/avg/max/mdev = 0.050/0.050/0.050/0.000 ms\n';
    const ping = { ...cut, probe: 'ping-control-plane', exitCode: 0, stdout: rtt, command: '' };
    assert.deepEqual(undecided([cut, ping], network, waits).probes, []);
    // A path whose round trip is 40 ms: 0.1 s did not decide, it runs again with four of those.
    const slowPing = { ...ping, stdout: 'rtt min/avg/max/mdev = 40.0/40.0/40.0/0.000 ms\n' };
    assert.deepEqual(undecided([cut, slowPing], network, waits), {
      probes: ['https-apiserver'],
      waits: { pingMs: 300, connectMs: 2000, tcpMs: 160 },
    });
  });

  it('a slow TLS handshake after a quick TCP one is tried again with the whole wait: answered, not blocked', async () => {
    const server = await slowTlsServer(400);
    const probe = https(`https://127.0.0.1:${server.port}/livez`, '127.0.0.1', server.port);
    const answered = await run(probe, waits);
    assert.equal(answered.exitCode, 0, answered.stderr);
    assert.match(answered.stdout, /^200 1 \d/);
    assert.equal(answered.stderr, '', 'the first try’s timeout is not shown with the answer');
    assert.equal(
      server.connections(),
      2,
      'the first try gave up after 0.1 s, in TLS; the second got its answer',
    );
    // With no measured round trip (no tcpMs), and for a name (the resolver is in curl's timer): one try, the whole wait.
    assert.equal((await run(probe, { pingMs: 300, connectMs: 2000 })).exitCode, 0);
    assert.equal(server.connections(), 3);
    const byName = https(`https://localhost:${server.port}/livez`, 'localhost', server.port);
    assert.equal((await run(byName, waits)).exitCode, 0);
    assert.equal(server.connections(), 4);
  });

  it('tells an IPv4 address in the probe’s URL from a name, as the bundle’s curl does', () => {
    const cmd = (url: string) => probeCommands.httpsGet(url, 'x', 6443).text;
    assert.equal(curlUrlIsIpv4(cmd('https://198.18.0.10:6443/livez')), true);
    assert.equal(curlUrlIsIpv4(cmd('https://198.18.0.10/livez')), true);
    assert.equal(curlUrlIsIpv4(cmd('https://cp.example:6443/livez')), false);
    assert.equal(curlUrlIsIpv4(cmd('https://[fd00::10]:6443/livez')), false);
    assert.equal(curlUrlIsIpv4('perl -e 1 198.18.0.10 6443 2'), false);
  });
});
