import { PROBE } from '../../probes/probe-registry.js';
import { type Check, makeCheck } from '../check.js';
import { checkRef } from '../check-id.js';
import type { FactView } from '../fact-view.js';

/** TCP and HTTPS to the API server from the target: one curl answers both (TCP fails before TLS does). */
export function apiServerClientChecks(view: FactView): Check[] {
  const target = view.target.name;
  const api = view.facts.apiServer;
  const tcp = checkRef('tcp-apiserver', target);
  const https = checkRef('https-apiserver', target);
  const tcpTitle = `TCP ${api.host}:${api.port} from ${target}`;
  const httpsTitle = `HTTPS ${api.url}/livez from ${target}`;
  const parsed = view.parsed(target, PROBE.httpsApiServer);
  const evidence = [view.evidence(target, PROBE.httpsApiServer)];
  if (parsed.status === 'unknown') {
    return [
      makeCheck(tcp, tcpTitle, 'unknown', parsed.reason, evidence),
      makeCheck(https, httpsTitle, 'unknown', parsed.reason, evidence),
    ];
  }
  const h = parsed.value;
  return [
    makeCheck(
      tcp,
      tcpTitle,
      h.tcpConnected ? 'pass' : 'fail',
      h.tcpConnected ? 'connected' : `${h.tcpFailure}: ${h.summary}`,
      evidence,
    ),
    makeCheck(https, httpsTitle, h.httpStatus !== undefined ? 'pass' : 'fail', h.summary, evidence),
  ];
}

/** Something listens on the API server port on the control plane. */
export function apiServerListeningChecks(view: FactView): Check[] {
  const cp = view.facts.controlPlane;
  const api = view.facts.apiServer;
  // Only meaningful when the API server endpoint is the control-plane node itself (not a load balancer).
  if (!view.controlPlane?.connection.ok || view.controlPlane.host !== api.host) return [];
  const ports = view.parsed(cp, PROBE.listening);
  const listening = ports.status === 'ok' && ports.value.includes(api.port);
  return [
    makeCheck(
      checkRef('apiserver-listening', cp),
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
  ];
}
