/** The stand-in `kubeadm` the lab puts on every node's /usr/local/bin. */
export function kubeadmStandIn(stateDir: string): string {
  return `#!/bin/sh
# netcheck lab stand-in for kubeadm: NOT the real kubeadm. It logs every call (its argv, as any
# process list would show it) and imitates the parts netcheck's remediation needs. Real clusters
# run the real binary.
LOG=/var/log/netcheck-lab-kubeadm.log
TOKENS=/var/lib/netcheck-lab/join-tokens
note=""
# join --config FILE: the way netcheck joins, with the token in a file instead of on the command line.
if [ "$1" = join ] && [ "$2" = --config ] && [ -n "$3" ]; then
  cfg="$3"
  mode=$(stat -c %a "$cfg" 2>/dev/null)
  endpoint=$(sed -n 's/^ *apiServerEndpoint: *"\\{0,1\\}\\([^"]*\\)"\\{0,1\\} *$/\\1/p' "$cfg")
  token=$(sed -n 's/^ *token: *"\\{0,1\\}\\([a-z0-9]\\{6\\}\\)\\.\\([a-z0-9]\\{16\\}\\)"\\{0,1\\} *$/\\1.\\2/p' "$cfg")
  # Is the token's secret on any process's command line right now? (grep -f: not on grep's own.)
  pat=$(mktemp) && chmod 600 "$pat" && printf '%s\\n' "\${token#*.}" > "$pat"
  seen=0
  [ -n "$token" ] && for p in /proc/[0-9]*; do
    [ "$p" = "/proc/$$" ] && continue
    if tr '\\0' ' ' < "$p/cmdline" 2>/dev/null | grep -q -F -f "$pat"; then seen=$((seen + 1)); fi
  done
  rm -f "$pat"
  note=" (config mode $mode: kubeadm join $endpoint --token \${token%%.*}.<secret, not logged>; processes showing the secret: $seen)"
fi
echo "$(date -u +%FT%TZ) kubeadm $*$note" >> "$LOG"
case "$1" in
  reset) rm -rf /etc/kubernetes/* /etc/cni/net.d/* /run/flannel/* /var/lib/cni/*; ip link del flannel.1 2>/dev/null; ip link del cni0 2>/dev/null; echo "[reset] Stopped kubelet (lab stand-in)";;
  join|init)
    if [ -n "$note" ] && { [ "$mode" != 600 ] || [ -z "$endpoint" ] || [ -z "$token" ]; }; then
      echo "[netcheck lab stand-in] kubeadm join: --config must be a 0600 JoinConfiguration with apiServerEndpoint and token" >&2; exit 1
    fi
    sh /var/lib/netcheck-lab/restore.sh && rm -f "${stateDir}/api/deleted-$(hostname)" "${stateDir}/api/cordoned-$(hostname)" && echo "[netcheck lab stand-in] kubeadm $1: node state recreated, node registered again";;
  token)
    case "$2" in
      create) mkdir -p "$(dirname "$TOKENS")" && echo abcdef >> "$TOKENS"
        echo "kubeadm join $(ip -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1):6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash sha256:$(printf '%064d' 0)";;
      delete) [ -n "$3" ] && grep -qx -- "\${3%%.*}" "$TOKENS" 2>/dev/null || { echo "[netcheck lab stand-in] token \${3%%.*} not found" >&2; exit 1; }
        grep -vx -- "\${3%%.*}" "$TOKENS" > "$TOKENS.new"; mv "$TOKENS.new" "$TOKENS";;
      list) cat "$TOKENS" 2>/dev/null; true;;
      *) echo "[netcheck lab stand-in] kubeadm token: unsupported command $2" >&2; exit 1;;
    esac;;
  version) echo 'kubeadm version: &version.Info{Major:"1", Minor:"31", GitVersion:"v1.31.0-netcheck-lab-standin"}';;
  *) echo "[netcheck lab stand-in] kubeadm: unsupported command $1" >&2; exit 1;;
esac
`;
}
