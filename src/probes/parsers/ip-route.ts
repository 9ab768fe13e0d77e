import { ok, type Parsed, unknown } from '../parsed.js';
import type { ProbeOutput } from '../probe-output.js';
import { commonFailure, firstLine, noJson, parseJson } from './parse-helpers.js';

export interface RouteDecision {
  readonly reachable: boolean;
  readonly dev: string | undefined;
  readonly gateway: string | undefined;
  readonly prefsrc: string | undefined;
  readonly summary: string;
}

/**
 * `ip -j route get ADDR`: which device the kernel would send traffic for ADDR through. Exit 2 is
 * the kernel's RTNETLINK error for the lookup (unreachable, prohibit and blackhole routes, no
 * route at all; recorded on iproute2 6.1 and 6.15): the address is not reachable from the node.
 * Its message is only shown. Any other failure (exit 1: not an address) is unknown.
 */
export function parseRouteGet(output: ProbeOutput): Parsed<RouteDecision> {
  const failure = commonFailure(output);
  if (failure) return failure;
  if (output.exitCode !== 0) {
    const reason = firstLine(output.stderr);
    if (output.exitCode === 2) {
      return ok({
        reachable: false,
        dev: undefined,
        gateway: undefined,
        prefsrc: undefined,
        summary: reason,
      });
    }
    return unknown(`ip route get failed (exit ${output.exitCode}: ${reason})`);
  }
  const json = parseJson(output.stdout);
  const route = Array.isArray(json)
    ? (json[0] as
        | { dst?: string; dev?: string; gateway?: string; prefsrc?: string; type?: string }
        | undefined)
    : undefined;
  if (!route) return unknown(noJson('ip route get', output));
  const summary = [
    route.dst,
    route.gateway ? `via ${route.gateway}` : '',
    route.dev ? `dev ${route.dev}` : '',
    route.prefsrc ? `src ${route.prefsrc}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  const blackhole = route.type === 'unreachable' || route.type === 'blackhole' || route.type === 'prohibit';
  return ok({
    reachable: !blackhole,
    dev: route.dev,
    gateway: route.gateway,
    prefsrc: route.prefsrc,
    summary,
  });
}

export interface RouteEntry {
  readonly dst: string;
  readonly gateway: string | undefined;
  readonly dev: string | undefined;
  readonly onlink: boolean;
}

/** `ip -j route show`: the main table. */
export function parseRoutes(output: ProbeOutput): Parsed<RouteEntry[]> {
  const failure = commonFailure(output);
  if (failure) return failure;
  if (output.exitCode !== 0)
    return unknown(`ip route failed (exit ${output.exitCode}: ${firstLine(output.stderr)})`);
  const json = parseJson(output.stdout);
  if (!Array.isArray(json)) return unknown(noJson('ip route', output));
  return ok(
    (json as { dst?: string; gateway?: string; dev?: string; flags?: string[] }[]).map((r) => ({
      dst: r.dst ?? '',
      gateway: r.gateway,
      dev: r.dev,
      onlink: (r.flags ?? []).includes('onlink'),
    })),
  );
}
