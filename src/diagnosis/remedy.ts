/** One firewall rule, addressed the way the tool that deletes it needs it. */
export type FirewallRuleRef =
  | {
      /** Which iptables binary owns it: iptables-legacy, iptables-nft, or plain iptables. */
      readonly layer: 'iptables-legacy' | 'iptables-nft' | 'iptables';
      readonly table: string;
      /** The rule as iptables-save printed it (`-A INPUT …`). */
      readonly line: string;
    }
  | {
      readonly layer: 'nftables';
      readonly family: string;
      readonly table: string;
      readonly chain: string;
      readonly handle: number;
      /** The rule as read from `nft -j` (shown; the handle is what deletes it). */
      readonly text: string;
    };

/** Structured data a runbook needs to fix exactly one finding (the offending rule, the file…). */
export type Remedy =
  /** Delete exactly these rules, in any firewall layer, after backing up every ruleset. */
  | {
      readonly kind: 'delete-firewall-rules';
      readonly node: string;
      readonly rules: readonly FirewallRuleRef[];
    }
  | {
      readonly kind: 'delete-iptables-rules';
      readonly node: string;
      readonly rules: readonly { readonly table: string; readonly line: string }[];
    }
  | { readonly kind: 'set-sysctl'; readonly node: string; readonly key: string; readonly value: string }
  | { readonly kind: 'move-cni-config'; readonly node: string; readonly file: string }
  /**
   * Re-initialise the control plane with the cluster's pod network and re-apply Flannel: the fix when
   * the cluster was initialised without --pod-network-cidr, so no node ever gets a podCIDR.
   */
  | {
      readonly kind: 'reinit-control-plane';
      readonly node: string;
      readonly podNetworkCidr: string;
    }
  /** Reset a worker's Kubernetes/CNI state and rejoin it; `uplink` restores the node-network route the overlay hijacked. */
  | {
      readonly kind: 'reset-worker';
      readonly node: string;
      readonly controlPlane: string;
      readonly uplink:
        | { readonly iface: string; readonly address: string; readonly prefixlen: number }
        | undefined;
    };
