import { ok, type Parsed, unknown } from '../parsed.js';
import type { ProbeOutput } from '../probe-output.js';
import { commonFailure, firstLine, saysAbsent } from './parse-helpers.js';

export type OffloadState =
  | { readonly device: 'absent' }
  | { readonly device: 'present'; readonly ethtool: false }
  | {
      readonly device: 'present';
      readonly ethtool: true;
      /** `tx-checksum-ip-generic`: on/off, and whether the driver fixes it. */
      readonly txChecksumIpGeneric: { readonly on: boolean; readonly fixed: boolean } | undefined;
      readonly features: Readonly<Record<string, string>>;
    };

/**
 * `ethtool -k DEV` (its "Features for DEV:" list of `name: on|off [fixed]`), NODEV when the device
 * does not exist, NOETHTOOL when ethtool is not installed: then the offload state is not known, which
 * the check handles (the kernel log decides first).
 */
export function parseEthtoolFeatures(output: ProbeOutput): Parsed<OffloadState> {
  const failure = commonFailure(output);
  if (failure) return failure;
  if (saysAbsent(output, 'NODEV')) return ok({ device: 'absent' });
  if (output.exitCode === 0 && output.stdout.trim() === 'NOETHTOOL')
    return ok({ device: 'present', ethtool: false });
  if (output.exitCode !== 0)
    return unknown(`ethtool -k failed (exit ${output.exitCode}: ${firstLine(output.stderr)})`);
  const features: Record<string, string> = {};
  for (const line of output.stdout.split('\n')) {
    const m = /^\s*([a-z0-9-]+):\s+(on|off)(\s+\[(fixed|requested on|requested off)\])?\s*$/.exec(line);
    if (m) features[m[1]!] = `${m[2]}${m[4] ? ` [${m[4]}]` : ''}`;
  }
  if (Object.keys(features).length === 0) return unknown('ethtool -k printed no feature list');
  const generic = features['tx-checksum-ip-generic'];
  return ok({
    device: 'present',
    ethtool: true,
    txChecksumIpGeneric: generic
      ? { on: generic.startsWith('on'), fixed: generic.includes('[fixed]') }
      : undefined,
    features,
  });
}
