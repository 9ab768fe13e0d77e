import type { Inventory } from '../../config/inventory.js';
import type { InventoryNode } from '../../config/inventory-schema.js';
import { closeMatches, isDns1123Subdomain } from '../../config/node-name.js';
import { escapeMrkdwn } from '../blocks/mrkdwn.js';
import { parseMesh } from './parse-mesh.js';

export type ParsedCommand =
  | { readonly kind: 'help' }
  | { readonly kind: 'check'; readonly node: InventoryNode }
  /** `/netcheck preflight <node>`: a node about to join. */
  | { readonly kind: 'preflight'; readonly node: InventoryNode }
  | { readonly kind: 'mesh'; readonly nodes: readonly InventoryNode[] }
  | { readonly kind: 'invalid'; readonly message: string };

export const USAGE = [
  '*netcheck* finds out why a Kubernetes node lost its network (Flannel on kubeadm), over SSH.',
  '• `/netcheck <node>` — diagnose one node, e.g. `/netcheck node-3`. The report arrives in a thread.',
  '• `/netcheck preflight <node>` — before `kubeadm join`: check a node that is not in the cluster yet (prerequisites, and the paths it needs both ways).',
  '• `/netcheck mesh` — every node probes every other (underlay, overlay, API server): a heatmap, the culprits, and their diagnosis. `/netcheck mesh <node> <node> …` for a subset.',
  '• `/netcheck help` — this message.',
  'Nothing is changed on any node without a button click (and a second person for destructive fixes).',
].join('\n');

function shown(text: string): string {
  return `"${escapeMrkdwn(text.length > 80 ? `${text.slice(0, 80)}…` : text)}"`;
}

/** Pure: turns the slash-command text into what to do. Nothing typed here ever reaches a shell. */
export function parseCommand(text: string, inventory: Inventory): ParsedCommand {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed.toLowerCase() === 'help') return { kind: 'help' };
  const names = inventory.nodes.map((n) => n.name);
  const known = `Known nodes: ${names.map((n) => `\`${n}\``).join(', ')}.`;
  const suggest = (input: string) => {
    const matches = closeMatches(input, names);
    return matches.length > 0 ? ` Did you mean ${matches.map((m) => `\`${m}\``).join(' or ')}?` : '';
  };
  const words = trimmed.split(/\s+/);
  // `mesh` is a subcommand, also when a node happens to be called "mesh" (`/netcheck mesh mesh x` checks it in a mesh).
  if (words[0] === 'mesh') return parseMesh(words.slice(1), inventory);
  // A node really named "preflight" is still checked with `/netcheck preflight`.
  if (words[0]?.toLowerCase() === 'preflight' && !(words.length === 1 && names.includes('preflight'))) {
    const parsed = words.length === 2 ? parseCommand(words[1]!, inventory) : undefined;
    if (parsed?.kind === 'check') return { kind: 'preflight', node: parsed.node };
    if (parsed?.kind === 'invalid') return parsed;
    return {
      kind: 'invalid',
      message: `:warning: preflight takes one node name, e.g. \`/netcheck preflight node-4\`. Nothing was run. ${known}`,
    };
  }
  if (words.length > 1 || !isDns1123Subdomain(trimmed)) {
    const reason =
      words.length > 1
        ? 'netcheck checks one node at a time and takes no other arguments'
        : 'a node name is a DNS-1123 name: lowercase letters, digits, "-" and "."';
    return {
      kind: 'invalid',
      message: `:warning: ${shown(trimmed)} is not a node name (${reason}). Nothing was run.${suggest(words[0] ?? trimmed)} ${known}`,
    };
  }
  const node = inventory.nodes.find((n) => n.name === trimmed);
  if (!node) {
    return {
      kind: 'invalid',
      message: `:warning: There is no node ${shown(trimmed)} in the inventory. Nothing was run.${suggest(trimmed)} ${known}`,
    };
  }
  return { kind: 'check', node };
}
