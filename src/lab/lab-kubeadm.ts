/** The stand-in `kubeadm` the lab puts on every node's /usr/local/bin. */
export function kubeadmStandIn(stateDir: string): string {
  return `#!/bin/sh
# netcheck lab stand-in for kubeadm: NOT the real kubeadm. It logs every call and imitates the
# parts netcheck's remediation needs. Real clusters run the real binary.
echo "$(date -u +%FT%TZ) kubeadm $*" >> /var/log/netcheck-lab-kubeadm.log
case "$1" in
  reset) rm -rf /etc/kubernetes/* /etc/cni/net.d/* /run/flannel/* /var/lib/cni/*; ip link del flannel.1 2>/dev/null; ip link del cni0 2>/dev/null; echo "[reset] Stopped kubelet (lab stand-in)";;
  join|init) sh /var/lib/netcheck-lab/restore.sh && rm -f "${stateDir}/api/deleted-$(hostname)" "${stateDir}/api/cordoned-$(hostname)" && echo "[netcheck lab stand-in] kubeadm $1: node state recreated, node registered again";;
  token) echo "kubeadm join $(ip -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1):6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash sha256:$(printf '%064d' 0)";;
  version) echo 'kubeadm version: &version.Info{Major:"1", Minor:"31", GitVersion:"v1.31.0-netcheck-lab-standin"}';;
  *) echo "[netcheck lab stand-in] kubeadm: unsupported command $1" >&2; exit 1;;
esac
`;
}
