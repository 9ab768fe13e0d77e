import { fromFailedCheck } from './from-failed-check.js';

export const flannel1MissingRule = fromFailedCheck('flannel1-missing', {
  check: 'flannel-link',
  cause: (node) => `${node} has no flannel.1 VXLAN device, so it has no overlay to the other nodes.`,
});

export const cniConfigMissingRule = fromFailedCheck('cni-config-missing', {
  check: 'cni-config',
  cause: (node) =>
    `${node} has no Flannel CNI config in /etc/cni/net.d, so the kubelet cannot set up pod networking.`,
});

export const subnetEnvMissingRule = fromFailedCheck('subnet-env-missing', {
  check: 'subnet-env',
  cause: (node) =>
    `${node} has no /run/flannel/subnet.env: Flannel is not running (or never acquired a subnet) on it.`,
});
