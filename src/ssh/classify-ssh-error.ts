import { knownHostsName } from './known-hosts.js';
import { SshError } from './ssh-error.js';
import type { SshTarget } from './ssh-target.js';

/** Socket error codes that mean the node cannot be reached, not that SSH went wrong. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'ECONNRESET',
  'EHOSTDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * Turns a failed connect into a coded SshError. `keyRejected` says that our host verifier refused the
 * offered key: ssh2 then reports a generic handshake failure, which must not read as a network fault.
 */
export function classifyConnectError(
  target: SshTarget,
  error: unknown,
  keyRejected: boolean,
  connectTimeoutMs: number,
): SshError {
  const e = error as { code?: string; level?: string; message?: string };
  const message = e.message ?? String(error);
  if (keyRejected || /Host denied|verification failed/i.test(message)) {
    return new SshError(
      'host-key-mismatch',
      target.name,
      `the host key offered by ${knownHostsName(target.host, target.port)} is not the pinned one`,
    );
  }
  if (e.level === 'client-authentication' || /authentication methods failed/i.test(message)) {
    return new SshError('auth-failed', target.name, message);
  }
  if (e.level === 'client-timeout' || /Timed out while waiting for handshake/i.test(message)) {
    return new SshError(
      'node-unreachable',
      target.name,
      `timed out after ${connectTimeoutMs} ms waiting for the SSH handshake`,
    );
  }
  if ((e.code && UNREACHABLE.has(e.code)) || e.level === 'client-socket') {
    return new SshError('node-unreachable', target.name, `${e.code ?? 'socket error'}: ${message}`);
  }
  return new SshError('ssh-protocol', target.name, message);
}

/**
 * True when a channel that failed to open on an established connection means the link is gone (the
 * connection must be dropped so that the next call reconnects), rather than a refusal by the server.
 */
export function isLinkLost(error: Error, connectionClosed: boolean): boolean {
  return connectionClosed || /No response from server|Not connected|closed|ECONNRESET/i.test(error.message);
}

/** A channel that could not be opened: the node is unreachable when the link is gone. */
export function classifyChannelError(target: SshTarget, error: Error, linkLost: boolean): SshError {
  return new SshError(
    linkLost ? 'node-unreachable' : 'ssh-protocol',
    target.name,
    `cannot open a channel: ${error.message}`,
  );
}

/**
 * True when the server answered a channel open with SSH_MSG_CHANNEL_OPEN_FAILURE (ssh2 then sets a
 * numeric `reason`). OpenSSH does so at its MaxSessions limit ("open failed"). The command goes out
 * only after the channel is open, so a refused channel never started it and may be opened again;
 * a channel that opened and failed later is not this and must never be retried.
 */
export function isChannelRefused(error: Error): boolean {
  return typeof (error as { reason?: unknown }).reason === 'number';
}
