/** How a TCP connect() ended, from the errno's symbolic name (POSIX names: no wording, no locale). */
export type ConnectOutcome = 'connected' | 'refused' | 'timeout' | 'unreachable';

/**
 * The errno names that say something about the path. ECONNREFUSED is a RST (or an ICMP
 * port-unreachable, which a REJECT rule sends by default: the socket cannot tell them apart).
 * EACCES and EINVAL are what a `prohibit` and a `blackhole` route give, EPERM a local firewall.
 * Anything else (EMFILE, EADDRNOTAVAIL, …) is about the node itself, not the path: undefined.
 */
const BY_ERRNO: Readonly<Record<string, ConnectOutcome>> = {
  ok: 'connected',
  ECONNREFUSED: 'refused',
  ETIMEDOUT: 'timeout',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
  EHOSTDOWN: 'unreachable',
  ENETDOWN: 'unreachable',
  EACCES: 'unreachable',
  EPERM: 'unreachable',
  EINVAL: 'unreachable',
};

export function connectOutcome(errnoName: string): ConnectOutcome | undefined {
  return Object.hasOwn(BY_ERRNO, errnoName) ? BY_ERRNO[errnoName] : undefined;
}

/** The `tcp-connect <name>` line printed by TCP_CONNECT_PERL, if the output has one. */
export function connectLine(stdout: string): string | undefined {
  return /^tcp-connect (\S+)\s*$/m.exec(stdout)?.[1];
}
