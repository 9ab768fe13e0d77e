import type { FirewallRuleRef } from '../../diagnosis/remedy.js';
import { shellStep } from '../plan-step.js';
import { remedyCommands } from '../remedy-commands.js';
import type { Runbook } from '../runbook.js';

const where = (r: FirewallRuleRef): string =>
  r.layer === 'nftables'
    ? `nftables rule ${r.family} ${r.table} ${r.chain} handle ${r.handle} (${r.text})`
    : `${r.layer} rule in table ${r.table}: ${r.line}`;

/** Each layer (and nft table) a plan touches once, for its rollback. */
const touched = (rules: readonly FirewallRuleRef[]): FirewallRuleRef[] => {
  const seen = new Set<string>();
  return rules.filter((r) => {
    const key = r.layer === 'nftables' ? `nft ${r.family} ${r.table}` : r.layer;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
};

/**
 * Delete exactly the offending rules, in whichever firewall layer holds them (iptables-legacy,
 * iptables-nft, plain iptables, native nftables by handle), after backing up every ruleset on the
 * node: `nft list ruleset`, iptables-save of each backend, and each nftables table touched on its own.
 */
export const deleteFirewallRules: Runbook<'delete-firewall-rules'> = {
  steps: (r, backup) => [
    shellStep(
      r.node,
      `back up every firewall ruleset of ${r.node} (nftables and each iptables backend)`,
      remedyCommands.backupFirewall(backup, r.rules),
      remedyCommands.firewallBackedUp(backup.dir, r.rules),
      false,
    ),
    ...r.rules.map((rule) =>
      shellStep(
        r.node,
        `delete the ${where(rule)}`,
        remedyCommands.deleteFirewallRule(rule),
        remedyCommands.firewallRuleAbsent(rule),
        false,
      ),
    ),
  ],
  rollback: (r, { planId, backupDir, destructive }) =>
    touched(r.rules).map((rule) =>
      shellStep(
        r.node,
        `restore the ${rule.layer === 'nftables' ? `nftables table ${rule.family} ${rule.table}` : `${rule.layer} rules`} saved before plan ${planId}`,
        remedyCommands.restoreFirewall(backupDir, rule),
        remedyCommands.firewallRestored(backupDir, rule),
        destructive,
      ),
    ),
};
