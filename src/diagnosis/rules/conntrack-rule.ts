import { PROBE } from '../../probes/probe-registry.js';
import { fromFailedCheck } from './from-failed-check.js';

/** Never raised past this by a plan: about 320 MiB of kernel memory when full (≈ 320 B an entry). */
export const CONNTRACK_MAX_CAP = 1_048_576;
/** sizeof(struct nf_conn) and its slab overhead on x86_64, roughly: what one more entry may cost. */
export const CONNTRACK_ENTRY_BYTES = 320;

const mib = (entries: number) => Math.round((entries * CONNTRACK_ENTRY_BYTES) / (1024 * 1024));

/** The conntrack table is at 90 % or more: the kernel drops the first packet of new flows (timeouts under load). */
export const conntrackTableFullRule = fromFailedCheck('conntrack-table-full', {
  check: 'conntrack-room',
  cause: (node, detail) =>
    `The conntrack table on ${node} is nearly full (${detail}): the kernel drops packets of new flows ("nf_conntrack: table full, dropping packet"), which shows as random timeouts under load.`,
  remedy: (view, node) => {
    const ct = view.parsed(node, PROBE.conntrack);
    if (ct.status !== 'ok' || !ct.value.max) return undefined;
    const from = ct.value.max;
    const to = Math.min(from * 2, CONNTRACK_MAX_CAP);
    // At the cap already: more memory is not the answer, finding what opens the flows is.
    if (to <= from) return undefined;
    return { kind: 'raise-conntrack-max', node, from, to };
  },
});

/** The memory a raise may cost when the table fills up again, for the report. */
export const conntrackRaiseCost = (from: number, to: number): string =>
  `up to ${mib(to - from)} MiB more kernel memory when full (${to - from} entries × ~${CONNTRACK_ENTRY_BYTES} B)`;
