import type { IncomingMessage } from 'node:http';

/** Reading what a Slack Web API client sends the stand-in: form or JSON bodies, JSON-in-a-field values. */

export function asArray(value: unknown): unknown[] {
  const parsed = typeof value === 'string' ? safeJson(value) : value;
  return Array.isArray(parsed) ? parsed : [];
}

export function asObject(value: unknown): Record<string, unknown> | undefined {
  const parsed = typeof value === 'string' ? safeJson(value) : value;
  return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined;
}

export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function parseParams(raw: string, contentType: string): Record<string, unknown> {
  if (contentType.includes('application/json')) return (safeJson(raw) as Record<string, unknown>) ?? {};
  return Object.fromEntries(new URLSearchParams(raw));
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
