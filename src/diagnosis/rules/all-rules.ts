import { apiserverDownRule } from './apiserver-down-rule.js';
import { apiserverPortBlockedRule } from './apiserver-port-blocked-rule.js';
import { cniConfigMissingRule, flannel1MissingRule, subnetEnvMissingRule } from './flannel-state-rules.js';
import { icmpBlockedRule } from './icmp-blocked-rule.js';
import { podcidrOverlapsHostNetRule } from './podcidr-overlaps-host-net-rule.js';
import type { Rule } from './rule.js';
import { sshRule } from './ssh-rules.js';

export const ALL_RULES: readonly Rule[] = [
  sshRule,
  podcidrOverlapsHostNetRule,
  apiserverDownRule,
  apiserverPortBlockedRule,
  icmpBlockedRule,
  flannel1MissingRule,
  subnetEnvMissingRule,
  cniConfigMissingRule,
];
