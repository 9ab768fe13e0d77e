import type { InventoryNode } from './inventory-schema.js';

/** The validated inventory, with paths made absolute and the API server endpoint resolved. */
export interface Inventory {
  readonly sourcePath: string;
  readonly ssh: { readonly user: string; readonly privateKeyPath: string; readonly knownHostsPath: string };
  readonly cluster: {
    readonly podNetworkCidr: string;
    readonly apiServer: { readonly url: string; readonly host: string; readonly port: number };
  };
  readonly nodes: readonly InventoryNode[];
}

export function findNode(inventory: Inventory, name: string): InventoryNode | undefined {
  return inventory.nodes.find((n) => n.name === name);
}

/** The node netcheck treats as "the control plane" when probing from a worker. */
export function controlPlaneNode(inventory: Inventory): InventoryNode {
  const cp = inventory.nodes.find((n) => n.role === 'control-plane');
  if (!cp) throw new Error('inventory has no control-plane node (validated at load time)');
  return cp;
}
