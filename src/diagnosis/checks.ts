import type { FactView } from './fact-view.js';
import { PROBE } from './facts.js';
import { type Check, makeCheck } from './node-report.js';
import { buildOverlayChecks } from './overlay-checks.js';

export const CHECK = {
  ssh: 'ssh',
  pingControlPlane: 'ping-control-plane',
  tcpApiServer: 'tcp-apiserver',
  httpsApiServer: 'https-apiserver',
  routeControlPlane: 'route-control-plane',
  flannelLink: 'flannel-link',
  cniConfig: 'cni-config',
  subnetEnv: 'subnet-env',
  apiServerListening: 'apiserver-listening',
  iptablesReadable: 'iptables-readable',
} as const;

const OVERLAY_DEVICES = new Set(['flannel.1', 'cni0']);

const check = makeCheck;

/** Turns facts into pass/fail/unknown observations. A probe that could not run yields "unknown", never "pass". */
export function buildChecks(view: FactView): Check[] {
  const checks: Check[] = [];
  const target = view.target.name;
  const cp = view.facts.controlPlane;
  const api = view.facts.apiServer;

  for (const node of Object.values(view.facts.nodes)) {
    checks.push(
      node.connection.ok
        ? check(
            CHECK.ssh,
            node.name,
            `SSH to ${node.name}`,
            'pass',
            `connected in ${node.connection.durationMs} ms`,
            [],
          )
        : check(
            CHECK.ssh,
            node.name,
            `SSH to ${node.name}`,
            'fail',
            `${node.connection.code}: ${node.connection.detail}`,
            [{ node: node.name, command: `ssh ${node.host}`, lines: [node.connection.detail] }],
          ),
    );
  }
  if (!view.target.connection.ok) return checks;

  const ping = view.parsed(target, PROBE.pingControlPlane);
  checks.push(
    check(
      CHECK.pingControlPlane,
      target,
      `ping ${cp} (${view.node(cp)?.host ?? '?'}) from ${target}`,
      ping.status === 'unknown' ? 'unknown' : ping.value.replied ? 'pass' : 'fail',
      ping.status === 'unknown' ? ping.reason : ping.value.summary,
      [view.evidence(target, PROBE.pingControlPlane)],
    ),
  );

  const https = view.parsed(target, PROBE.httpsApiServer);
  const httpsEvidence = [view.evidence(target, PROBE.httpsApiServer)];
  if (https.status === 'unknown') {
    checks.push(
      check(
        CHECK.tcpApiServer,
        target,
        `TCP ${api.host}:${api.port} from ${target}`,
        'unknown',
        https.reason,
        httpsEvidence,
      ),
    );
    checks.push(
      check(
        CHECK.httpsApiServer,
        target,
        `HTTPS ${api.url}/livez from ${target}`,
        'unknown',
        https.reason,
        httpsEvidence,
      ),
    );
  } else {
    const h = https.value;
    checks.push(
      check(
        CHECK.tcpApiServer,
        target,
        `TCP ${api.host}:${api.port} from ${target}`,
        h.tcpConnected ? 'pass' : 'fail',
        h.tcpConnected ? 'connected' : `${h.tcpFailure}: ${h.summary}`,
        httpsEvidence,
      ),
    );
    checks.push(
      check(
        CHECK.httpsApiServer,
        target,
        `HTTPS ${api.url}/livez from ${target}`,
        h.httpStatus !== undefined ? 'pass' : 'fail',
        h.summary,
        httpsEvidence,
      ),
    );
  }

  const route = view.parsed(target, PROBE.routeControlPlane);
  checks.push(
    check(
      CHECK.routeControlPlane,
      target,
      `route from ${target} to ${cp}`,
      route.status === 'unknown'
        ? 'unknown'
        : route.value.reachable && !OVERLAY_DEVICES.has(route.value.dev ?? '')
          ? 'pass'
          : 'fail',
      route.status === 'unknown' ? route.reason : route.value.summary,
      [view.evidence(target, PROBE.routeControlPlane)],
    ),
  );

  const link = view.parsed(target, PROBE.flannelLink);
  checks.push(
    check(
      CHECK.flannelLink,
      target,
      `flannel.1 VXLAN device on ${target}`,
      link.status === 'unknown' ? 'unknown' : link.value.exists ? 'pass' : 'fail',
      link.status === 'unknown'
        ? link.reason
        : link.value.exists
          ? `present (${link.value.kind ?? 'unknown kind'}, mtu ${link.value.mtu ?? '?'})`
          : 'flannel.1 does not exist',
      [view.evidence(target, PROBE.flannelLink)],
    ),
  );

  const cni = view.parsed(target, PROBE.cniConfig);
  const flannelConf =
    cni.status === 'ok'
      ? cni.value.files.find((f) => /flannel/i.test(f) && /\.conflist$/.test(f))
      : undefined;
  checks.push(
    check(
      CHECK.cniConfig,
      target,
      `Flannel CNI config on ${target}`,
      cni.status === 'unknown' ? 'unknown' : flannelConf ? 'pass' : 'fail',
      cni.status === 'unknown'
        ? cni.reason
        : !cni.value.exists
          ? '/etc/cni/net.d does not exist'
          : flannelConf
            ? flannelConf
            : `no *flannel*.conflist in /etc/cni/net.d (${cni.value.files.length === 0 ? 'empty' : cni.value.files.join(', ')})`,
      [view.evidence(target, PROBE.cniConfig)],
    ),
  );

  const env = view.parsed(target, PROBE.subnetEnv);
  checks.push(
    check(
      CHECK.subnetEnv,
      target,
      `/run/flannel/subnet.env on ${target}`,
      env.status === 'unknown' ? 'unknown' : env.value.present ? 'pass' : 'fail',
      env.status === 'unknown'
        ? env.reason
        : env.value.present
          ? `FLANNEL_SUBNET=${env.value.values.FLANNEL_SUBNET ?? '?'}`
          : 'file is missing',
      [view.evidence(target, PROBE.subnetEnv)],
    ),
  );

  for (const node of new Set([target, cp])) {
    const facts = view.node(node);
    if (!facts?.connection.ok) continue;
    const ipt = view.parsed(node, PROBE.iptables);
    checks.push(
      check(
        CHECK.iptablesReadable,
        node,
        `iptables rules of ${node}`,
        ipt.status === 'unknown' ? 'unknown' : 'pass',
        ipt.status === 'unknown' ? ipt.reason : `${ipt.value.rules.length} rules`,
        [],
      ),
    );
  }

  // Only meaningful when the API server endpoint is the control-plane node itself (not a load balancer).
  if (view.controlPlane?.connection.ok && view.controlPlane.host === api.host) {
    const ports = view.parsed(cp, PROBE.listening);
    const listening = ports.status === 'ok' && ports.value.includes(api.port);
    checks.push(
      check(
        CHECK.apiServerListening,
        cp,
        `something listens on :${api.port} on ${cp}`,
        ports.status === 'unknown' ? 'unknown' : listening ? 'pass' : 'fail',
        ports.status === 'unknown'
          ? ports.reason
          : listening
            ? `:${api.port} is listening`
            : `nothing listens on :${api.port}`,
        [
          view.evidence(
            cp,
            PROBE.listening,
            ports.status === 'ok' ? ports.value.map((p) => `LISTEN :${p}`) : undefined,
          ),
        ],
      ),
    );
  }
  checks.push(...buildOverlayChecks(view));
  return checks;
}
