import type { Inventory } from '../../config/inventory.js';
import type { InventoryNode } from '../../config/inventory-schema.js';
import { closeMatches, isDns1123Subdomain } from '../../config/node-name.js';
import { escapeMrkdwn } from '../blocks/mrkdwn.js';

export type ParsedMesh =
  | { readonly kind: 'mesh'; readonly nodes: readonly InventoryNode[] }
  | { readonly kind: 'invalid'; readonly message: string };

/** Nodes per mesh: the lab and the bench go to 200; beyond that a mesh is not one thread's picture. */
export const MESH_MAX_NODES = 200;

/**
 * Pure: `/netcheck mesh` (every inventory node) or `/netcheck mesh <node> <node> …` (a subset of at
 * least two, in the order given, repeats dropped). Every name must be an inventory node; an unknown
 * one is refused with the list of valid names. Nothing typed here ever reaches a shell.
 */
export function parseMesh(args: readonly string[], inventory: Inventory): ParsedMesh {
  const names = inventory.nodes.map((n) => n.name);
  const known = `Valid nodes: ${names.map((n) => `\`${n}\``).join(', ')}.`;
  const shown = (t: string) => `"${escapeMrkdwn(t.length > 60 ? `${t.slice(0, 60)}…` : t)}"`;
  const nodes =
    args.length === 0
      ? [...inventory.nodes]
      : [...new Set(args)].map((a) => inventory.nodes.find((n) => n.name === a) ?? a);
  const unknown = nodes.filter((n): n is string => typeof n === 'string');
  if (unknown.length > 0) {
    const hints = unknown
      .slice(0, 3)
      .flatMap((u) => {
        const m = isDns1123Subdomain(u) ? closeMatches(u, names) : [];
        return m.length > 0 ? [`${shown(u)} → did you mean ${m.map((x) => `\`${x}\``).join(' or ')}?`] : [];
      })
      .join(' ');
    return {
      kind: 'invalid',
      message: `:warning: /netcheck mesh: not in the inventory: ${unknown.slice(0, 10).map(shown).join(', ')}${unknown.length > 10 ? ` and ${unknown.length - 10} more` : ''}. Nothing was run. ${hints ? `${hints} ` : ''}${known}`,
    };
  }
  const valid = nodes as InventoryNode[];
  if (valid.length < 2)
    return {
      kind: 'invalid',
      message: `:warning: /netcheck mesh needs at least two nodes (it probes every node from every other). Nothing was run. ${known}`,
    };
  if (valid.length > MESH_MAX_NODES)
    return {
      kind: 'invalid',
      message: `:warning: /netcheck mesh takes at most ${MESH_MAX_NODES} nodes; name a subset: \`/netcheck mesh <node> <node> …\`. Nothing was run.`,
    };
  return { kind: 'mesh', nodes: valid };
}
