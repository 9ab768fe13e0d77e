/** Kernel log lines a lab fault stands for, inside a node. */
export const LAB_KERNEL_LOG = '/var/lib/netcheck-lab/kernel.log';

/**
 * The stand-in `dmesg` the lab puts on every node's /usr/local/bin (before the real one in PATH).
 * The kernel log belongs to the whole machine and a network namespace cannot write to it, so a fault
 * that the kernel would report (vxlan-checksum-offload) records its lines in LAB_KERNEL_LOG; this
 * prints the machine's real kernel log with the node's own dmesg, then those lines.
 */
export function dmesgStandIn(): string {
  return `#!/bin/sh
# netcheck lab stand-in for dmesg: NOT util-linux's dmesg. See src/lab/lab-dmesg.ts: the real kernel
# log, then the lines lab faults recorded in ${LAB_KERNEL_LOG}.
real=/usr/bin/dmesg
[ -x "$real" ] || real=/bin/dmesg
"$real" "$@"
rc=$?
[ -s ${LAB_KERNEL_LOG} ] && cat ${LAB_KERNEL_LOG}
exit $rc
`;
}
