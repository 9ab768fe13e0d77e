import { ok, type Parsed, unknown } from '../parsed.js';
import type { ProbeOutput } from '../probe-output.js';
import { commonFailure, firstLine } from './parse-helpers.js';

/** One device as `nmcli -t -f DEVICE,STATE dev` lists it. */
export interface NmDevice {
  readonly device: string;
  /** NetworkManager's word for it: unmanaged, connected, disconnected, connected (externally)… */
  readonly state: string;
  /** Anything but `unmanaged`: NetworkManager acts on the device (and may remove its addresses). */
  readonly managed: boolean;
}

export type NetworkManagerState =
  /** No nmcli on the node, or NetworkManager is not running: it cannot interfere. */
  | { readonly applicable: false; readonly why: string }
  | {
      readonly applicable: true;
      readonly devices: readonly NmDevice[];
      /** `unmanaged-devices=` lines of NetworkManager.conf and conf.d, as `file: value`. */
      readonly unmanagedConfig: readonly { readonly file: string; readonly value: string }[];
    };

/** nmcli's exit code when NetworkManager is not running (nmcli(1), "Exit Status"). */
const NM_NOT_RUNNING = 8;

/**
 * The probe prints NONMCLI, or `NMCLI <exit code>` after nmcli's terse output, then `CONF <file>:<line>`
 * for each unmanaged-devices line. Terse output escapes `:` and `\` in values with a backslash.
 */
export function parseNetworkManager(output: ProbeOutput): Parsed<NetworkManagerState> {
  const failure = commonFailure(output);
  if (failure) return failure;
  const lines = output.stdout.split('\n');
  if (lines.some((l) => l.trim() === 'NONMCLI'))
    return ok({ applicable: false, why: 'nmcli is not installed' });
  const rcLine = lines.find((l) => /^NMCLI -?\d+$/.test(l.trim()));
  if (!rcLine) return unknown(`nmcli printed no status line (${firstLine(output.stderr) || 'no output'})`);
  const rc = Number(rcLine.trim().split(' ')[1]);
  if (rc === NM_NOT_RUNNING)
    return ok({ applicable: false, why: 'NetworkManager is not running (nmcli exit 8)' });
  if (rc !== 0) return unknown(`nmcli failed (exit ${rc}: ${firstLine(output.stderr)})`);
  const devices: NmDevice[] = [];
  const unmanagedConfig: { file: string; value: string }[] = [];
  for (const raw of lines) {
    const line = raw.replace(/\r$/, '');
    const conf = /^CONF ([^:]+):\s*unmanaged-devices\s*=(.*)$/.exec(line);
    if (conf) {
      unmanagedConfig.push({ file: conf[1]!, value: conf[2]!.trim() });
      continue;
    }
    if (line.startsWith('NMCLI ') || line.trim() === '') continue;
    const fields = splitTerse(line);
    if (fields.length !== 2 || !fields[0]) continue;
    const state = fields[1]!.trim();
    devices.push({ device: fields[0], state, managed: state !== 'unmanaged' });
  }
  return ok({ applicable: true, devices, unmanagedConfig });
}

/** nmcli -t: fields split on unescaped `:`, `\:` and `\\` unescaped. */
function splitTerse(line: string): string[] {
  const fields: string[] = [];
  let current = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && i + 1 < line.length) {
      current += line[++i];
    } else if (c === ':') {
      fields.push(current);
      current = '';
    } else current += c;
  }
  fields.push(current);
  return fields;
}

/**
 * Whether an `unmanaged-devices` value (NetworkManager.conf(5) device specs, `;`-separated) covers
 * a device by name: `interface-name:NAME`, `interface-name:=NAME` (exact) or `interface-name:~GLOB`,
 * with `*` and `?` globs. MAC and driver specs cannot be matched by name and are skipped.
 */
export function unmanagedSpecCovers(value: string, device: string): boolean {
  return value
    .split(/[;,]/)
    .map((s) => s.trim())
    .some((spec) => {
      const m = /^interface-name:([=~]?)(.+)$/.exec(spec);
      if (!m) return false;
      if (m[1] === '=') return m[2] === device;
      const glob = new RegExp(
        `^${m[2]!
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '.*')
          .replace(/\?/g, '.')}$`,
      );
      return glob.test(device);
    });
}
