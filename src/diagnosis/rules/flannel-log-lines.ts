import { PROBE } from '../../probes/probe-registry.js';
import type { Evidence } from '../evidence.js';
import type { FactView } from '../fact-view.js';

/** Lines of the target's Flannel log that match: from the log on disk, else from the API (kubectl logs). */
export function flannelLogLines(view: FactView, pattern: RegExp): Evidence | undefined {
  const target = view.target.name;
  const log = view.parsed(target, PROBE.flannelLog);
  const fromDisk = log.status === 'ok' ? log.value.lines.filter((l) => pattern.test(l)) : [];
  if (fromDisk.length > 0)
    return view.evidence(target, PROBE.flannelLog, fromDisk.slice(-5), 'Flannel log on disk');
  const kube = view.facts.kube;
  const fromApi = kube.status === 'reachable' ? kube.flannelLog.filter((l) => pattern.test(l)) : [];
  if (fromApi.length > 0)
    return {
      node: target,
      command: 'kubectl logs (kube-flannel pod on this node)',
      lines: fromApi.slice(-5),
    };
  return undefined;
}
