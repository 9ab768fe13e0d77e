import { readFile } from 'node:fs/promises';
import { LabError, type RunResult, tryRun } from './lab-exec.js';

/**
 * `unshare --mount=FILE` keeps a node's mount namespace by bind-mounting it onto FILE. The kernel
 * allows that bind only for a namespace newer than the one doing the mount (to rule out reference
 * loops), and since Linux 6.18 "newer" means a higher id from a per-CPU batch. From the host's
 * initial namespace it always holds; inside another mount namespace (a container, `unshare
 * --mount`, scripts/fresh-debian.sh) a new namespace made on another CPU than the outer one may get
 * a lower id, and the bind fails with EINVAL. Made on the outer namespace's CPU, or on a CPU whose
 * batch has passed it, it works: so the call is retried pinned to each allowed CPU in turn.
 */
const EINVAL = /ns\/mnt on .* failed: Invalid argument/;

/** Rounds over all CPUs after the first unpinned try: each failure also advances that CPU's batch. */
const ROUNDS = 3;

/** The CPU that worked last: the next node's namespace is made there first. */
let lastGoodCpu: number | undefined;

/** CPUs this process may run on, from /proc/self/status ("0-3,6"). */
export async function allowedCpus(): Promise<number[]> {
  const status = await readFile('/proc/self/status', 'utf8').catch(() => '');
  const list = /^Cpus_allowed_list:\s*(\S+)/m.exec(status)?.[1];
  if (!list) return [0];
  return list.split(',').flatMap((part) => {
    const [a, b] = part.split('-').map(Number);
    if (a === undefined || Number.isNaN(a)) return [];
    const end = b === undefined || Number.isNaN(b) ? a : b;
    return Array.from({ length: end - a + 1 }, (_, i) => a + i);
  });
}

/**
 * The files unshare's own `--mount=FILE`/`--uts=FILE` options bind onto: only after `unshare`,
 * never nsenter's `--net=/run/netns/…` before it (unmounting that would drop the node's netns).
 */
function boundFiles(argv: readonly string[]): string[] {
  const at = argv.indexOf('unshare');
  const end = argv.indexOf('--', at);
  return argv
    .slice(at + 1, end === -1 ? undefined : end)
    .filter((a) => /^--(mount|uts)=/.test(a))
    .map((a) => a.slice(a.indexOf('=') + 1));
}

/**
 * Runs an argv that contains `unshare --mount=FILE …` (possibly behind nsenter), retrying an EINVAL
 * of the namespace bind pinned to each CPU (`taskset -c N`). Any other failure, or EINVAL on every
 * CPU for every round, is a LabError. `what` names the namespace for the message.
 */
export async function runUnsharePersistent(argv: readonly string[], what: string): Promise<RunResult> {
  const attempts: string[] = [];
  const tryOn = async (cpu: number | undefined): Promise<RunResult | undefined> => {
    const result = await tryRun(cpu === undefined ? argv : ['taskset', '-c', String(cpu), ...argv]);
    if (result.code === 0) {
      if (cpu !== undefined) lastGoodCpu = cpu;
      return result;
    }
    const message = result.stderr.trim() || result.stdout.trim();
    if (!EINVAL.test(message))
      throw new LabError(`lab: \`${argv.join(' ')}\` failed (exit ${result.code}): ${message}`);
    attempts.push(cpu === undefined ? 'unpinned' : `cpu ${cpu}`);
    // unshare binds the UTS namespace before the mount one: undo it, so the retry does not stack a
    // second bind on the same file (lab down unmounts each once).
    for (const file of boundFiles(argv)) await tryRun(['umount', file]);
    return undefined;
  };
  const first = await tryOn(lastGoodCpu);
  if (first) return first;
  const cpus = await allowedCpus();
  for (let round = 0; round < ROUNDS; round++)
    for (const cpu of cpus) {
      const result = await tryOn(cpu);
      if (result) return result;
    }
  throw new LabError(
    `cannot keep ${what}'s mount namespace: \`unshare --mount=FILE\` failed with "Invalid argument" ${attempts.length} times (${attempts.join(', ')}). ` +
      'The lab runs inside a mount namespace (a container, `unshare --mount`, a chroot script) whose id is not lower than the ones it can make now: ' +
      'on Linux 6.18 mount-namespace ids come from per-CPU batches and a namespace can only be bound by an older one. ' +
      'Run the lab from the host (initial mount namespace), or start the outer namespace pinned to one CPU and run the lab on that CPU (taskset -c N).',
  );
}
