/**
 * Secrets never leave the worker. Everything bound for Slack, the logs or the audit log passes
 * through here: kubeadm bootstrap tokens and discovery hashes, certificate keys, PEM private keys,
 * passwords, bearer tokens, Slack tokens and the credentials in URLs (a REDIS_URL with a password).
 */
import { maskCredentials } from '../core/mask-credentials.js';

const PATTERNS: readonly [RegExp, string][] = [
  [
    /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g,
    '[redacted private key]',
  ],
  [/\b[a-z0-9]{6}\.[a-z0-9]{16}\b/g, '[redacted token]'],
  [/sha256:[0-9a-fA-F]{64}/g, 'sha256:[redacted]'],
  [/(--certificate-key[= ])[0-9a-fA-F]{64}/g, '$1[redacted]'],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 [redacted]'],
  [/\bxox[abposr]-[A-Za-z0-9-]{6,}/g, 'xox?-[redacted]'],
  [/\bxapp-[A-Za-z0-9-]{6,}/g, 'xapp-[redacted]'],
  [/\b((?:pass(?:word|wd)?|secret|token|api[_-]?key)["']?\s*[:=]\s*["']?)[^\s"',;]+/gi, '$1[redacted]'],
];

export function redactSecrets(text: string): string {
  let out = maskCredentials(text);
  for (const [re, replacement] of PATTERNS) out = out.replace(re, replacement);
  return out;
}

/** Redacts every string inside a JSON-like value; keys that name a secret lose their value whole. */
export function redactDeep<T>(value: T): T {
  return walk(value) as T;
}

const SECRET_KEY =
  /^(password|passwd|secret|token|privateKey|private_key|authorization|bearer|apiToken|joinCommand)$/i;

function walk(value: unknown): unknown {
  if (typeof value === 'string') return redactSecrets(value);
  if (Array.isArray(value)) return value.map(walk);
  if (value && typeof value === 'object' && !(value instanceof Error)) {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [
        k,
        SECRET_KEY.test(k) && typeof v === 'string' ? '[redacted]' : walk(v),
      ]),
    );
  }
  if (value instanceof Error) return { type: value.name, message: redactSecrets(value.message) };
  return value;
}
