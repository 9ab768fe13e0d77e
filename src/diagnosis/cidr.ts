/** Minimal IPv4 CIDR arithmetic for overlap and containment checks. */
export interface Ipv4Net {
  readonly base: number;
  readonly prefix: number;
}

export function parseIpv4(address: string): number | undefined {
  const parts = address.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = value * 256 + n;
  }
  return value;
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** Accepts "a.b.c.d/n" or a bare address (a /32). */
export function parseCidr(text: string): Ipv4Net | undefined {
  const [address, prefixText] = text.split('/');
  const ip = address ? parseIpv4(address) : undefined;
  const prefix = prefixText === undefined ? 32 : Number(prefixText);
  if (ip === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) return undefined;
  return { base: (ip & mask(prefix)) >>> 0, prefix };
}

export function cidrContains(net: Ipv4Net, address: number): boolean {
  return (address & mask(net.prefix)) >>> 0 === net.base;
}

export function cidrsOverlap(a: Ipv4Net, b: Ipv4Net): boolean {
  const prefix = Math.min(a.prefix, b.prefix);
  return (a.base & mask(prefix)) >>> 0 === (b.base & mask(prefix)) >>> 0;
}

export function formatCidr(net: Ipv4Net): string {
  const b = net.base;
  return `${b >>> 24}.${(b >>> 16) & 255}.${(b >>> 8) & 255}.${b & 255}/${net.prefix}`;
}
