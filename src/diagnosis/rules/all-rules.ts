import { apiserverDownRule } from './apiserver-down-rule.js';
import { apiserverPortBlockedRule } from './apiserver-port-blocked-rule.js';
import { conntrackTableFullRule } from './conntrack-rule.js';
import { peerRouteMissingRule, publicIpDuplicateRule } from './flannel-peer-rules.js';
import { cniConfigMissingRule, flannel1MissingRule, subnetEnvMissingRule } from './flannel-state-rules.js';
import {
  flannel1StaleAddressRule,
  networkManagerInterferenceRule,
  noDefaultRouteRule,
  vxlanChecksumOffloadRule,
} from './host-network-rules.js';
import { icmpBlockedRule } from './icmp-blocked-rule.js';
import {
  brNetfilterMissingRule,
  forwardPolicyDropRule,
  ipForwardDisabledRule,
  iptablesBackendMismatchRule,
  kubeProxyMissingRule,
  leftoverCniConfigRule,
  staleCni0BridgeRule,
} from './node-config-rules.js';
import { mtuMismatchRule, vtepMacMismatchRule, wrongIfacePublicIpRule } from './overlay-rules.js';
import { peerSideRule } from './peer-side-rules.js';
import { podcidrOverlapsHostNetRule } from './podcidr-overlaps-host-net-rule.js';
import { podcidrNetconfMismatchRule, podcidrNotAssignedRule } from './podcidr-rules.js';
import type { Rule } from './rule.js';
import { sshRule } from './ssh-rules.js';
import { vxlan8472BlockedRule } from './vxlan-8472-blocked-rule.js';

export const ALL_RULES: readonly Rule[] = [
  sshRule,
  podcidrOverlapsHostNetRule,
  peerSideRule('podcidr-overlaps-host-net'),
  podcidrNotAssignedRule,
  podcidrNetconfMismatchRule,
  apiserverDownRule,
  apiserverPortBlockedRule,
  icmpBlockedRule,
  wrongIfacePublicIpRule,
  peerSideRule('wrong-iface-public-ip'),
  vtepMacMismatchRule,
  vxlan8472BlockedRule,
  mtuMismatchRule,
  forwardPolicyDropRule,
  ipForwardDisabledRule,
  brNetfilterMissingRule,
  kubeProxyMissingRule,
  flannel1MissingRule,
  peerSideRule('flannel1-missing'),
  subnetEnvMissingRule,
  cniConfigMissingRule,
  leftoverCniConfigRule,
  staleCni0BridgeRule,
  iptablesBackendMismatchRule,
  noDefaultRouteRule,
  flannel1StaleAddressRule,
  networkManagerInterferenceRule,
  vxlanChecksumOffloadRule,
  publicIpDuplicateRule,
  peerRouteMissingRule,
  peerSideRule('peer-route-missing'),
  conntrackTableFullRule,
];
