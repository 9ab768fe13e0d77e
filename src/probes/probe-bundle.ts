import { randomBytes } from 'node:crypto';
import { type RemoteCommand, script, sh } from '../ssh/remote-command.js';
import type { OverlayPingSpec, PlannedProbe } from './node-plan.js';
import type { NetworkWaits } from './probe-deadline.js';
import type { ProbeOutput } from './probe-output.js';

/**
 * All of a node's probes as one remote script: one SSH channel per node instead of one per probe.
 * Every channel costs a few round trips (and, against OpenSSH, delayed-ACK stalls of ~40 ms each),
 * so bundling is what makes a warm diagnosis fast. Inside the script every probe still runs on its
 * own, in parallel, under its own `timeout`; output comes back framed by a random boundary.
 */
export interface ProbeBundle {
  readonly command: RemoteCommand;
  readonly boundary: string;
  /** Deadline for the whole bundle: the slowest probe plus a margin. */
  readonly timeoutMs: number;
}

/** A probe as the bundle sees it: any key (the bundle frames output by key, it does not interpret it). */
export type BundledProbe = Omit<PlannedProbe, 'key'> & { readonly key: string };

/** Per probe, on the node: a huge iptables-save (thousands of services) is cut, not shipped whole. */
export const PROBE_OUTPUT_CAP = 1024 * 1024;

const RUNNER = sh`d=$(mktemp -d) || exit 70
trap 'rm -rf "$d"' EXIT
now() { read -r up _ < /proc/uptime; t="\${up%.*}\${up#*.}0"; }
frame() { printf "\\n%s BEGIN %s %s\\n" "$B" "$1" "$2"; head -c "$CAP" "$3"; printf "\\n%s STDERR\\n" "$B"; cat "$4"; printf "\\n%s END %s %s\\n" "$B" "$5" "$6"; }
run() { ( now; s=$t; timeout --kill-after=1 "$3" sh -c "$CUT$4" > "$d/$1.out" 2> "$d/$1.err"; rc=$?; now; frame "$2" "$4" "$d/$1.out" "$d/$1.err" "$rc" "$((t - s))" > "$d/$1.frame" ) & }
quick() { now; s=$t; ( eval "$3" ) > "$d/$1.out" 2> "$d/$1.err"; rc=$?; now; frame "$2" "$3" "$d/$1.out" "$d/$1.err" "$rc" "$((t - s))" > "$d/$1.frame"; }`;

// The overlay peers are the gateways of flannel.1's routes, read from `ip -j` (a JSON key, not
// the text layout); the probe's MTU from /sys. Each ping's exit code decides, as for pingHost.
const OVERLAY = sh`mtu=$(cat /sys/class/net/flannel.1/mtu 2>/dev/null || echo 1450)
size=$((mtu - 28))
j=1000
for gw in $(ip -j -4 route show dev flannel.1 2>/dev/null | grep -o '"gateway":"[0-9.]*"' | cut -d '"' -f 4 | sort -u | head -n "$MAXPEERS"); do
  j=$((j + 1)); run "$j" "overlay-ping:$gw" "$PINGT" "LC_ALL=C ping -n -c 1 -W 1 $gw"
  j=$((j + 1)); run "$j" "overlay-df-ping:$gw" "$PINGT" "LC_ALL=C ping -n -M do -s $size -c 1 -W 1 $gw"
done`;

const COLLECT = sh`wait
cat "$d"/*.frame > "$d/all"
printf "\\n%s DONE\\n" "$B" >> "$d/all"
cat "$d/all"`;

/**
 * Shorter waits for the network probes (probe-deadline.ts), given to each tool the way it ends its
 * own wait, so a cut answer reads exactly like today's timeout: ping is stopped with SIGINT (its
 * Ctrl-C: statistics and exit 1, "no reply", on iputils and busybox alike); the Perl TCP check gets
 * its SIGALRM early (it prints ETIMEDOUT, as when its own alarm fires); curl gets a shorter
 * --connect-timeout (exit 28, a timeout). Shell functions, defined only in the network probes'
 * shells; the probe's command itself (and the text shown as evidence) is unchanged.
 */
export function networkCut(waits: NetworkWaits | undefined): string {
  if (!waits) return '';
  const s = (ms: number) => (ms / 1000).toFixed(3);
  return [
    `ping() { timeout --preserve-status -s INT ${s(waits.pingMs)} ping "$@"; };`,
    `if command -v perl >/dev/null 2>&1; then perl() { timeout --preserve-status -s ALRM ${s(waits.connectMs)} perl "$@"; }; fi;`,
    `curl() { command curl "$@" --connect-timeout ${s(waits.connectMs)}; };`,
    '',
  ].join(' ');
}

export function buildBundle(
  probes: readonly BundledProbe[],
  overlay: OverlayPingSpec | undefined,
  waits?: NetworkWaits,
): ProbeBundle {
  const boundary = `NETCHECK-${randomBytes(9).toString('hex')}`;
  const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));
  const parts: RemoteCommand[] = [
    sh`B=${boundary}; CAP=${PROBE_OUTPUT_CAP}; CUT=${networkCut(waits)}`,
    RUNNER,
    // Network probes each run in the background under their own timeout; quick local reads run one
    // after another in a few background shells (no extra process per probe, which is most of the
    // cost on a busy node; a few lanes, because the firewall dumps alone take tens of ms each),
    // bounded by the bundle's deadline.
    ...probes.flatMap((p, i) =>
      p.quick ? [] : [sh`run ${i} ${p.key} ${seconds(p.timeoutMs)} ${p.command.text}`],
    ),
    ...quickLanes(probes).map((lane) =>
      script(sh`(`, ...lane.map(({ p, i }) => sh`quick ${i} ${p.key} ${p.command.text}`), sh`true`, sh`) &`),
    ),
  ];
  if (overlay) parts.push(sh`MAXPEERS=${overlay.maxPeers}; PINGT=${seconds(overlay.timeoutMs)}`, OVERLAY);
  parts.push(COLLECT);
  const slowest = Math.max(...probes.map((p) => p.timeoutMs), overlay?.timeoutMs ?? 0);
  return { command: script(...parts), boundary, timeoutMs: slowest + 3000 };
}

/** Background shells the quick local reads are spread over (round robin, in plan order). */
export const QUICK_LANES = 3;

function quickLanes(probes: readonly BundledProbe[]): { p: BundledProbe; i: number }[][] {
  const lanes: { p: BundledProbe; i: number }[][] = Array.from({ length: QUICK_LANES }, () => []);
  let next = 0;
  probes.forEach((p, i) => {
    if (!p.quick) return;
    lanes[next % QUICK_LANES]!.push({ p, i });
    next++;
  });
  return lanes.filter((lane) => lane.length > 0);
}

/** Splits the bundle's output back into one ProbeOutput per probe. */
export function parseBundle(
  node: string,
  bundle: ProbeBundle,
  probes: readonly BundledProbe[],
  stdout: string,
): ProbeOutput[] {
  const commands = new Map(probes.map((p) => [p.key, p.command.text]));
  const outputs: ProbeOutput[] = [];
  const b = bundle.boundary;
  const re = new RegExp(
    `\\n${b} BEGIN (\\S+) ([^\\n]*)\\n([\\s\\S]*?)\\n${b} STDERR\\n([\\s\\S]*?)\\n${b} END (\\d+) (-?\\d+)\\n`,
    'g',
  );
  for (const m of stdout.matchAll(re)) {
    const key = m[1]!;
    const rc = Number(m[5]);
    outputs.push({
      probe: key,
      node,
      command: commands.get(key) ?? m[2]!,
      exitCode: rc === 137 ? null : rc,
      stdout: m[3]!,
      stderr: m[4]!,
      // `timeout` exits 124 when the command ran out of time, 137 when it had to be killed.
      timedOut: rc === 124 || rc === 137,
      truncated: m[3]!.length >= PROBE_OUTPUT_CAP,
      durationMs: Number(m[6]),
    });
  }
  return outputs;
}
