import { sh } from '../ssh/remote-command.js';
import type { BundledProbe } from './probe-bundle.js';
import type { ProbeOutput } from './probe-output.js';

/**
 * Which ping a node has, asked once per node and process (RoundTrips keeps the answer): whether
 * it ends its own wait at a fraction of a second. iputils takes `-W 0.150` from 20210202 on
 * (a dot, whatever the locale). Before that its `-W` was whole seconds, or rounded a fraction down
 * to 0 (wait forever), or read the decimal separator from the locale; busybox refuses a fraction
 * ("invalid number", exit 1), which would read as a failed ping. So only an iputils that says its
 * version is that recent gets a fraction; every other ping is cut from outside, as before.
 *
 * Not a fact about the node's network: the probe goes into the bundle beside the plan's, and its
 * output is taken out again before the facts are kept (collect-facts.ts).
 */
export const PING_VERSION_PROBE: BundledProbe = {
  key: 'tool-ping-version',
  command: sh`LC_ALL=C ping -V`,
  timeoutMs: 2000,
  quick: true,
};

/** The first iputils release that reads `-W` as seconds with a fraction, with a dot in any locale. */
export const IPUTILS_FRACTIONAL_WAIT = 20210202;

/**
 * Whether the node's ping ends its own wait at a fraction of a second; undefined when the output
 * says nothing either way (the probe was cut, or did not come back), so it is asked again next time.
 * `ping from iputils 20221126` (older releases: `s20190709`); anything else is another ping.
 */
export function pingWaitsInTool(output: ProbeOutput | undefined): boolean | undefined {
  if (!output || output.timedOut || output.exitCode === null) return undefined;
  const m = /^ping from iputils (s?)(\d{8})\b/m.exec(output.stdout);
  if (!m) return false;
  return m[1] === '' && Number(m[2]) >= IPUTILS_FRACTIONAL_WAIT;
}
