import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from './config-error.js';
import type { Inventory } from './inventory.js';
import { inventorySchema } from './inventory-schema.js';

/**
 * Loads and validates the inventory. Errors name the file, the line and the field path
 * (`inventory.yaml:7 nodes[1].host`) so the operator can go straight to the mistake.
 */
export async function loadInventory(filePath: string): Promise<Inventory> {
  const absolute = path.resolve(filePath);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'the file does not exist' : String(error);
    throw new ConfigError([
      `NETCHECK_INVENTORY=${filePath}: cannot read the inventory (${reason}); expected a YAML file as described in the README ("Inventory")`,
    ]);
  }
  return parseInventory(text, absolute);
}

export function parseInventory(text: string, absolutePath: string): Inventory {
  const display = path.basename(absolutePath);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => {
        const line = e.linePos?.[0]?.line;
        return `${display}${line ? `:${line}` : ''}: not valid YAML (${e.message.split('\n')[0]})`;
      }),
    );
  }
  const parsed = inventorySchema.safeParse(doc.toJS());
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => describeIssue(issue, doc.contents, lineCounter, display)),
    );
  }
  const raw = parsed.data;
  const problems: string[] = [];
  const seenNames = new Map<string, number>();
  const seenEndpoints = new Map<string, number>();
  raw.nodes.forEach((node, i) => {
    const firstName = seenNames.get(node.name);
    if (firstName !== undefined)
      problems.push(
        `${display} nodes[${i}].name: "${node.name}" is already used by nodes[${firstName}]; node names must be unique`,
      );
    else seenNames.set(node.name, i);
    const endpoint = `${node.host}:${node.port}`;
    const firstEndpoint = seenEndpoints.get(endpoint);
    if (firstEndpoint !== undefined)
      problems.push(
        `${display} nodes[${i}]: ${endpoint} is already used by nodes[${firstEndpoint}]; each node needs its own SSH endpoint`,
      );
    else seenEndpoints.set(endpoint, i);
  });
  const cp = raw.nodes.find((n) => n.role === 'control-plane');
  if (!cp)
    problems.push(
      `${display} nodes: no node has role: control-plane; expected at least one (the probes test the path to it)`,
    );
  if (problems.length > 0) throw new ConfigError(problems);

  const baseDir = path.dirname(absolutePath);
  const apiUrl = raw.cluster.apiServer ?? `https://${formatHost(cp!.host)}:6443`;
  const url = new URL(apiUrl);
  return {
    sourcePath: absolutePath,
    ssh: {
      user: raw.ssh.user,
      privateKeyPath: path.resolve(baseDir, raw.ssh.privateKeyPath),
      knownHostsPath: path.resolve(baseDir, raw.ssh.knownHostsPath),
    },
    cluster: {
      podNetworkCidr: raw.cluster.podNetworkCidr,
      apiServer: {
        url: apiUrl,
        host: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port ? Number(url.port) : 443,
      },
    },
    nodes: raw.nodes,
  };
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function describeIssue(issue: z.core.$ZodIssue, root: unknown, lines: LineCounter, display: string): string {
  const fieldPath = issue.path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`))
    .join('');
  const line = lineOf(root, issue.path, lines);
  const where = `${display}${line ? `:${line}` : ''}${fieldPath ? ` ${fieldPath}` : ''}`;
  if (issue.code === 'unrecognized_keys') {
    return `${where}: unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}; check the spelling against the README ("Inventory")`;
  }
  if (issue.code === 'invalid_type' && issue.message.includes('received undefined')) {
    return `${where}: missing; ${issue.expected === 'object' ? 'expected a section' : `expected a ${issue.expected}`}`;
  }
  return `${where}: ${issue.message}`;
}

/** Walks the YAML AST along a zod issue path to find the line of the offending value (or its nearest parent). */
function lineOf(root: unknown, issuePath: readonly PropertyKey[], lines: LineCounter): number | undefined {
  let node = root as Node | null | undefined;
  let best: number | undefined;
  const record = (n: Node | null | undefined) => {
    if (n?.range) best = lines.linePos(n.range[0]).line;
  };
  record(node);
  for (const key of issuePath) {
    if (isMap(node)) {
      const pair = node.items.find((item) => (item.key as { value?: unknown } | null)?.value === key);
      if (!pair) break;
      const keyNode = pair.key as Node | null;
      record(keyNode);
      node = pair.value as Node | null;
      record(node);
    } else if (isSeq(node) && typeof key === 'number') {
      node = node.items[key] as Node | null;
      record(node);
    } else {
      break;
    }
  }
  return best;
}
