import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Parsed } from '../../src/probes/parsed.js';
import { parseCniConfigDir } from '../../src/probes/parsers/cni-config-dir.js';
import { parseHttps } from '../../src/probes/parsers/curl.js';
import { parseAddresses } from '../../src/probes/parsers/ip-addr.js';
import { parseLink } from '../../src/probes/parsers/ip-link.js';
import { parseRouteGet } from '../../src/probes/parsers/ip-route.js';
import { parseIptablesSave, portMatches, tokenize } from '../../src/probes/parsers/iptables-save.js';
import { parsePing } from '../../src/probes/parsers/ping.js';
import { parseListeningPorts } from '../../src/probes/parsers/ss.js';
import { parseSubnetEnv } from '../../src/probes/parsers/subnet-env.js';
import { parseTcpConnect } from '../../src/probes/parsers/tcp-connect.js';
import type { ProbeOutput } from '../../src/probes/probe-output.js';
import { fixture, output } from '../support/facts-builder.js';

function value<T>(parsed: Parsed<T>): T {
  assert.equal(parsed.status, 'ok', parsed.status === 'unknown' ? parsed.reason : '');
  return (parsed as { value: T }).value;
}

const pick = (t: { connected: boolean; refused: boolean }) => [t.connected, t.refused];

const MISSING_TOOL = { exitCode: 127, stdout: '', stderr: 'sh: 1: curl: not found\n' };

describe('parsers (recorded output)', () => {
  it('ping: reply, no reply, tool missing, timeout', () => {
    assert.equal(value(parsePing(output('p', 'n', { stdout: fixture('ping-ok.txt') }))).replied, true);
    const lost = value(parsePing(output('p', 'n', { exitCode: 1, stdout: fixture('ping-timeout.txt') })));
    assert.equal(lost.replied, false);
    assert.match(lost.summary, /100% packet loss/);
    assert.equal(parsePing(output('p', 'n', MISSING_TOOL)).status, 'unknown');
    assert.equal(parsePing(output('p', 'n', { exitCode: null, timedOut: true })).status, 'unknown');
  });

  it('https: HTTP answer, refused, connect timeout, TLS failure after connect, missing curl', () => {
    assert.deepEqual(value(parseHttps(output('h', 'n', { stdout: '200' }))).httpStatus, 200);
    const refused = value(
      parseHttps(
        output('h', 'n', {
          exitCode: 7,
          stderr:
            "curl: (7) Failed to connect to 198.18.0.10 port 6443 after 0 ms: Couldn't connect to server",
        }),
      ),
    );
    assert.equal(refused.tcpConnected, false);
    assert.equal(refused.tcpFailure, 'refused');
    const timeout = value(
      parseHttps(
        output('h', 'n', {
          exitCode: 28,
          stderr: 'curl: (28) Failed to connect to 198.18.0.10 port 6443 after 2001 ms: Timeout was reached',
        }),
      ),
    );
    assert.equal(timeout.tcpFailure, 'timeout');
    const tls = value(
      parseHttps(
        output('h', 'n', {
          exitCode: 35,
          stderr: 'curl: (35) OpenSSL SSL_connect: Connection reset by peer',
        }),
      ),
    );
    assert.equal(tls.tcpConnected, true);
    assert.equal(tls.httpStatus, undefined);
    const slow = value(
      parseHttps(
        output('h', 'n', {
          exitCode: 28,
          stdout: '000 1\n',
          stderr: 'curl: (28) Operation timed out after 3000 milliseconds with 0 bytes received',
        }),
      ),
    );
    assert.equal(slow.tcpConnected, true, 'num_connects 1: TCP connected, then nothing came back');
    assert.equal(parseHttps(output('h', 'n', MISSING_TOOL)).status, 'unknown');
  });

  it('https: the wording does not matter, exit codes, num_connects and the errno name do', () => {
    // curl 8.14 words a connect timeout "Connection timed out after 2002 milliseconds"; 7.88 "Timeout was reached".
    for (const stderr of [
      '',
      'curl: (28) Connection timed out after 2002 milliseconds',
      'curl: (28) Zeitüberschreitung',
    ]) {
      const t = value(parseHttps(output('h', 'n', { exitCode: 28, stdout: '000 0\n', stderr })));
      assert.deepEqual([t.tcpConnected, t.tcpFailure], [false, 'timeout']);
    }
    const unreachable = value(
      parseHttps(output('h', 'n', { exitCode: 7, stdout: '000 0\ntcp-connect EHOSTUNREACH\n', stderr: 'x' })),
    );
    assert.equal(unreachable.tcpFailure, 'unreachable');
    const tls = value(parseHttps(output('h', 'n', { exitCode: 35, stdout: '000 1\n', stderr: 'anything' })));
    assert.deepEqual([tls.tcpConnected, tls.httpStatus], [true, undefined]);
    assert.equal(parseHttps(output('h', 'n', { exitCode: 6, stdout: '000 0\n' })).status, 'unknown');
  });

  it('tcp-node: errno names from the Perl check; curl 7 and 8 wording in the fallback alike', () => {
    const tcp = (fields: Partial<ProbeOutput>) => value(parseTcpConnect(output('t', 'n', fields)));
    assert.deepEqual(pick(tcp({ stdout: 'tcp-connect ok\n' })), [true, false]);
    assert.deepEqual(pick(tcp({ exitCode: 1, stdout: 'tcp-connect ECONNREFUSED\n' })), [false, true]);
    assert.deepEqual(pick(tcp({ exitCode: 1, stdout: 'tcp-connect ETIMEDOUT\n' })), [false, false]);
    assert.deepEqual(pick(tcp({ exitCode: 1, stdout: 'tcp-connect ENETUNREACH\n' })), [false, false]);
    assert.equal(
      parseTcpConnect(output('t', 'n', { exitCode: 1, stdout: 'tcp-connect EMFILE\n' })).status,
      'unknown',
      'an errno about the node, not the path, is not a verdict on the path',
    );
    assert.equal(
      parseTcpConnect(output('t', 'n', { exitCode: 2, stdout: 'tcp-connect unresolved\n' })).status,
      'unknown',
    );
    for (const stderr of [
      "curl: (7) Failed to connect to 198.18.0.11 port 10250 after 0 ms: Couldn't connect to server",
      'curl: (7) Failed to connect to 198.18.0.11 port 10250 after 0 ms: Could not connect to server',
    ]) {
      assert.deepEqual(pick(tcp({ exitCode: 7, stdout: '000 0\n', stderr })), [false, true], stderr);
    }
    assert.deepEqual(pick(tcp({ exitCode: 28, stdout: '000 0\n' })), [false, false]);
    assert.deepEqual(pick(tcp({ exitCode: 52, stdout: '000 1\n' })), [true, false]);
  });

  it('ip link: present vxlan device, missing device, truncated JSON', () => {
    const link = value(
      parseLink(output('l', 'n', { stdout: fixture('ip-link-flannel-present.json') }), 'flannel.1'),
    );
    assert.equal(link.exists, true);
    assert.equal(link.kind, 'vxlan');
    assert.deepEqual(link.vxlan, { id: 1, local: '198.18.0.13', port: 8472 });
    assert.equal(link.mtu, 1450);
    const missing = value(parseLink(output('l', 'n', { stdout: 'NODEV\n' }), 'flannel.1'));
    assert.equal(missing.exists, false, 'ip -j link show lists no flannel.1');
    assert.equal(
      parseLink(
        output('l', 'n', { exitCode: 1, stderr: 'Device "flannel.1" does not exist.\n' }),
        'flannel.1',
      ).status,
      'unknown',
      'without the marker a failed ip is not read for its wording',
    );
    const truncated = fixture('ip-link-flannel-present.json').slice(0, 100);
    assert.equal(
      parseLink(output('l', 'n', { stdout: truncated, truncated: true }), 'flannel.1').status,
      'unknown',
    );
  });

  it('ip addr: IPv4 addresses per interface', () => {
    const addresses = value(parseAddresses(output('a', 'n', { stdout: fixture('ip-addr.json') })));
    assert.ok(
      addresses.some((a) => a.ifname === 'eth0' && a.address === '198.18.0.13' && a.prefixlen === 24),
    );
    assert.ok(addresses.some((a) => a.ifname === 'cni0' && a.address === '10.244.3.1'));
  });

  it('ip route get: host route vs overlay route vs no route', () => {
    assert.equal(
      value(parseRouteGet(output('r', 'n', { stdout: fixture('ip-route-get-eth0.json') }))).dev,
      'eth0',
    );
    assert.equal(
      value(parseRouteGet(output('r', 'n', { stdout: fixture('ip-route-get-flannel.json') }))).dev,
      'flannel.1',
    );
    const none = value(
      parseRouteGet(output('r', 'n', { exitCode: 2, stderr: 'RTNETLINK answers: Network is unreachable\n' })),
    );
    assert.equal(none.reachable, false);
  });

  it('/etc/cni/net.d listing and subnet.env', () => {
    assert.deepEqual(
      value(
        parseCniConfigDir(
          output('c', 'n', { stdout: 'DIR /etc/cni/net.d\n10-flannel.conflist\n00-calico.conflist\n' }),
        ),
      ).files,
      ['00-calico.conflist', '10-flannel.conflist'],
    );
    assert.equal(
      value(parseCniConfigDir(output('c', 'n', { stdout: 'NODIR /etc/cni/net.d\n' }))).exists,
      false,
    );
    const env = value(parseSubnetEnv(output('s', 'n', { stdout: fixture('subnet-env.txt') })));
    assert.ok(env.present && env.values.FLANNEL_SUBNET === '10.244.3.1/24');
    assert.equal(value(parseSubnetEnv(output('s', 'n', { stdout: 'NOFILE\n' }))).present, false);
    assert.equal(
      parseSubnetEnv(
        output('s', 'n', { exitCode: 1, stderr: 'cat: /run/flannel/subnet.env: Permission denied' }),
      ).status,
      'unknown',
    );
  });

  it('ss -Hltn: listening ports, IPv4 and IPv6 forms', () => {
    assert.deepEqual(
      value(parseListeningPorts(output('s', 'n', { stdout: fixture('ss-listening-apiserver.txt') }))),
      [22, 6443, 10248, 10250],
    );
    assert.deepEqual(
      value(parseListeningPorts(output('s', 'n', { stdout: 'LISTEN 0 128 [::]:22 [::]:*\n' }))),
      [22],
    );
  });

  it('iptables-save: tables, policies, rules with quoted comments and port matches', () => {
    const dump = value(
      parseIptablesSave(output('i', 'n', { stdout: fixture('iptables-save-blocking.txt') })),
    );
    assert.equal(dump.policies.filter?.INPUT, 'ACCEPT');
    const icmp = dump.rules.find((r) => r.protocol === 'icmp');
    assert.equal(icmp?.target, 'DROP');
    const api = dump.rules.find((r) => r.dports.length > 0)!;
    assert.equal(api.target, 'REJECT');
    assert.ok(portMatches(api, 6443));
    assert.ok(!portMatches(api, 443));
    assert.deepEqual(tokenize('-A X -m comment --comment "a \\"b\\" c" -j ACCEPT'), [
      '-A',
      'X',
      '-m',
      'comment',
      '--comment',
      'a "b" c',
      '-j',
      'ACCEPT',
    ]);
    assert.equal(
      parseIptablesSave(
        output('i', 'n', {
          exitCode: 1,
          stderr:
            'iptables-save v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)',
        }),
      ).status,
      'unknown',
    );
  });
});

describe('services probe', () => {
  it('keeps the units systemd knows and drops empty answers (no systemd)', async () => {
    const { parseServices } = await import('../../src/probes/parsers/systemctl.js');
    const parsed = parseServices(output('s', 'n', { stdout: 'kubelet=failed\ncontainerd=active\n' }));
    assert.deepEqual(parsed.status === 'ok' && parsed.value, { kubelet: 'failed', containerd: 'active' });
    const none = parseServices(output('s', 'n', { stdout: 'kubelet=\ncontainerd=\n' }));
    assert.deepEqual(none.status === 'ok' && none.value, {});
  });
});
