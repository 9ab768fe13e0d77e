import { catalogEntry } from '../catalog.js';
import { PROBE } from '../facts.js';
import { OVERLAY_CHECK } from '../overlay-checks.js';
import { fromFailedCheck } from './rule.js';

const fix = (id: string) => () => catalogEntry(id).fix;

export const ipForwardDisabledRule = fromFailedCheck('ip-forward-disabled', fix('ip-forward-disabled'), {
  check: OVERLAY_CHECK.ipForward,
  cause: (node) =>
    `IP forwarding is off on ${node} (net.ipv4.ip_forward = 0), so it does not route pod traffic to other nodes.`,
  remedy: (_view, node) => ({ kind: 'set-sysctl', node, key: 'net.ipv4.ip_forward', value: '1' }),
});

export const brNetfilterMissingRule = fromFailedCheck('br-netfilter-missing', fix('br-netfilter-missing'), {
  check: OVERLAY_CHECK.brNetfilter,
  cause: (node, detail) =>
    `Bridge netfilter is off on ${node} (${detail}), so bridged pod traffic bypasses iptables and Flannel ≥ 0.26 refuses to start.`,
});

export const forwardPolicyDropRule = fromFailedCheck('forward-policy-drop', fix('forward-policy-drop'), {
  check: OVERLAY_CHECK.forwardPolicy,
  cause: (node) =>
    `The FORWARD chain on ${node} drops by default and has no FLANNEL-FWD jump or accept rule for the pod network, so cross-node pod traffic is dropped.`,
});

export const leftoverCniConfigRule = fromFailedCheck('leftover-cni-config', fix('leftover-cni-config'), {
  check: OVERLAY_CHECK.cniFirstConfig,
  cause: (node, detail) =>
    `Another CNI plugin's config sorts before Flannel's in /etc/cni/net.d on ${node} (${detail}), so new pods get the wrong network.`,
  remedy: (view, node) => {
    const cni = view.parsed(node, PROBE.cniConfig);
    const first =
      cni.status === 'ok' ? cni.value.files.filter((f) => /\.(conf|conflist|json)$/.test(f))[0] : undefined;
    return first ? { kind: 'move-cni-config', node, file: first } : undefined;
  },
});

export const staleCni0BridgeRule = fromFailedCheck('stale-cni0-bridge', fix('stale-cni0-bridge'), {
  check: OVERLAY_CHECK.cni0Address,
  cause: (node, detail) =>
    `cni0 on ${node} carries an address outside this node's Flannel subnet (${detail}); new pods fail with "cni0 already has an IP address different from …".`,
});

export const kubeProxyMissingRule = fromFailedCheck('kube-proxy-missing', fix('kube-proxy-missing'), {
  check: OVERLAY_CHECK.kubeProxyRules,
  cause: (node) =>
    `${node} has no kube-proxy rule for the API ClusterIP 10.96.0.1, so pods (Flannel among them) cannot reach the API server through the service.`,
});

export const iptablesBackendMismatchRule = fromFailedCheck(
  'iptables-backend-mismatch',
  fix('iptables-backend-mismatch'),
  {
    check: OVERLAY_CHECK.iptablesBackends,
    cause: (node, detail) =>
      `Kubernetes/Flannel rules on ${node} are split between iptables backends (${detail}), so some traffic is filtered by rules the other tools cannot see.`,
  },
);
