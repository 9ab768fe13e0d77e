import type { Inventory } from '../config/inventory.js';

/**
 * Which zone a node's jobs go to (the inventory's optional `zone:`); undefined: the default queue.
 * Both kinds of node jobs (probe runs and approved plans) follow it, so a zone's nodes are only ever
 * touched by workers started for that zone (NETCHECK_ZONE).
 */
export interface ZoneRouting {
  zoneOf(node: string): string | undefined;
}

export function zoneRouting(inventory: Pick<Inventory, 'nodes'>): ZoneRouting {
  const zones = new Map(inventory.nodes.map((n) => [n.name, n.zone]));
  return { zoneOf: (node) => zones.get(node) };
}

/**
 * The BullMQ queue of a zone: `<base>@<zone>` (zone names are [a-z0-9-], so never a ':' that
 * BullMQ refuses in a name); without a zone, the base queue as before zones existed.
 */
export function zoneQueueName(base: string, zone: string | undefined): string {
  return zone ? `${base}@${zone}` : base;
}

/** The inventory nodes of a zone, in inventory order; undefined: the nodes without a zone. */
export function zoneNodes(inventory: Pick<Inventory, 'nodes'>, zone: string | undefined): string[] {
  return inventory.nodes.filter((n) => n.zone === zone).map((n) => n.name);
}
