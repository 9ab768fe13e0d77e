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
    }
  /** Remove addresses Flannel did not put on a device (flannel.1's stale link-local or old lease). */
  | {
      readonly kind: 'remove-link-addresses';
      readonly node: string;
      readonly device: string;
      readonly addresses: readonly string[];
      /** The address that must stay (Flannel's own), checked after the removal. */
      readonly keep: string | undefined;
    }
  /** Tell NetworkManager to leave cni0/flannel* alone; give cni0 back the address it removed. */
  | {
      readonly kind: 'network-manager-unmanage';
      readonly node: string;
      readonly devices: readonly string[];
      readonly cni0Address: string | undefined;
    }
  /** Turn off tx checksum offload on a VXLAN device, now and (udev rule) whenever it is created. */
  | { readonly kind: 'disable-tx-checksum'; readonly node: string; readonly device: string }
  /** Raise the conntrack table's size (doubled, bounded) and persist it. */
  | {
      readonly kind: 'raise-conntrack-max';
      readonly node: string;
      readonly from: number;
      readonly to: number;
    }
  /** Restart the node's Flannel pod so it re-adds the peers' entries it lacks; `peers` are checked after. */
  | {
      readonly kind: 'restart-flannel-peers';
      readonly node: string;
      readonly peers: readonly {
        readonly name: string;
        readonly subnet: string;
        readonly overlayAddress: string;
        readonly mac: string | undefined;
        readonly dst: string | undefined;
      }[];
    };
