import { PROBE } from '../../probes/probe-registry.js';
import { fromFailedCheck } from './from-failed-check.js';

export const ipForwardDisabledRule = fromFailedCheck('ip-forward-disabled', {
  check: 'ip-forward',
  cause: (node) =>
    `IP forwarding is off on ${node} (net.ipv4.ip_forward = 0), so it does not route pod traffic to other nodes.`,
  remedy: (_view, node) => ({ kind: 'set-sysctl', node, key: 'net.ipv4.ip_forward', value: '1' }),
});

export const brNetfilterMissingRule = fromFailedCheck('br-netfilter-missing', {
  check: 'br-netfilter',
  cause: (node, detail) =>
    `Bridge netfilter is off on ${node} (${detail}), so bridged pod traffic bypasses iptables and Flannel ≥ 0.26 refuses to start.`,
});

export const forwardPolicyDropRule = fromFailedCheck('forward-policy-drop', {
  check: 'forward-policy',
  cause: (node) =>
    `The FORWARD chain on ${node} drops by default and has no FLANNEL-FWD jump or accept rule for the pod network, so cross-node pod traffic is dropped.`,
});

export const leftoverCniConfigRule = fromFailedCheck('leftover-cni-config', {
  check: 'cni-first-config',
  cause: (node, detail) =>
    `Another CNI plugin's config sorts before Flannel's in /etc/cni/net.d on ${node} (${detail}), so new pods get the wrong network.`,
  remedy: (view, node) => {
    const cni = view.parsed(node, PROBE.cniConfig);
    const first =
      cni.status === 'ok' ? cni.value.files.filter((f) => /\.(conf|conflist|json)$/.test(f))[0] : undefined;
    return first ? { kind: 'move-cni-config', node, file: first } : undefined;
  },
});

export const staleCni0BridgeRule = fromFailedCheck('stale-cni0-bridge', {
  check: 'cni0-address',
  cause: (node, detail) =>
    `cni0 on ${node} carries an address outside this node's Flannel subnet (${detail}); new pods fail with "cni0 already has an IP address different from …".`,
});

export const kubeProxyMissingRule = fromFailedCheck('kube-proxy-missing', {
  check: 'kube-proxy-rules',
  cause: (node) =>
    `${node} has no kube-proxy rule for the API ClusterIP 10.96.0.1, so pods (Flannel among them) cannot reach the API server through the service.`,
});

export const iptablesBackendMismatchRule = fromFailedCheck('iptables-backend-mismatch', {
  check: 'iptables-backends',
  cause: (node, detail) =>
    `Kubernetes/Flannel rules on ${node} are split between iptables backends (${detail}), so some traffic is filtered by rules the other tools cannot see.`,
});
