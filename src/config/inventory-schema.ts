import { z } from 'zod';
import { isDns1123Subdomain } from './node-name.js';

const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*$/;

export const hostSchema = z
  .string()
  .refine((h) => z.ipv4().safeParse(h).success || z.ipv6().safeParse(h).success || HOSTNAME.test(h), {
    message: 'expected an IPv4/IPv6 address or a DNS host name',
  });

/**
 * A zone names where a node is (a rack, a site, a cloud zone): workers started with NETCHECK_ZONE
 * take only that zone's jobs. Short and plain, because it becomes part of a BullMQ queue name.
 */
export const ZONE_PATTERN = /^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/;
export const ZONE_HINT = 'expected a zone name of 1-32 lowercase letters, digits and "-" (such as rack-b)';
export const zoneSchema = z.string().regex(ZONE_PATTERN, ZONE_HINT);

export const nodeRoleSchema = z.enum(['control-plane', 'worker']);

export const inventoryNodeSchema = z.strictObject({
  name: z.string().refine(isDns1123Subdomain, {
    message: 'expected a DNS-1123 node name (lowercase letters, digits, "-" and ".")',
  }),
  host: hostSchema,
  port: z.number().int().min(1).max(65535).default(22),
  role: nodeRoleSchema,
  /** Optional: without it the node's jobs go to the default queue, which any worker without NETCHECK_ZONE takes. */
  zone: zoneSchema.optional(),
});

export const inventorySchema = z.strictObject({
  ssh: z.strictObject({
    user: z.string().regex(/^[a-z_][a-z0-9_-]*$/, 'expected a Unix user name'),
    privateKeyPath: z.string().min(1, 'expected a path to the SSH private key'),
    knownHostsPath: z.string().min(1, 'expected a path to an OpenSSH known_hosts file'),
  }),
  cluster: z.strictObject({
    podNetworkCidr: z.cidrv4('expected an IPv4 CIDR such as 10.244.0.0/16'),
    apiServer: z
      .url({ protocol: /^https$/, error: 'expected an https:// URL such as https://198.18.0.10:6443' })
      .optional(),
  }),
  nodes: z.array(inventoryNodeSchema).min(1, 'expected at least one node'),
});

export type InventoryFile = z.infer<typeof inventorySchema>;
export type InventoryNode = z.infer<typeof inventoryNodeSchema>;
export type NodeRole = z.infer<typeof nodeRoleSchema>;
