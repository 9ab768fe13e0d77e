import { PROBE } from '../../probes/probe-registry.js';
import { type Check, makeCheck } from '../check.js';
import { checkRef } from '../check-id.js';
import type { FactView } from '../fact-view.js';

/** node-problem-detector's ConntrackFull threshold: at 90 % the kernel is about to drop new flows. */
export const CONNTRACK_FULL_RATIO = 0.9;

/** The conntrack table has room for new flows. */
export function conntrackChecks(view: FactView): Check[] {
  const target = view.target.name;
  const ct = view.parsed(target, PROBE.conntrack);
  if (ct.status === 'ok' && !ct.value.loaded) return [];
  const ref = checkRef('conntrack-room', target);
  const title = `the conntrack table on ${target} has room for new flows`;
  if (ct.status !== 'ok') return [makeCheck(ref, title, 'unknown', ct.reason, [])];
  const { count = 0, max = 0, kernelLog } = ct.value;
  // A max of 0 means no limit: the kernel only drops when a non-zero max is exceeded.
  const full = max > 0 && count >= CONNTRACK_FULL_RATIO * max;
  const percent = max > 0 ? `${Math.round((count / max) * 100)} %` : 'no limit';
  return [
    makeCheck(
      ref,
      title,
      full ? 'fail' : 'pass',
      `nf_conntrack_count ${count} of nf_conntrack_max ${max} (${percent})`,
      [
        view.evidence(target, PROBE.conntrack, [
          `nf_conntrack_count ${count}`,
          `nf_conntrack_max ${max}`,
          ...kernelLog.map((l) => `kernel: ${l}`),
        ]),
      ],
    ),
  ];
}
