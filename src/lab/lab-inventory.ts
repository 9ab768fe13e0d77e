import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { LabState } from './lab-state.js';

/** Writes the inventory, key and known_hosts (and a kubeconfig) the bot needs to reach the lab. */
export async function writeInventory(
  state: LabState,
  dir: string,
  /** Optional `zone:` per node name (NETCHECK_ZONE workers); nodes not named get none. */
  zones: Readonly<Record<string, string>> = {},
): Promise<{
  inventoryPath: string;
  privateKeyPath: string;
  knownHostsPath: string;
  kubeconfigPath: string;
}> {
  await mkdir(dir, { recursive: true });
  const privateKeyPath = path.join(dir, 'id_ed25519');
  const knownHostsPath = path.join(dir, 'known_hosts');
  const kubeconfigPath = path.join(dir, 'kubeconfig');
  await writeFile(privateKeyPath, await readFile(state.privateKeyPath), { mode: 0o600 });
  await writeFile(knownHostsPath, await readFile(state.knownHostsPath));
  await writeFile(kubeconfigPath, await readFile(state.kubeconfigPath), { mode: 0o600 });
  const inventoryPath = path.join(dir, 'inventory.yaml');
  const nodes = state.nodes
    .map(
      (n) =>
        `  - { name: ${n.name}, host: ${n.host}, port: 22, role: ${n.role}${zones[n.name] ? `, zone: ${zones[n.name]}` : ''} }`,
    )
    .join('\n');
  await writeFile(
    inventoryPath,
    `# netcheck lab "${state.labId}" (198.18.${state.netIndex}.0/24) — written by \`netcheck lab inventory\`
ssh:
  user: root
  privateKeyPath: ${privateKeyPath}
  knownHostsPath: ${knownHostsPath}
cluster:
  podNetworkCidr: 10.244.0.0/16
  apiServer: ${state.apiServer}
nodes:
${nodes}
`,
  );
  return { inventoryPath, privateKeyPath, knownHostsPath, kubeconfigPath };
}
