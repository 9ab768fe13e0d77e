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
