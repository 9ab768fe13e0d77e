import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { parseKnownHosts } from '../../src/ssh/known-hosts.js';
import { sh } from '../../src/ssh/remote-command.js';
import type { SshError } from '../../src/ssh/ssh-error.js';
import { SshTransport } from '../../src/ssh/ssh-transport.js';
import { freePort } from '../support/free-port.js';
import { startSshd, type TestSshd } from '../support/sshd.js';

const execFileAsync = promisify(execFile);

describe('SSH transport against a real sshd', () => {
  let sshd: TestSshd;
  let other: TestSshd;
  let transport: SshTransport;
  const target = () => ({ name: 'test-node', host: sshd.host, port: sshd.port });

  before(async () => {
    [sshd, other] = await Promise.all([startSshd(), startSshd()]);
    transport = new SshTransport({
      user: 'root',
      privateKey: sshd.privateKey,
      knownHosts: parseKnownHosts(sshd.knownHostsLine),
      connectTimeoutMs: 2000,
    });
  });
  after(async () => {
    await transport?.close();
    await sshd?.stop();
    await other?.stop();
  });

  it('runs a command and returns stdout, stderr and the exit code', async () => {
    const r = await transport.exec(target(), sh`echo out; echo err >&2; exit 3`, { timeoutMs: 5000 });
    assert.deepEqual(
      { code: r.exitCode, out: r.stdout, err: r.stderr, timedOut: r.timedOut },
      { code: 3, out: 'out\n', err: 'err\n', timedOut: false },
    );
    // The connection's TCP connect (one round trip) is known, and is a part of its handshake.
    const connect = transport.connectRttMs(target());
    const handshake = transport.handshakeMs(target());
    assert.ok(connect !== undefined && handshake !== undefined && connect >= 0 && connect <= handshake);
  });

  it('passes quotes and $() through literally (no second interpretation)', async () => {
    const hostile = `it's $(echo pwned) \`echo pwned\``;
    const r = await transport.exec(target(), sh`printf %s ${hostile}`, { timeoutMs: 5000 });
    assert.equal(r.stdout, hostile);
  });

  it('runs a command longer than one exec argument may be (128 KiB) from stdin, which nothing it starts can read', async () => {
    // A target's bundle on a cluster of ~80 nodes or more is this long; as the exec request's text,
    // sshd's shell fails to start with E2BIG ("Argument list too long") and nothing runs.
    const filler = 'x'.repeat(200 * 1024);
    const r = await transport.exec(target(), sh`a=${filler}; printf '%s ' "\${#a}"; cat; echo end; exit 3`, {
      timeoutMs: 5000,
    });
    assert.deepEqual(
      { out: r.stdout, err: r.stderr, code: r.exitCode },
      { out: '204800 end\n', err: '', code: 3 },
    );
    // Such a command cannot also be given stdin of its own: refused, not run.
    await assert.rejects(
      transport.exec(target(), sh`a=${filler}; cat > /tmp/netcheck-must-not-exist`, {
        timeoutMs: 5000,
        stdin: 'secret',
      }),
      (e: SshError) => e.code === 'ssh-protocol' && /nothing was run/.test(e.detail),
    );
  });

  it('reuses one pooled connection and runs 20 commands at once within MaxSessions', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        transport.exec(target(), sh`echo ${i}; echo $PPID`, { timeoutMs: 5000 }),
      ),
    );
    assert.ok(results.every((r, i) => r.exitCode === 0 && r.stdout.startsWith(`${i}\n`)));
    // Each command's parent is the sshd session process of one connection: count distinct connections via sshd's children.
    const sessions = await transport.exec(target(), sh`ps -o ppid= -C sshd | sort -u | wc -l`, {
      timeoutMs: 5000,
    });
    assert.ok(Number(sessions.stdout.trim()) <= 3, `expected one connection, sshd shows ${sessions.stdout}`);
  });

  it('queues channels the server refuses at its MaxSessions, runs each command once, and fails none', async () => {
    // The pool allows 8 channels; this sshd takes 2 at once and refuses the rest ("open failed").
    const limited = await startSshd({ maxSessions: 2 });
    const warnings: object[] = [];
    const t = new SshTransport({
      user: 'root',
      privateKey: limited.privateKey,
      knownHosts: parseKnownHosts(limited.knownHostsLine),
      maxConcurrentChannels: 8,
      logger: { warn: (obj) => warnings.push(obj) },
    });
    const node = { name: 'limited', host: limited.host, port: limited.port };
    const log = `${limited.dir}/ran.log`;
    try {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          t.exec(node, sh`echo ${i} >> ${log}; sleep 0.1; echo ${i}`, { timeoutMs: 10_000 }),
        ),
      );
      assert.deepEqual(
        results.map((r) => [r.exitCode, r.stdout]),
        Array.from({ length: 20 }, (_, i) => [0, `${i}\n`]),
      );
      // A refused channel never started its command, so nothing ran twice.
      const ran = await t.exec(node, sh`sort -n ${log}`, { timeoutMs: 5000 });
      assert.deepEqual(
        ran.stdout.trim().split('\n').map(Number),
        Array.from({ length: 20 }, (_, i) => i),
      );
      assert.deepEqual(warnings, [{ target: 'limited' }]);
    } finally {
      await t.close();
      await limited.stop();
    }
  });

  it('returns at the last line without waiting for the command to exit, and keeps its slot until the channel closes', async () => {
    // One channel at a time: a command that can only run once the first one's channel has closed.
    const t = new SshTransport({
      user: 'root',
      privateKey: sshd.privateKey,
      knownHosts: parseKnownHosts(sshd.knownHostsLine),
      maxConcurrentChannels: 1,
    });
    const gate = `${sshd.dir}/gate`;
    const after = `${sshd.dir}/after`;
    await execFileAsync('mkfifo', [gate]);
    try {
      // The command blocks on the FIFO after its last line: only this test can let it end.
      const first = await t.exec(
        target(),
        sh`printf 'out\\nLAST\\n'; read x < ${gate}; echo "$x" > ${after}; echo more`,
        { timeoutMs: 10_000, lastLine: 'LAST\n' },
      );
      assert.deepEqual(
        { code: first.exitCode, out: first.stdout, timedOut: first.timedOut },
        { code: 0, out: 'out\nLAST\n', timedOut: false },
      );
      const second = t.exec(target(), sh`cat ${after}`, { timeoutMs: 5000 });
      // Had the slot been given back at the last line, `cat` would have run (and failed) by now.
      const early = await Promise.race([
        second.then(() => 'ran'),
        new Promise((resolve) => setTimeout(resolve, 500, 'waiting')),
      ]);
      assert.equal(early, 'waiting');
      await writeFile(gate, 'opened\n');
      const r = await second;
      assert.deepEqual({ code: r.exitCode, out: r.stdout }, { code: 0, out: 'opened\n' });
      // The last line split over two writes (two SSH packets) is still the last line; the deadline
      // (a minute) is not what ends the wait.
      const split = await t.exec(
        target(),
        sh`printf 'out\\nLA'; sleep 0.2; printf 'ST\\n'; read x < ${gate}`,
        {
          timeoutMs: 60_000,
          lastLine: 'LAST\n',
        },
      );
      assert.deepEqual(
        { out: split.stdout, timedOut: split.timedOut },
        { out: 'out\nLAST\n', timedOut: false },
      );
      await writeFile(gate, 'opened\n');
    } finally {
      await t.close();
    }
  });

  it('kills a command that hangs and reports a timeout', async () => {
    const started = performance.now();
    const r = await transport.exec(target(), sh`sleep 30`, { timeoutMs: 500 });
    const elapsed = performance.now() - started;
    assert.equal(r.timedOut, true);
    assert.ok(elapsed < 3000, `took ${elapsed} ms`);
    const left = await transport.exec(target(), sh`pgrep -f '(^|[ /])slee[p] 30$' || true`, {
      timeoutMs: 5000,
    });
    assert.equal(left.stdout.trim(), '');
  });

  it('caps output and says so', async () => {
    const r = await transport.exec(target(), sh`head -c 10000000 /dev/zero | tr '\\0' x`, {
      timeoutMs: 10_000,
      maxOutputBytes: 4096,
    });
    assert.equal(r.truncated, true);
    assert.equal(r.stdout.length, 4096);
  });

  it('refuses a host whose key is not the pinned one, and runs nothing', async () => {
    const wrong = other.knownHostsLine.replace(`]:${other.port} `, `]:${sshd.port} `);
    const t = new SshTransport({
      user: 'root',
      privateKey: sshd.privateKey,
      knownHosts: parseKnownHosts(wrong),
    });
    await assert.rejects(
      t.exec(target(), sh`touch /tmp/netcheck-must-not-exist`, { timeoutMs: 2000 }),
      (e: SshError) => e.code === 'host-key-mismatch',
    );
    await t.close();
  });

  it('refuses a host with no pinned key before connecting', async () => {
    const t = new SshTransport({
      user: 'root',
      privateKey: sshd.privateKey,
      knownHosts: parseKnownHosts(''),
    });
    await assert.rejects(t.connect(target()), (e: SshError) => e.code === 'host-key-unknown');
    await t.close();
  });

  it('a closed port is node-unreachable', async () => {
    const port = await freePort();
    const t = new SshTransport({
      user: 'root',
      privateKey: sshd.privateKey,
      knownHosts: parseKnownHosts(sshd.knownHostsLine.replace(`]:${sshd.port} `, `]:${port} `)),
    });
    await assert.rejects(
      t.connect({ name: 'gone', host: '127.0.0.1', port }),
      (e: SshError) => e.code === 'node-unreachable',
    );
    await t.close();
  });

  it('a server that never speaks SSH is node-unreachable within the connect timeout', async () => {
    const silent = createServer(() => {});
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const port = (silent.address() as { port: number }).port;
    const t = new SshTransport({
      user: 'root',
      privateKey: sshd.privateKey,
      knownHosts: parseKnownHosts(sshd.knownHostsLine.replace(`]:${sshd.port} `, `]:${port} `)),
      connectTimeoutMs: 500,
    });
    const started = performance.now();
    await assert.rejects(
      t.connect({ name: 'silent', host: '127.0.0.1', port }),
      (e: SshError) => e.code === 'node-unreachable',
    );
    assert.ok(performance.now() - started < 2500);
    await t.close();
    silent.close();
  });

  it('when the link dies, the next command reports node-unreachable and nothing crashes', async () => {
    // A TCP relay in front of sshd stands in for the network: destroying its sockets cuts the link.
    const sockets = new Set<import('node:net').Socket>();
    const relay = createServer((inbound) => {
      const outbound = connect({ host: sshd.host, port: sshd.port });
      sockets.add(inbound).add(outbound);
      inbound.pipe(outbound).pipe(inbound);
      inbound.on('error', () => outbound.destroy());
      outbound.on('error', () => inbound.destroy());
    });
    relay.listen(0, '127.0.0.1');
    await once(relay, 'listening');
    const port = (relay.address() as { port: number }).port;
    const t = new SshTransport({
      user: 'root',
      privateKey: sshd.privateKey,
      knownHosts: parseKnownHosts(sshd.knownHostsLine.replace(`]:${sshd.port} `, `]:${port} `)),
      connectTimeoutMs: 1000,
    });
    const node = { name: 'flaky', host: '127.0.0.1', port };
    assert.equal((await t.exec(node, sh`true`, { timeoutMs: 2000 })).exitCode, 0);
    relay.close();
    for (const s of sockets) s.destroy();
    await assert.rejects(
      t.exec(node, sh`true`, { timeoutMs: 2000 }),
      (e: SshError) => e.code === 'node-unreachable',
    );
    await t.close();
  });
});
