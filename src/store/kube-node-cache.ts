import type { Redis } from 'ioredis';
import type { KubeNode } from '../kube/kube-facts.js';
import type { NodeListCache } from '../kube/kube-gateway.js';
import { KEY_PREFIX } from './redis-keys.js';

/** The last node list the API server returned, so a report can still show podCIDRs when it is down. */
export class KubeNodeCache implements NodeListCache {
  private readonly key = `${KEY_PREFIX}:kube:nodes`;

  constructor(private readonly redis: Redis) {}

  async save(nodes: readonly KubeNode[], fetchedAt: string): Promise<void> {
    await this.redis.set(this.key, JSON.stringify({ nodes, fetchedAt }));
  }

  async load(): Promise<{ nodes: KubeNode[]; fetchedAt: string } | undefined> {
    const raw = await this.redis.get(this.key);
    if (!raw) return undefined;
    try {
      return JSON.parse(raw) as { nodes: KubeNode[]; fetchedAt: string };
    } catch {
      return undefined;
    }
  }
}
