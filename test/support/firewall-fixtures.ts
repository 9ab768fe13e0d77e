import { PROBE } from '../../src/probes/probe-registry.js';
import { fixture } from './facts-builder.js';

/** A ping that got no reply (iputils, exit 1). */
export const PING_LOST = { exitCode: 1, stdout: fixture('ping-timeout.txt') };

/** `nft -j list ruleset` with one table inet filter, its input chain (policy accept) holding `rules` (handles from 7). */
export const nftWith = (rules: object[]): string =>
  JSON.stringify({
    nftables: [
      { metainfo: { version: '1.0.6', json_schema_version: 1 } },
      { table: { family: 'inet', name: 'filter', handle: 1 } },
      {
        chain: {
          family: 'inet',
          table: 'filter',
          name: 'input',
          handle: 1,
          type: 'filter',
          hook: 'input',
          prio: 0,
          policy: 'accept',
        },
      },
      ...rules.map((expr, i) => ({
        rule: { family: 'inet', table: 'filter', chain: 'input', handle: 7 + i, expr },
      })),
    ],
  });

/** `icmp type echo-request drop`. */
export const ICMP_DROP = [
  { match: { op: '==', left: { payload: { protocol: 'icmp', field: 'type' } }, right: 'echo-request' } },
  { drop: null },
];

/** node-3's route, neighbour and FDB entry for cp-1's subnet (10.244.0.0/24), beside node-1's. */
export const CP_OVERLAY_ENTRIES = {
  [PROBE.routes]: {
    stdout: JSON.stringify([
      { dst: 'default', gateway: '198.18.0.1', dev: 'eth0', flags: [] },
      { dst: '198.18.0.0/24', dev: 'eth0', flags: [] },
      { dst: '10.244.3.0/24', dev: 'cni0', flags: [] },
      { dst: '10.244.0.0/24', gateway: '10.244.0.0', dev: 'flannel.1', flags: ['onlink'] },
      { dst: '10.244.1.0/24', gateway: '10.244.1.0', dev: 'flannel.1', flags: ['onlink'] },
    ]),
  },
  [PROBE.neigh]: {
    stdout: JSON.stringify([
      { dst: '10.244.0.0', lladdr: '5a:1e:8d:1c:11:00', state: ['PERMANENT'] },
      { dst: '10.244.1.0', lladdr: '5a:1e:8d:1c:11:01', state: ['PERMANENT'] },
    ]),
  },
  [PROBE.fdb]: {
    stdout: JSON.stringify([
      { mac: '5a:1e:8d:1c:11:00', dst: '198.18.0.10', flags: ['self'], state: 'permanent' },
      { mac: '5a:1e:8d:1c:11:01', dst: '198.18.0.11', flags: ['self'], state: 'permanent' },
    ]),
  },
};
