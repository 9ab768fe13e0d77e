import { randomBytes } from 'node:crypto';
import { type RemoteCommand, script, sh } from '../ssh/remote-command.js';
import { networkTools } from './network-tools.js';
import type { OverlayPingSpec, PlannedProbe } from './node-plan.js';
import { askPingInShell } from './ping-flavor.js';
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
  /** What the bundle prints last, once every frame is out (ExecOptions.lastLine). */
  readonly lastLine: string;
}

/** A probe as the bundle sees it: any key (the bundle frames output by key, it does not interpret it). */
export type BundledProbe = Omit<PlannedProbe, 'key'> & { readonly key: string };

/** Per probe, on the node: a huge iptables-save (thousands of services) is cut, not shipped whole. */
export const PROBE_OUTPUT_CAP = 1024 * 1024;

// Variables the runner needs after a probe's own code ran are named `_nc…`, so a probe's
// variables (a command is shell text, run in the runner's shell by `net` and `quick`) cannot
// clobber them; `inline` (below) keeps any command that could from running in the runner's shell.
// A self-timed probe that died of the cut's own signal (130 SIGINT, 142 SIGALRM: on a busy node the
// cut can come before ping or Perl has set up its handler) was cut before it could say anything:
// it reads as a timeout (124), never as an answer.
//
// The frames' files go in a directory of the bundle's own in /dev/shm (`_nc_R`), else in the node's
// temporary directory. /dev/shm is a tmpfs on every systemd node: a file created there costs no
// inode allocation on a disk filesystem and no journal (on ext4, 70 files made and removed per bundle
// were 8 % of a diagnosis's CPU on the lab's two cores), and it still works on a node whose disk is
// full or out of inodes, or whose root filesystem went read-only: faults an on-call engineer meets.
//
// That directory goes whatever ends the bundle: its end, the outer \`timeout\`'s TERM (sent
// to the whole group: the lanes die with it), a closed channel (HUP, or PIPE at the first write).
// A shell killed by a signal it does not trap runs no EXIT trap, and every cut bundle would leave
// its directory behind. Subshells reset these traps: only this shell removes it.
//
// A quick read's frame is four files: <number>.a (its header), .b (its stdout), .c (the STDERR
// line, then its stderr) and .d (its trailer), concatenated in name order at the end by one
// `head -q -c _nc_cap`, which also cuts each file to _nc_cap bytes: a huge iptables-save
// (thousands of services) or a tool's flood of errors is cut, and no header, STDERR line or
// trailer ever is (they are one line each, and come first in their file). A network probe's frame
// is one file, <number>.n, sent as soon as the network probes have ended (NETWORK_FIRST). Name
// order is byte order under LC_ALL=C, which keeps each probe's files together whatever the
// numbers' widths ('.' sorts before any digit; a locale's collation may ignore it).
const RUNNER = sh`_nc_d=$_nc_R/$_nc_B; mkdir -m 700 "$_nc_d" 2>/dev/null || { _nc_d=\${TMPDIR:-/tmp}/$_nc_B; mkdir -m 700 "$_nc_d" || exit 70; }
trap 'rm -rf "$_nc_d"' EXIT; trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 141' PIPE; trap 'exit 143' TERM
now() { read -r _nc_up _ < /proc/uptime; _nc_t="\${_nc_up%.*}\${_nc_up#*.}0"; }
begin() { printf "\\n%s BEGIN %s %s\\n" "$_nc_B" "$1" "$2"; }
end() { printf "\\n%s STDERR\\n" "$_nc_B"; if [ -s "$1" ]; then cat "$1"; fi; printf "\\n%s END %s %s\\n" "$_nc_B" "$2" "$3"; }
run() { ( now; _nc_s=$_nc_t; timeout --kill-after=1 "$3" sh -c "$4" > "$_nc_d/$1.o" 2> "$_nc_d/$1.err"; _nc_rc=$?; now; { begin "$2" "$4"; head -c "$_nc_cap" "$_nc_d/$1.o"; end "$_nc_d/$1.err" "$_nc_rc" "$((_nc_t - _nc_s))"; } > "$_nc_d/$1.n" ) & _nc_np="$_nc_np $!"; }
net() { ( _nc_f=$_nc_d/$1; _nc_T=$3; exec > "$_nc_f.n" 2> "$_nc_f.err"; eval "$_nc_tools"; begin "$2" "$4"; now; _nc_s=$_nc_t; trap '_nc_rc=$?; now; case $_nc_rc in 130|142) _nc_rc=124;; esac; end "$_nc_f.err" "$_nc_rc" "$((_nc_t - _nc_s))"' EXIT; eval "$4" ) & _nc_np="$_nc_np $!"; }
inline() { eval "$1"; }
alone() { ( eval "$1" ); }
quick() { _nc_i=$_nc_d/$1; _nc_c=$3; _nc_how=$4; begin "$2" "$3" > "$_nc_i.a"; printf "\\n%s STDERR\\n" "$_nc_B" > "$_nc_i.c"; now; _nc_s=$_nc_t; { "$_nc_how" "$_nc_c"; } > "$_nc_i.b" 2>> "$_nc_i.c"; _nc_rc=$?; now; printf "\\n%s END %s %s\\n" "$_nc_B" "$_nc_rc" "$((_nc_t - _nc_s))" > "$_nc_i.d"; }`;

// The overlay peers are the gateways of flannel.1's routes, read from `ip -j` (a JSON key, not
// the text layout; split on commas by the shell, no grep) and kept only when they look like an
// IPv4 address, since they end up in a command; the probe's MTU from /sys. Each ping's exit code
// decides, as for pingHost.
const OVERLAY = sh`mtu=1450; read -r mtu 2>/dev/null < /sys/class/net/flannel.1/mtu
case "$mtu" in ''|*[!0-9]*) mtu=1450;; esac
size=$((mtu - 28))
j=100000
n=0; seen=' '; gws=
IFS=,; for g in $(ip -j -4 route show dev flannel.1 2>/dev/null); do case "$g" in *'"gateway":"'*) g=\${g#*'"gateway":"'}; gws="$gws \${g%%'"'*}";; esac; done; unset IFS
for gw in $gws; do
  case "$gw" in *[!0-9.]*|'') continue;; esac
  case "$seen" in *" $gw "*) continue;; esac
  [ "$n" -lt "$MAXPEERS" ] || break
  n=$((n + 1)); seen="$seen$gw "
  j=$((j + 1)); net "$j" "overlay-ping:$gw" "$PINGT" "LC_ALL=C ping -n -c 1 -W 1 $gw"
  j=$((j + 1)); net "$j" "overlay-df-ping:$gw" "$PINGT" "LC_ALL=C ping -n -M do -s $size -c 1 -W 1 $gw"
done`;

/**
 * Every quick read's frame files, in name order, each cut to _nc_cap bytes. A `head` without
 * `-q -c` (a busybox built without its "fancy" head) says so before it prints anything: the files
 * are then sent whole, by `cat`.
 */
const COLLECT = sh`set -- "$_nc_d"/*.[a-d]; if [ -e "$1" ]; then head -q -c "$_nc_cap" -- "$@" 2>/dev/null || cat -- "$@"; fi && printf "\\n%s DONE\\n" "$_nc_B"`;

/**
 * After the network probes (`net`, `run`: their shells' pids in _nc_np, their frames in <n>.n),
 * not the local reads' lanes: their frames, then the boundary and NET on a line of its own.
 */
const NETWORK_FIRST = sh`if [ -n "$_nc_np" ]; then wait $_nc_np; cat "$_nc_d"/*.n 2>/dev/null; fi; printf "\\n%s NET\\n" "$_nc_B"`;

/**
 * How old (minutes) another bundle's directory must be before a bundle may remove it. A bundle ends
 * within its outer `timeout` (seconds), so a directory this old was left by one that was killed
 * before its EXIT trap could run: SIGKILL after the grace of `timeout --kill-after`, on a node so
 * overloaded that `rm` did not get the CPU in time.
 */
export const LEFTOVER_AGE_MIN = 5;

/**
 * Removes such leftovers beside this bundle's own directory, in the background (the final `wait`
 * bounds it). Only directories named like a bundle's, directly in /dev/shm or the temporary
 * directory; `find` does not follow symlinks, and `rm -rf` removes a link inside, not what it
 * points to.
 */
const LEFTOVERS = sh`find "$_nc_R" "\${TMPDIR:-/tmp}" -maxdepth 1 -type d -name 'NETCHECK-*' ! -name "$_nc_B" -mmin +${LEFTOVER_AGE_MIN} -exec rm -rf {} + 2>/dev/null &`;

/** A tmpfs on any systemd node (RUNNER says why the bundle's files go there first). */
export const RAM_DIR = '/dev/shm';

export function buildBundle(
  probes: readonly BundledProbe[],
  overlay: OverlayPingSpec | undefined,
  waits?: NetworkWaits,
  /** The node's ping is not known yet: the waits to use where it keeps its own (ping-flavor.ts). */
  askPing?: NetworkWaits,
  /** An earlier bundle on this node was cut: remove what such bundles left behind (LEFTOVERS). */
  sweepLeftovers = false,
  /** Where the frames' files go first (RAM_DIR; a test's own directory). */
  ramDir = RAM_DIR,
): ProbeBundle {
  const boundary = `NETCHECK-${randomBytes(9).toString('hex')}`;
  const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));
  const parts: RemoteCommand[] = [
    sh`_nc_R=${ramDir}; _nc_B=${boundary}; _nc_cap=${PROBE_OUTPUT_CAP}; _nc_tools=${networkTools(waits)}; _nc_np=; LC_ALL=C`,
    RUNNER,
    ...(askPing && waits ? [askPingInShell(networkTools(askPing))] : []),
  ];
  // The timed network probes first, the overlay pings first among them: their peers come from a
  // route read (one `ip`), which started behind the other probes' processes on a busy node (and
  // their pings 50-60 ms into the bundle, where the others started at once). A lost overlay ping
  // then ran to its wait's end last, and the NET line with it. Then the shell lowers its own
  // priority, so the local reads it starts from here on (the firewall dumps are most of a
  // bundle's work) never hold up a probe whose run decides how long a cut probe waits. Without
  // renice (bsdutils) they simply run at the same priority.
  const timed = overlay !== undefined || probes.some((p) => !p.quick);
  if (overlay) parts.push(sh`MAXPEERS=${overlay.maxPeers}; PINGT=${seconds(overlay.timeoutMs)}`, OVERLAY);
  // Every process costs: on a busy node, or a small VM, starting one takes milliseconds (forks
  // included), and a bundle of 30 probes per node on four nodes is hundreds of them. So output is
  // written straight into its frame's files, which one `head` collects and caps at the end; a
  // network probe's stderr is copied only when there is some. Network probes each run in the
  // background: the self-timed ones (ping, curl, Perl: network-tools.ts) without a second
  // shell, any other under its own `timeout`. Quick local reads run one after another, in the
  // lane's own shell where the command allows (runsInline), in a few lanes (the firewall dumps
  // alone take tens of ms each), bounded by the bundle's deadline.
  for (const [i, p] of probes.entries()) {
    if (p.quick) continue;
    const t = seconds(p.timeoutMs);
    parts.push(
      p.selfTimed
        ? sh`net ${i} ${p.key} ${t} ${p.command.text}`
        : sh`run ${i} ${p.key} ${t} ${p.command.text}`,
    );
  }
  if (timed) parts.push(sh`renice -n 10 -p $$ >/dev/null 2>&1`);
  // Behind the timed probes, at the local reads' priority: it must not slow what sets their waits.
  if (sweepLeftovers) parts.push(LEFTOVERS);
  // A bundle without network probes (a peer's) has one lane: nothing runs beside it, and its few
  // reads are not its node's long pole. Every lane is a shell of its own, even the only one: a
  // command the shell cannot parse ends the shell that evals it, and the bundle's own shell must
  // live to send back every frame.
  const lanes = quickLanes(probes, timed ? QUICK_LANES : 1);
  parts.push(
    ...lanes.map((lane) => {
      const reads = lane.map(({ p, i }) => {
        const how = runsInline(p.command.text) ? 'inline' : 'alone';
        return sh`quick ${i} ${p.key} ${p.command.text} ${how}`;
      });
      return script(sh`(`, ...reads, sh`true`, sh`) &`);
    }),
  );
  // The network probes' frames go out as soon as those probes have ended, then the NET line, while
  // the local reads may still run: the collector can decide on them meanwhile (network-frames.ts).
  if (timed) parts.push(NETWORK_FIRST);
  parts.push(sh`wait`);
  parts.push(COLLECT);
  const slowest = Math.max(...probes.map((p) => p.timeoutMs), overlay?.timeoutMs ?? 0);
  return { command: script(...parts), boundary, timeoutMs: slowest + 3000, lastLine: `\n${boundary} DONE\n` };
}

/**
 * Whether a quick probe's command may run in its lane's own shell (no subshell: on a small VM a fork
 * costs a millisecond or more, and a bundle has dozens of quick probes). Only a command that cannot
 * end or change that shell: no exit, exec, trap, return, shift, cd, set with options, IFS, and none
 * of the runner's own variables. Any other runs in a subshell of its own, as before. Probes of one
 * lane share its variables, so each sets what it reads.
 */
export function runsInline(text: string): boolean {
  return !/\b(exit|exec|trap|return|shift|cd|eval|IFS|readonly|unset)\b|\bset\s+[-+][^-]|_nc_/.test(text);
}

/** Background shells the quick local reads are spread over. */
export const QUICK_LANES = 3;

/**
 * Spreads the quick reads over `count` lanes by their cost (heaviest first, each to the lane with
 * the least so far; ties in plan order), and runs each lane's reads in plan order. The bundle ends
 * with its last lane: on a two-core node, lanes dealt in turn left the kernel log, systemctl and a
 * firewall dump in one lane, which ran alone for tens of ms after the others had ended.
 */
export function quickLanes(
  probes: readonly BundledProbe[],
  count: number,
): { p: BundledProbe; i: number }[][] {
  const quick = probes.flatMap((p, i) => (p.quick ? [{ p, i }] : []));
  const byCost = quick.sort((a, b) => cost(b.p) - cost(a.p) || a.i - b.i);
  const lanes = Array.from({ length: count }, () => ({
    load: 0,
    reads: [] as { p: BundledProbe; i: number }[],
  }));
  for (const read of byCost) {
    const lightest = lanes.reduce((min, lane) => (lane.load < min.load ? lane : min));
    lightest.load += cost(read.p);
    lightest.reads.push(read);
  }
  return lanes.map((lane) => lane.reads.sort((a, b) => a.i - b.i)).filter((reads) => reads.length > 0);
}

const cost = (p: BundledProbe): number => (p.cost !== undefined && p.cost > 0 ? p.cost : 1);

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
  const allowed = new Map(probes.map((p) => [p.key, p.sameAs ?? []]));
  return outputs.map((o) => sameAs(o, outputs, allowed.get(o.probe) ?? []));
}

/**
 * A probe that found its tool to be the very file another probe of the bundle ran prints only
 * `SAME <key>` (iptables-save beside iptables-nft-save: probe-commands.ts); it gets that probe's
 * output, and its command, since that is what ran. Only the probes its plan names (`sameAs`): from
 * any other probe, or naming any other, the line is output like any other. Without that output it
 * stays as it is (and reads as unparsable), never as empty.
 */
function sameAs(o: ProbeOutput, all: readonly ProbeOutput[], allowed: readonly string[]): ProbeOutput {
  const key = o.exitCode === 0 ? /^SAME (\S+)\n$/.exec(o.stdout)?.[1] : undefined;
  const source =
    key === undefined || !allowed.includes(key) ? undefined : all.find((x) => x.probe === key && x !== o);
  if (!source) return o;
  const { probe, node, durationMs } = o;
  return { ...source, probe, node, durationMs: Math.max(durationMs, source.durationMs) };
}
