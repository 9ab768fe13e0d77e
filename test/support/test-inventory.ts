import type { Inventory } from '../../src/config/inventory.js';

/**
 * A small inventory on benchmarking addresses: `cp-1` at 198.18.0.10 and each worker `node-N` at
 * 198.18.0.1N, in the order given (unit tests: nothing is ever connected to).
 */
export function testInventory(workers: readonly `node-${number}`[] = ['node-3']): Inventory {
  return {
    sourcePath: '/etc/netcheck/inventory.yaml',
    ssh: { user: 'netcheck', privateKeyPath: '/k', knownHostsPath: '/kh' },
    cluster: {
      podNetworkCidr: '10.244.0.0/16',
      apiServer: { url: 'https://198.18.0.10:6443', host: '198.18.0.10', port: 6443 },
    },
    nodes: [
      { name: 'cp-1', host: '198.18.0.10', port: 22, role: 'control-plane' },
      ...workers.map((name) => ({
        name,
        host: `198.18.0.1${name.slice('node-'.length)}`,
        port: 22,
        role: 'worker' as const,
      })),
    ],
  };
}
