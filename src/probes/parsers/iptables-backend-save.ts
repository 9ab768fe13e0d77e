import { ok, type Parsed } from '../parsed.js';
import type { ProbeOutput } from '../probe-output.js';
import { type IptablesDump, parseIptablesSave } from './iptables-save.js';

/** One iptables backend's rules; `present` is false where the node has no such backend's tool. */
export interface BackendDump {
  readonly present: boolean;
  readonly dump: IptablesDump;
}

const EMPTY: IptablesDump = { policies: {}, rules: [] };

/**
 * `iptables-legacy-save` / `iptables-nft-save`, or the marker printed instead: NOTOOL (not installed)
 * or NOTABLES (legacy: the kernel has no x_tables loaded, so no legacy rule can exist; running the
 * tool there would load the module, and a probe changes nothing on a node).
 */
export function parseBackendSave(output: ProbeOutput): Parsed<BackendDump> {
  const marker = output.exitCode === 0 ? output.stdout.trim() : '';
  if (marker === 'NOTOOL') return ok({ present: false, dump: EMPTY });
  if (marker === 'NOTABLES') return ok({ present: true, dump: EMPTY });
  const parsed = parseIptablesSave(output);
  return parsed.status === 'ok' ? ok({ present: true, dump: parsed.value }) : parsed;
}
