import { type RemoteCommand, sh } from '../ssh/remote-command.js';
import type { ProbeOutput } from './probe-output.js';

/**
 * Which ping a node has, asked once per node, process and SSH connection (RoundTrips keeps the
 * answer): whether it ends its own wait at a fraction of a second. iputils takes `-W 0.150` from
 * 20210202 on (a dot, whatever the locale), the first release whose version has no `s` in front.
 * Before that its `-W` was whole seconds, or rounded a fraction down to 0 (wait forever), or read
 * the decimal separator from the locale; busybox refuses a fraction ("invalid number", exit 1),
 * which would read as a failed ping. So only an iputils that says so gets a fraction; every other
 * ping is cut from outside, as before.
 *
 * Not a fact about the node's network: the answer comes back as a frame of its own beside the
 * probes' and is taken out before the facts are kept (collect-facts.ts).
 */
export const PING_VERSION = { key: 'tool-ping-version', command: 'LC_ALL=C ping -V' } as const;

/**
 * For a bundle whose node's ping is not known yet: the bundle's shell asks `ping -V` before it
 * starts any network probe and takes the tools that give ping its own wait (`insideTools`) where
 * the answer is such an iputils, the same test as pingWaitsInTool; the answer goes back in its
 * frame, so the app knows which waits the pings had. One process, on the first bundle only.
 */
export function askPingInShell(insideTools: string): RemoteCommand {
  return sh`_nc_pv=$(LC_ALL=C ping -V 2>/dev/null); _nc_rc=$?
case "$_nc_pv" in 'ping from iputils 2'[0-9]*) _nc_tools=${insideTools};; esac
{ begin ${PING_VERSION.key} ${PING_VERSION.command}; printf '%s\n' "$_nc_pv"; end /dev/null "$_nc_rc" 0; } > "$_nc_d/ping-version.a"`;
}

/**
 * Whether the node's ping ends its own wait at a fraction of a second; undefined when the output
 * says nothing either way (the probe was cut, or did not come back), so it is asked again next time.
 * `ping from iputils 20221126` (older releases: `s20190709`); anything else is another ping. The
 * same test as askPingInShell's, on the output's first line.
 */
export function pingWaitsInTool(output: ProbeOutput | undefined): boolean | undefined {
  if (!output || output.timedOut || output.exitCode === null) return undefined;
  return /^ping from iputils 2[0-9]/.test(output.stdout);
}
