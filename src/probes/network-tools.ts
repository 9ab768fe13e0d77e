import type { NetworkWaits } from './probe-deadline.js';

/**
 * A tool that keeps its own wait, run as itself where `host` (shell text: the argument that names
 * the destination) is an IPv4 address, else under `timeout` (the resolver's wait is not its own).
 */
const ownWait = (host: string, tool: string, env = ''): string =>
  `case "${host}" in *[!0-9.]*|'') ${env}timeout --kill-after=1 "$_nc_T" ${tool} "$@";; *) ${env}command ${tool} "$@";; esac`;

/**
 * The network tools as the self-timed probes see them (shell functions, defined only in their
 * shells; the probe's command, and the text shown as evidence, are unchanged). Each ends its own
 * wait: ping after `-W`, curl after `--max-time`, the Perl check on select()'s wait or its alarm.
 * Where the wait is cut from outside, or the ping's flavour is not known, `timeout` around ping and
 * Perl is also the guard against a tool that hangs anyway (exit 124, or 137 once killed).
 *
 * With waits derived from the node's round trips (probe-deadline.ts) each tool is cut the way it
 * ends its own wait, so a cut answer reads exactly like today's timeout: ping is stopped with
 * SIGINT (its Ctrl-C: statistics and exit 1, "no reply", on iputils and busybox alike); the Perl
 * check gets its SIGALRM early (it prints ETIMEDOUT, as when its own alarm fires); curl gets a
 * shorter --connect-timeout (exit 28, a timeout; curlTool below). A ping known to keep a wait of a
 * fraction of a second itself (ping-flavor.ts) is given that wait instead: it counts from the
 * request sent, so the time a busy node takes to start ping is not part of it. Likewise the Perl
 * check, given its wait in _NC_WAIT where there is one (waits.tcpMs): it waits with select() once
 * started. These two run without `timeout`, as curl always has: the tool's own deadline is the
 * guard (an iputils ping from 2021 on ends at `-W` whatever the answer; the Perl check given an
 * IPv4 address ends on select()), and the bundle's own deadline is behind it. `timeout` is a
 * process of its own per probe, a fork and an exec before the tool's: on a busy node, a tenth of a
 * bundle's CPU. Only for an IPv4 address, though (ping's last argument; the Perl check's $3, its
 * script's first): given a host name either tool first waits on the resolver, which `-W` does not
 * bound, and Perl runs its alarm handler only once getaddrinfo returns (glibc retries the
 * interrupted poll); so a name keeps `timeout` around the tool.
 *
 * perl is wrapped only where it exists: the commands ask `command -v perl`, which a function
 * answers. Its _NC_WAIT is always the bundle's (empty: the argument's whole seconds), never the
 * node's own.
 */
export function networkTools(waits: NetworkWaits | undefined): string {
  const s = (ms: number) => (ms / 1000).toFixed(3);
  if (!waits)
    return [
      'ping() { timeout --kill-after=1 "$_nc_T" ping "$@"; };',
      'if command -v perl >/dev/null 2>&1; then perl() { _NC_WAIT= timeout --kill-after=1 "$_nc_T" perl "$@"; }; fi',
    ].join(' ');
  // A ping that keeps its own wait (waits.pingInTool) gets it as its `-W`: the probe's `-W 1` is
  // replaced word for word by the shell (no process), or the wait goes first where there is none.
  // After the loop, $_nc_a holds ping's last argument: its destination.
  const ping = waits.pingInTool
    ? `ping() { _nc_w=; _nc_x=; for _nc_a do shift; if [ "$_nc_x" = 1 ]; then _nc_x=; set -- "$@" ${s(waits.pingMs)}; continue; fi; if [ "$_nc_a" = -W ]; then _nc_x=1; _nc_w=1; fi; set -- "$@" "$_nc_a"; done; [ "$_nc_w" = 1 ] || set -- -W ${s(waits.pingMs)} "$@"; ${ownWait('$_nc_a', 'ping')}; };`
    : `ping() { timeout --kill-after=1 --preserve-status -s INT ${s(waits.pingMs)} ping "$@"; };`;
  return [
    ping,
    waits.tcpMs === undefined
      ? `if command -v perl >/dev/null 2>&1; then perl() { _NC_WAIT= timeout --kill-after=1 --preserve-status -s ALRM ${s(waits.connectMs)} perl "$@"; }; fi;`
      : `if command -v perl >/dev/null 2>&1; then perl() { ${ownWait('$3', 'perl', `_NC_WAIT=${s(waits.tcpMs)} `)}; }; fi;`,
    curlTool(waits, s),
  ].join(' ');
}

/**
 * curl's connect phase is its TCP handshake and then its TLS handshake, under one timer
 * (--connect-timeout) that starts once curl has started, so its start-up is not in it. Where the
 * node's tools measured the path's round trip (waits.tcpMs) and the URL names an IPv4 address (a
 * name would put the resolver's wait in that timer too), curl first gets the wait a TCP handshake
 * needs, as the Perl check does: a port that drops SYNs is known in a tenth of a second, not after
 * a wait sized for a busy node's tools. If TCP did connect in that time (`num_connects` is 1) and
 * only TLS was not done, that says nothing about the port: curl runs again with the wait its whole
 * connect phase gets (waits.connectMs), so a slow API server is never called blocked. Its output
 * is its `-w` line alone (every probe sends the body to /dev/null), kept in the shell to read
 * `num_connects` and then printed as curl printed it; its stderr is kept beside the probe's frame
 * (`net` names it: $_nc_f) and shown only where that try is the answer, so a check answered on
 * the second try does not carry the first one's timeout.
 */
function curlTool(waits: NetworkWaits, s: (ms: number) => string): string {
  const whole = `command curl "$@" --connect-timeout ${s(waits.connectMs)}`;
  if (waits.tcpMs === undefined) return `curl() { ${whole}; }`;
  return [
    `curl() { for _nc_a do :; done; _nc_h=\${_nc_a#*://}; _nc_h=\${_nc_h%%[:/]*};`,
    `case "$_nc_h" in *[!0-9.]*|'') ${whole};; *)`,
    `_nc_o=$(command curl "$@" --connect-timeout ${s(waits.tcpMs)} 2> "$_nc_f.e1"); _nc_rc=$?; _nc_n=\${_nc_o#* }; _nc_n=\${_nc_n%% *};`,
    `if [ "$_nc_rc" = 28 ] && [ "$_nc_n" != 0 ]; then ${whole}; else printf '%s\\n' "$_nc_o";`,
    `while IFS= read -r _nc_l || [ -n "$_nc_l" ]; do printf '%s\\n' "$_nc_l" >&2; done < "$_nc_f.e1"; return "$_nc_rc"; fi;; esac; }`,
  ].join(' ');
}
