import { ok, type Parsed, unknown } from '../parsed.js';
import type { ProbeOutput } from '../probe-output.js';
import { commonFailure, firstLine } from './parse-helpers.js';

/** One `UDP: bad checksum. From A:p to B:q ulen N` line of the kernel log. */
export interface BadChecksum {
  readonly line: string;
  readonly from: string;
  readonly to: string;
  readonly dport: number;
}

export interface KernelLog {
  /** `uname -r`. */
  readonly release: string | undefined;
  /** Whether the kernel log could be read (dmesg is restricted to CAP_SYSLOG on many systems). */
  readonly readable: boolean;
  /** Why it could not be read. */
  readonly why: string | undefined;
  readonly badChecksums: readonly BadChecksum[];
}

/**
 * The probe prints `KERNEL <uname -r>`, then either the kernel log lines that matter (filtered on
 * the node, at most the newest few) and `DMESG 0`, or dmesg's `dmesg: …` error line and
 * `DMESG <exit code>`, or NODMESG. An unreadable log is a fact (`readable: false`), not a failed probe: the check
 * falls back on the kernel release.
 */
export function parseKernelLog(output: ProbeOutput): Parsed<KernelLog> {
  const failure = commonFailure(output);
  if (failure) return failure;
  if (output.exitCode !== 0)
    return unknown(`reading the kernel log failed (exit ${output.exitCode}: ${firstLine(output.stderr)})`);
  const lines = output.stdout.split('\n');
  const release =
    lines
      .find((l) => l.startsWith('KERNEL '))
      ?.slice(7)
      .trim() || undefined;
  if (lines.some((l) => l.trim() === 'NODMESG'))
    return ok({ release, readable: false, why: 'dmesg is not installed', badChecksums: [] });
  const status = lines.find((l) => /^DMESG -?\d+/.test(l));
  if (!status) return unknown('the kernel log probe printed no status line');
  const rc = Number(status.split(' ')[1]);
  if (rc !== 0) {
    // dmesg's own error line (`dmesg: …`), or the message on the status line (older probe format).
    const message = lines.find((l) => l.startsWith('dmesg: ')) ?? status.split(' ').slice(2).join(' ');
    return ok({
      release,
      readable: false,
      why: `dmesg failed (exit ${rc}: ${message.trim() || 'no message'})`,
      badChecksums: [],
    });
  }
  const badChecksums: BadChecksum[] = [];
  for (const line of lines) {
    const m = /UDP(?:v6)?: bad checksum\. From (\S+):(\d+) to (\S+):(\d+) ulen \d+/.exec(line);
    if (m) badChecksums.push({ line: line.trim(), from: m[1]!, to: m[3]!, dport: Number(m[4]) });
  }
  return ok({ release, readable: true, why: undefined, badChecksums });
}

/**
 * Upstream kernels before 5.7 are the ones reported with the VXLAN checksum bug (flannel #1279,
 * kubernetes #88986): with tx checksum offload on flannel.1, SNATed VXLAN packets leave with bad
 * checksums. Distribution kernels carry fixes as backports, so this is a hint, never the verdict.
 */
export function kernelMayHaveVxlanChecksumBug(release: string | undefined): boolean | undefined {
  const m = release ? /^(\d+)\.(\d+)/.exec(release) : null;
  if (!m) return undefined;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major < 5 || (major === 5 && minor < 7);
}
