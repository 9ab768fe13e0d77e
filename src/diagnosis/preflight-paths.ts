import type { NodeFacts } from '../probes/cluster-facts.js';
import type { PreflightFacts } from '../probes/collect-preflight.js';
import { parsePing } from '../probes/parsers/ping.js';
import { parseTcpConnect } from '../probes/parsers/tcp-connect.js';
import { PREFLIGHT_PROBE, pathProbeKey } from '../probes/preflight-plan.js';
import type { ProbeOutput } from '../probes/probe-output.js';
import { parseIpv4 } from './cidr.js';
import type { PreflightRow } from './preflight-result.js';

type Row = Omit<PreflightRow, 'area'>;

const sshFailed = (node: NodeFacts | undefined) =>
  !node
    ? 'not probed'
    : node.connection.ok
      ? undefined
      : `SSH to ${node.name} failed (${node.connection.code})`;

function icmp(from: NodeFacts | undefined, to: string, subject: string): Row {
  const check = 'icmp';
  const down = sshFailed(from);
  const output = from?.outputs[pathProbeKey('ping', to)];
  if (down || !output) return { check, subject, status: 'unknown', detail: down ?? 'no output' };
  const p = parsePing(output);
  if (p.status !== 'ok') return { check, subject, status: 'unknown', detail: p.reason };
  return p.value.replied
    ? { check, subject, status: 'pass', detail: 'ping answered' }
    : {
        check,
        catalogId: 'icmp-blocked',
        subject,
        status: 'fail',
        detail: `no ping reply (${p.value.summary})`,
      };
}

/** 10250/tcp: connected or refused (a RST: nothing listens yet) both prove the path carries TCP. */
function kubeletPort(from: NodeFacts | undefined, to: string, subject: string): Row {
  const check = 'tcp-10250';
  const down = sshFailed(from);
  const output = from?.outputs[pathProbeKey('tcp-10250', to)];
  if (down || !output) return { check, subject, status: 'unknown', detail: down ?? 'no output' };
  const t = parseTcpConnect(output);
  if (t.status !== 'ok') return { check, subject, status: 'unknown', detail: t.reason };
  return t.value.connected || t.value.refused
    ? { check, subject, status: 'pass', detail: t.value.summary }
    : {
        check,
        subject,
        status: 'fail',
        detail: `${t.value.summary}: the kubelet port must be reachable both ways`,
      };
}

/** 6443/tcp must connect: the API server listens there (a reject or a drop fails alike). */
function apiServer(facts: PreflightFacts, from: NodeFacts | undefined): Row {
  const check = 'tcp-6443';
  const subject = `${facts.candidate} → API server ${facts.apiServer.host}:${facts.apiServer.port}`;
  const down = sshFailed(from);
  const output = from?.outputs[PREFLIGHT_PROBE.apiServer];
  if (down || !output) return { check, subject, status: 'unknown', detail: down ?? 'no output' };
  const t = parseTcpConnect(output);
  if (t.status !== 'ok') return { check, subject, status: 'unknown', detail: t.reason };
  return t.value.connected
    ? { check, subject, status: 'pass', detail: t.value.summary }
    : {
        check,
        catalogId: 'apiserver-port-blocked',
        subject,
        status: 'fail',
        detail: `${t.value.summary}: kubeadm join needs the API server`,
      };
}

/** What a node's UDP exchange saw: per expected sender, ok/none; or why it could not listen. */
function udpSeen(output: ProbeOutput | undefined): { seen: Map<string, boolean> } | { reason: string } {
  if (!output) return { reason: 'no output' };
  if (output.timedOut) return { reason: `timed out after ${output.durationMs} ms` };
  if (!/^udp-listening$/m.test(output.stdout)) {
    const why = /^udp-(nosocket \S+|noperl)/m.exec(output.stdout)?.[1];
    return { reason: why ? `could not listen (${why})` : 'the UDP check did not start' };
  }
  const seen = new Map<string, boolean>();
  for (const m of output.stdout.matchAll(/^udp-from (\S+) (ok|none)$/gm)) seen.set(m[1]!, m[2] === 'ok');
  return { seen };
}

/** 8472/udp from `from` to `to`, as the receiving end saw it (udp-exchange-script.ts). */
function vxlan(from: NodeFacts | undefined, to: NodeFacts | undefined, subject: string): Row {
  const check = 'udp-8472';
  const down = sshFailed(to) ?? sshFailed(from);
  if (down) return { check, subject, status: 'unknown', detail: down };
  if (parseIpv4(from!.host) === undefined)
    return {
      check,
      subject,
      status: 'unknown',
      detail: `${from!.host} is not an IPv4 address (the UDP check matches senders by IPv4)`,
    };
  const r = udpSeen(to!.outputs[PREFLIGHT_PROBE.udp]);
  if ('reason' in r) return { check, subject, status: 'unknown', detail: `${to!.name}: ${r.reason}` };
  const got = r.seen.get(from!.host);
  if (got === undefined)
    return { check, subject, status: 'unknown', detail: `${to!.name} did not report ${from!.host}` };
  return got
    ? {
        check,
        subject,
        status: 'pass',
        detail: `${to!.name} received a datagram on 8472/udp past its firewall`,
      }
    : {
        check,
        catalogId: 'vxlan-8472-blocked',
        subject,
        status: 'fail',
        detail: `${to!.name} received nothing on 8472/udp in the window: dropped on the path or by a filter on ${to!.name}`,
      };
}

/** The paths a joining node needs, both ways, against every existing node (pure). */
export function pathRows(facts: PreflightFacts): PreflightRow[] {
  const candidate = facts.nodes[facts.candidate];
  const rows: Row[] = [apiServer(facts, candidate)];
  for (const peer of facts.inventory.filter((n) => n.name !== facts.candidate)) {
    const other = facts.nodes[peer.name];
    const out = `${facts.candidate} → ${peer.name}`;
    const back = `${peer.name} → ${facts.candidate}`;
    rows.push(
      icmp(candidate, peer.name, out),
      icmp(other, facts.candidate, back),
      kubeletPort(candidate, peer.name, out),
      kubeletPort(other, facts.candidate, back),
      vxlan(candidate, other, out),
      vxlan(other, candidate, back),
    );
  }
  return rows.map((r) => ({ ...r, area: 'path' }));
}
