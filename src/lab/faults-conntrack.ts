import type { FaultFamily } from './fault-impl.js';
import { labExec, nodeRun } from './lab-node-exec.js';

const PROC = '/proc/sys/net/netfilter';
const STANDIN = '/run/netcheck-lab/conntrack';
/** A table at 62000 of 65536 entries (95 %): past node-problem-detector's 90 %. */
const FULL = { count: 62_000, max: 65_536 };

/**
 * conntrack-table-full, through a clearly named stand-in: nf_conntrack_max is global and read-only
 * inside a network namespace on this kernel (6.18: `Permission denied`), and filling the host's
 * real table (262144 entries) would break the machine's own networking. So the node's own mount
 * namespace gets two files bound over /proc/sys/net/netfilter/nf_conntrack_{count,max}: what
 * netcheck reads is a full table, what the fix writes (`sysctl -w net.netfilter.nf_conntrack_max`)
 * lands in the stand-in file, and the host and every other node keep their real counters. The
 * kernel drops nothing and logs no "table full" line: only the facts netcheck reads are expressed.
 */
export const CONNTRACK_FAULTS = {
  'conntrack-table-full': {
    add: async (state, node) => {
      const script = [
        `mkdir -p ${STANDIN}`,
        `echo ${FULL.count} > ${STANDIN}/nf_conntrack_count`,
        `echo ${FULL.max} > ${STANDIN}/nf_conntrack_max`,
        `mount --bind ${STANDIN}/nf_conntrack_count ${PROC}/nf_conntrack_count`,
        `mount --bind ${STANDIN}/nf_conntrack_max ${PROC}/nf_conntrack_max`,
      ].join(' && ');
      await nodeRun(state, node.name, ['sh', '-c', script]);
    },
    clear: async (state, node) => {
      for (const f of ['nf_conntrack_count', 'nf_conntrack_max'])
        await labExec(state, node.name, ['umount', `${PROC}/${f}`]);
      // The fix's persisted setting goes too: the node is left as `lab up` made it.
      await labExec(state, node.name, ['rm', '-rf', STANDIN, '/etc/sysctl.d/90-netcheck-conntrack.conf']);
    },
  },
} satisfies FaultFamily;
