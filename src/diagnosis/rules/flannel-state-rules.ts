import { catalogEntry } from '../catalog.js';
import { CHECK } from '../checks.js';
import type { Finding } from '../node-report.js';
import type { Rule } from './rule.js';

function fromFailedCheck(
  id: string,
  checkId: string,
  cause: (node: string) => string,
  explainsFindings: string[] = [],
): Rule {
  return {
    id,
    evaluate(view, checks) {
      const target = view.target.name;
      const failed = checks.get(checkId, target);
      if (failed?.status !== 'fail') return [];
      const finding: Finding = {
        id,
        node: target,
        cause: cause(target),
        evidence: failed.evidence,
        confidence: 'high',
        explainsChecks: [`${checkId}@${target}`],
        explainsFindings,
        fix: catalogEntry(id).fix,
      };
      return [finding];
    },
  };
}

export const flannel1MissingRule = fromFailedCheck(
  'flannel1-missing',
  CHECK.flannelLink,
  (node) => `${node} has no flannel.1 VXLAN device, so it has no overlay to the other nodes.`,
);

export const cniConfigMissingRule = fromFailedCheck(
  'cni-config-missing',
  CHECK.cniConfig,
  (node) =>
    `${node} has no Flannel CNI config in /etc/cni/net.d, so the kubelet cannot set up pod networking.`,
);

export const subnetEnvMissingRule = fromFailedCheck(
  'subnet-env-missing',
  CHECK.subnetEnv,
  (node) =>
    `${node} has no /run/flannel/subnet.env: Flannel is not running (or never acquired a subnet) on it.`,
);
