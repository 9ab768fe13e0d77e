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

// Variables the runner needs after a probe's own code ran are named `_nc…`, so a probe's
// variables (a command is shell text, run in the runner's shell by `net`) cannot clobber them.
// A self-timed probe that died of the cut's own signal (130 SIGINT, 142 SIGALRM: on a busy node the
// cut can come before ping or Perl has set up its handler) was cut before it could say anything:
// it reads as a timeout (124), never as an answer.
const RUNNER = sh`d=$(mktemp -d) || exit 70
trap 'rm -rf "$d"' EXIT
now() { read -r _nc_up _ < /proc/uptime; _nc_t="\${_nc_up%.*}\${_nc_up#*.}0"; }
begin() { printf "\\n%s BEGIN %s %s\\n" "$B" "$1" "$2"; }
end() { printf "\\n%s STDERR\\n" "$B"; if [ -s "$1" ]; then cat "$1"; fi; printf "\\n%s END %s %s\\n" "$B" "$2" "$3"; }
run() { ( now; _nc_s=$_nc_t; timeout --kill-after=1 "$3" sh -c "$4" > "$d/$1.out" 2> "$d/$1.err"; rc=$?; now; { begin "$2" "$4"; head -c "$CAP" "$d/$1.out"; end "$d/$1.err" "$rc" "$((_nc_t - _nc_s))"; } > "$d/$1.frame" ) & }
net() { ( _nc_f=$d/$1; _nc_T=$3; exec > "$_nc_f.frame" 2> "$_nc_f.err"; eval "$TOOLS"; begin "$2" "$4"; now; _nc_s=$_nc_t; trap '_nc_rc=$?; now; case $_nc_rc in 130|142) _nc_rc=124;; esac; end "$_nc_f.err" "$_nc_rc" "$((_nc_t - _nc_s))"' EXIT; eval "$4" ) & }
quick() { { begin "$2" "$3"; now; _nc_s=$_nc_t; ( eval "$3" ) 2> "$d/$1.err"; rc=$?; now; end "$d/$1.err" "$rc" "$((_nc_t - _nc_s))"; } > "$d/$1.frame"; }
capped() { now; _nc_s=$_nc_t; ( eval "$3" ) > "$d/$1.out" 2> "$d/$1.err"; rc=$?; now; { begin "$2" "$3"; head -c "$CAP" "$d/$1.out"; end "$d/$1.err" "$rc" "$((_nc_t - _nc_s))"; } > "$d/$1.frame"; }`;

// The overlay peers are the gateways of flannel.1's routes, read from `ip -j` (a JSON key, not
// the text layout); the probe's MTU from /sys. Each ping's exit code decides, as for pingHost.
const OVERLAY = sh`mtu=1450; read -r mtu 2>/dev/null < /sys/class/net/flannel.1/mtu
case "$mtu" in ''|*[!0-9]*) mtu=1450;; esac
size=$((mtu - 28))
j=1000
n=0; seen=' '
for g in $(ip -j -4 route show dev flannel.1 2>/dev/null | grep -o '"gateway":"[0-9.]*"'); do
  gw=\${g##*:}; gw=\${gw#?}; gw=\${gw%?}
  case "$seen" in *" $gw "*) continue;; esac
  [ "$n" -lt "$MAXPEERS" ] || break
  n=$((n + 1)); seen="$seen$gw "
  j=$((j + 1)); net "$j" "overlay-ping:$gw" "$PINGT" "LC_ALL=C ping -n -c 1 -W 1 $gw"
  j=$((j + 1)); net "$j" "overlay-df-ping:$gw" "$PINGT" "LC_ALL=C ping -n -M do -s $size -c 1 -W 1 $gw"
done`;

const COLLECT = sh`wait
cat "$d"/*.frame && printf "\\n%s DONE\\n" "$B"`;

/**
 * The network tools as the self-timed probes see them (shell functions, defined only in their
 * shells; the probe's command, and the text shown as evidence, are unchanged). Each ends its own
 * wait: ping after `-W`, curl after `--max-time`, the Perl check on its alarm; `timeout` around
 * ping and Perl is the guard against a tool that hangs anyway (exit 124, or 137 once killed).
 *
 * With waits derived from the node's round trips (probe-deadline.ts) each tool is cut the way it
 * ends its own wait, so a cut answer reads exactly like today's timeout: ping is stopped with
 * SIGINT (its Ctrl-C: statistics and exit 1, "no reply", on iputils and busybox alike); the Perl
 * check gets its SIGALRM early (it prints ETIMEDOUT, as when its own alarm fires); curl gets a
 * shorter --connect-timeout (exit 28, a timeout).
 *
 * perl is wrapped only where it exists: the commands ask `command -v perl`, which a function answers.
 */
export function networkTools(waits: NetworkWaits | undefined): string {
  const s = (ms: number) => (ms / 1000).toFixed(3);
  if (!waits)
    return [
      'ping() { timeout --kill-after=1 "$_nc_T" ping "$@"; };',
      'if command -v perl >/dev/null 2>&1; then perl() { timeout --kill-after=1 "$_nc_T" perl "$@"; }; fi',
    ].join(' ');
  return [
    `ping() { timeout --kill-after=1 --preserve-status -s INT ${s(waits.pingMs)} ping "$@"; };`,
    `if command -v perl >/dev/null 2>&1; then perl() { timeout --kill-after=1 --preserve-status -s ALRM ${s(waits.connectMs)} perl "$@"; }; fi;`,
    `curl() { command curl "$@" --connect-timeout ${s(waits.connectMs)}; }`,
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
    sh`B=${boundary}; CAP=${PROBE_OUTPUT_CAP}; TOOLS=${networkTools(waits)}`,
    RUNNER,
    // Every process costs: on a busy node, or a small VM, starting one takes milliseconds, and a
    // bundle of 30 probes per node on four nodes is hundreds of them. So output is written straight
    // into its frame (no copy per probe), cut with `head` only where it grows with the cluster, and
    // stderr is copied only when there is some. Network probes each run in the background: the
    // self-timed ones (ping, curl, Perl: network-tools above) without a second shell or `timeout`,
    // any other under its own `timeout`. Quick local reads run one after another in a few
    // background shells (a few lanes, because the firewall dumps alone take tens of ms each),
    // bounded by the bundle's deadline.
    ...probes.flatMap((p, i) => {
      if (p.quick) return [];
      const t = seconds(p.timeoutMs);
      return [
        p.selfTimed
          ? sh`net ${i} ${p.key} ${t} ${p.command.text}`
          : sh`run ${i} ${p.key} ${t} ${p.command.text}`,
      ];
    }),
  ];
  // The timed network probes first (the overlay loop's route read included); then the shell lowers
  // its own priority, so the local reads it starts from here on (the firewall dumps are most of a
  // bundle's work) never hold up a probe whose run decides how long a cut probe waits. Without
  // renice (bsdutils) they simply run at the same priority.
  if (overlay) parts.push(sh`MAXPEERS=${overlay.maxPeers}; PINGT=${seconds(overlay.timeoutMs)}`, OVERLAY);
  parts.push(
    sh`renice -n 10 -p $$ >/dev/null 2>&1`,
    ...quickLanes(probes).map((lane) =>
      script(
        sh`(`,
        ...lane.map(({ p, i }) =>
          p.capOutput
            ? sh`capped ${i} ${p.key} ${p.command.text}`
            : sh`quick ${i} ${p.key} ${p.command.text}`,
        ),
        sh`true`,
        sh`) &`,
      ),
    ),
  );
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
