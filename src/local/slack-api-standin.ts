import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { FakeFiles } from './slack-files-standin.js';
import { asArray, asObject, parseParams, readBody } from './slack-request-body.js';
import type { FakeMessage, InjectedFailure, RecordedCall } from './slack-standin-records.js';

export type { FakeMessage, InjectedFailure, RecordedCall } from './slack-standin-records.js';

/**
 * Used by the tests and by the local mode's console (src/local/local-mode.ts).
 *
 * A local stand-in for the Slack Web API (https://slack.com/api/…): records every call, keeps the
 * messages it was sent (threads, edits, metadata), and can fail on demand (429 with Retry-After,
 * 500, ok:false errors). Requests are parsed the way Slack parses them: form-encoded or JSON.
 */
export class FakeSlack extends EventEmitter {
  readonly calls: RecordedCall[] = [];
  readonly messages: FakeMessage[] = [];
  /** Slack's external file uploads (files.getUploadURLExternal, the upload URL, completeUploadExternal). */
  readonly files = new FakeFiles();
  private readonly failures = new Map<string, InjectedFailure[]>();
  private server: Server | undefined;
  /** User groups (`S…` id → member ids) that usergroups.users.list answers with. */
  readonly userGroups = new Map<string, string[]>();
  /** Set to a ws:// URL to answer apps.connections.open (Socket Mode). */
  socketUrl: string | undefined;
  private clock = 1_700_000_000;
  private seq = 0;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        res.writeHead(500);
        res.end(String(error));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/api/`;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = undefined;
  }

  /** The next `count` calls of `method` fail this way. */
  failNext(method: string, failure: InjectedFailure, count = 1): void {
    const queue = this.failures.get(method) ?? [];
    for (let i = 0; i < count; i++) queue.push(failure);
    this.failures.set(method, queue);
  }

  /** Slack is healthy again: forget every queued failure. */
  clearFailures(): void {
    this.failures.clear();
    this.downChannels.clear();
  }

  /** Every chat.postMessage to these channels answers 500 until clearFailures(); `applied`: it posts anyway. */
  readonly downChannels = new Map<string, { applied: boolean }>();

  /**
   * Tests: a call of this method waits for its gate before Slack acts on it (a slow Slack). Slack
   * still acts on it if the caller gave up meanwhile, as the real one does.
   */
  readonly gates = new Map<string, (params: Record<string, unknown>) => Promise<void>>();

  callsOf(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  topLevel(channel?: string): FakeMessage[] {
    return this.messages.filter((m) => !m.threadTs && (!channel || m.channel === channel));
  }

  replies(parentTs: string): FakeMessage[] {
    return this.messages.filter((m) => m.threadTs === parentTs);
  }

  /** Resolves when `predicate` holds, re-checking on every call the fake receives; rejects after `timeoutMs`. */
  waitFor<T>(predicate: () => T | undefined | false, timeoutMs = 20_000, what = 'condition'): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const value = predicate();
        if (value) {
          cleanup();
          resolve(value);
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(
            `fake Slack: timed out after ${timeoutMs} ms waiting for ${what}; calls so far: ${this.calls.map((c) => `${c.method}=${c.outcome}`).join(', ')}`,
          ),
        );
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.off('call', check);
      };
      this.on('call', check);
      check();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (await this.handleFileUrl(req, res)) return;
    const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0] ?? '';
    const raw = await readBody(req);
    const params = parseParams(raw, req.headers['content-type'] ?? '');
    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice(7) : (params.token as string | undefined);
    await this.gates.get(method)?.(params);

    const down =
      method === 'chat.postMessage' ? this.downChannels.get(String(params.channel ?? '')) : undefined;
    const failure = down
      ? { status: 500 as const, applied: down.applied }
      : this.failures.get(method)?.shift();
    if (failure && 'status' in failure && failure.status === 500 && failure.applied) {
      const { outcome } = this.answer(method, params);
      this.record({ method, params, token, outcome: `applied-then-http-500 (${outcome})` });
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('upstream trouble');
      return;
    }
    if (failure) {
      const outcome = 'status' in failure ? `http-${failure.status}` : failure.error;
      this.record({ method, params, token, outcome });
      if ('status' in failure && failure.status === 429) {
        res.writeHead(429, { 'retry-after': String(failure.retryAfter), 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
      } else if ('status' in failure) {
        res.writeHead(failure.status, { 'content-type': 'text/plain' });
        res.end('upstream trouble');
      } else {
        this.json(res, { ok: false, error: failure.error });
      }
      return;
    }
    const { body, outcome } = this.answer(method, params);
    this.record({ method, params, token, outcome });
    this.json(res, body);
  }

  /** The upload URL (POST bytes) and the file URL (GET bytes), outside /api/ as at Slack. */
  private handleFileUrl(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    return this.files.serve(req, res, (id, ok) =>
      this.record({
        method: 'upload',
        params: { file: id },
        token: undefined,
        outcome: ok ? 'ok' : 'not_found',
      }),
    );
  }

  private record(call: RecordedCall): void {
    // Bounded: the local mode runs for hours; tests never come near this.
    if (this.calls.length >= 10_000) this.calls.splice(0, 1000);
    this.calls.push(call);
    this.emit('call', call);
  }

  private json(res: ServerResponse, body: unknown): void {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private wire(m: FakeMessage): Record<string, unknown> {
    const base = this.url.replace(/api\/$/, '');
    return {
      ts: m.ts,
      thread_ts: m.threadTs,
      text: m.text,
      blocks: m.blocks,
      metadata: m.metadata,
      ...(m.files ? { files: m.files.map((f) => this.files.wire(f, base)) } : {}),
    };
  }

  private nextTs(): string {
    this.seq += 1;
    return `${this.clock}.${String(this.seq).padStart(6, '0')}`;
  }

  private answer(
    method: string,
    p: Record<string, unknown>,
  ): { body: Record<string, unknown>; outcome: string } {
    const okBody = (extra: Record<string, unknown>) => ({ body: { ok: true, ...extra }, outcome: 'ok' });
    const fail = (error: string) => ({ body: { ok: false, error }, outcome: error });
    switch (method) {
      case 'auth.test':
        return okBody({
          url: 'https://lab.slack.invalid/',
          team: 'lab',
          user: 'netcheck',
          team_id: 'T0001',
          user_id: 'U0NETCHECK',
          bot_id: 'B0NETCHECK',
        });
      case 'chat.postMessage': {
        const channel = String(p.channel ?? '');
        if (!channel) return fail('channel_not_found');
        const threadTs = p.thread_ts ? String(p.thread_ts) : undefined;
        if (threadTs && !this.messages.some((m) => m.ts === threadTs && m.channel === channel))
          return fail('thread_not_found');
        const message: FakeMessage = {
          channel,
          ts: this.nextTs(),
          threadTs,
          text: String(p.text ?? ''),
          blocks: asArray(p.blocks),
          metadata: asObject(p.metadata) as FakeMessage['metadata'],
          edits: 0,
        };
        this.messages.push(message);
        return okBody({ channel, ts: message.ts, message: { text: message.text, ts: message.ts } });
      }
      case 'chat.update': {
        const message = this.messages.find((m) => m.channel === p.channel && m.ts === p.ts);
        if (!message) return fail('message_not_found');
        message.text = String(p.text ?? '');
        message.blocks = asArray(p.blocks);
        message.edits += 1;
        return okBody({ channel: message.channel, ts: message.ts });
      }
      case 'chat.getPermalink': {
        const message = this.messages.find((m) => m.channel === p.channel && m.ts === p.message_ts);
        if (!message) return fail('message_not_found');
        return okBody({
          channel: message.channel,
          permalink: `https://lab.slack.invalid/archives/${message.channel}/p${message.ts.replace('.', '')}`,
        });
      }
      case 'chat.postEphemeral':
        return p.channel && p.user ? okBody({ message_ts: this.nextTs() }) : fail('channel_not_found');
      case 'usergroups.users.list': {
        const members = this.userGroups.get(String(p.usergroup ?? ''));
        return members ? okBody({ users: [...members] }) : fail('no_such_subteam');
      }
      case 'apps.connections.open':
        return this.socketUrl ? okBody({ url: this.socketUrl }) : fail('not_allowed_token_type');
      case 'files.getUploadURLExternal':
      case 'files.completeUploadExternal': {
        const answer = this.files.answer(method, p, this.url.replace(/api\/$/, ''), {
          threadExists: (channel, ts) => this.messages.some((m) => m.ts === ts && m.channel === channel),
          share: (channel, threadTs, text, files) => {
            const ts = this.nextTs();
            this.messages.push({
              channel,
              ts,
              threadTs,
              text,
              blocks: [],
              metadata: undefined,
              edits: 0,
              files,
            });
            return ts;
          },
        });
        return 'error' in answer ? fail(answer.error) : okBody(answer.body);
      }
      case 'conversations.history':
        return okBody({
          messages: this.topLevel(String(p.channel))
            .reverse()
            .map((m) => this.wire(m)),
          has_more: false,
        });
      case 'conversations.replies': {
        const parent = this.messages.find((m) => m.ts === p.ts && m.channel === p.channel);
        if (!parent) return fail('thread_not_found');
        return okBody({
          messages: [parent, ...this.replies(parent.ts)].map((m) => this.wire(m)),
          has_more: false,
        });
      }
      default:
        return fail('unknown_method');
    }
  }
}
