import { criLine, flannelLogDir, flannelStartupLog } from './lab-node-files.js';
import type { LabNodeSpec } from './lab-topology.js';

/**
 * The stand-in `crictl` the lab puts on every node's /usr/local/bin, beside the stand-in kubeadm.
 * It knows one container, the node's Flannel, so that "restart the Flannel pod on this node"
 * (`crictl stop` of the kube-flannel container, which kubelet then starts again) can run on a lab
 * node; stopping it runs the node's flannel-restart.sh.
 */
export function crictlStandIn(): string {
  return `#!/bin/sh
# netcheck lab stand-in for crictl: NOT the real crictl. It logs every call and knows one container,
# this node's kube-flannel; "stop" runs what a Flannel restart does (see flannel-restart.sh).
# Real nodes run the real binary against containerd.
echo "$(date -u +%FT%TZ) crictl $*" >> /var/log/netcheck-lab-crictl.log
ID="kube-flannel-$(hostname)"
case "$1" in
  ps)
    shift; quiet=0; name=''
    while [ $# -gt 0 ]; do
      case "$1" in -q|--quiet) quiet=1;; --name) name="$2"; shift;; --name=*) name="\${1#--name=}";; esac
      shift
    done
    if [ -n "$name" ] && ! echo kube-flannel | grep -Eq -- "$name"; then exit 0; fi
    if [ "$quiet" = 1 ]; then echo "$ID"; else printf 'CONTAINER\\tSTATE\\tNAME\\n%s\\tRunning\\tkube-flannel\\n' "$ID"; fi;;
  stop)
    shift
    [ "$1" = "$ID" ] || { echo "[netcheck lab stand-in] crictl stop: no container $1" >&2; exit 1; }
    sh /var/lib/netcheck-lab/flannel-restart.sh && echo "$ID";;
  *) echo "[netcheck lab stand-in] crictl: unsupported command $1" >&2; exit 1;;
esac
`;
}

/**
 * What Flannel does on a node when its container restarts, as far as netcheck can see it: every
 * peer's FDB entry (only where none holds the peer's VTEP MAC: a repointed one is another fault's),
 * neighbour and route is added again, and kubelet starts the next container log file.
 */
export function flannelRestartScript(node: LabNodeSpec, peers: readonly LabNodeSpec[]): string {
  const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  const startup =
    flannelStartupLog(node) +
    criLine('I1124 03:20:00.000000       1 main.go:0] restarted (netcheck lab stand-in)');
  return [
    '#!/bin/sh',
    '# netcheck lab: what a Flannel restart re-adds on this node (run by the crictl stand-in)',
    ...peers.flatMap((p) => [
      `bridge fdb show dev flannel.1 | grep -qi '^${p.vtepMac} ' || bridge fdb append ${p.vtepMac} dev flannel.1 dst ${p.host}`,
      `ip neigh replace ${p.overlayAddress} lladdr ${p.vtepMac} dev flannel.1 nud permanent`,
      `ip route replace ${p.podSubnet} via ${p.overlayAddress} dev flannel.1 onlink`,
    ]),
    `d=${q(flannelLogDir(node))}; n=$(ls -1 "$d" | wc -l); printf '%s' ${q(startup)} > "$d/$n.log"`,
    '',
  ].join('\n');
}
