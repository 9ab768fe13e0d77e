import { StringDecoder } from 'node:string_decoder';
import { type BundledProbe, PROBE_OUTPUT_CAP, type ProbeBundle, parseBundle } from './probe-bundle.js';
import type { ProbeOutput } from './probe-output.js';

/**
 * A bundle sends its network probes' frames as soon as those probes have ended, then its boundary
 * and NET on a line of their own, and the local reads' frames only once they are all done
 * (probe-bundle.ts, NETWORK_FIRST). This watches the bundle's stdout as it arrives and hands the
 * network probes' outputs over once, parsed, at that line: the collector can decide what else to
 * probe while the node is still reading its firewall. Nothing is handed over for a bundle that
 * never sends the line (one without network probes, or cut before them).
 */
export function watchNetworkFrames(
  node: string,
  bundle: ProbeBundle,
  probes: readonly BundledProbe[],
  onFrames: (outputs: ProbeOutput[]) => void,
): (chunk: Buffer) => void {
  const decoder = new StringDecoder('utf8');
  const mark = `\n${bundle.boundary} NET\n`;
  let seen = '';
  let done = false;
  return (chunk) => {
    if (done) return;
    seen += decoder.write(chunk);
    const at = seen.indexOf(mark);
    if (at < 0) {
      // Only network frames come before the line: this much means it is not coming.
      if (seen.length > PROBE_OUTPUT_CAP) done = true;
      return;
    }
    done = true;
    onFrames(parseBundle(node, bundle, probes, seen.slice(0, at + 1)));
  };
}
