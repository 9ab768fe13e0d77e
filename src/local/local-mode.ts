import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { maskCredentials } from '../core/mask-credentials.js';
import { labDown, labUp, writeInventory } from '../lab/lab.js';
import { startNetcheck } from '../main.js';
import { consoleRequestProblem } from './console-guard.js';
import { CONSOLE_PAGE } from './console-page.js';
import { startRedis } from './redis-server.js';
import { FakeSlack } from './slack-api-standin.js';
import { postButtonClick, postSlashCommand } from './slack-signing.js';

export const LOCAL_CHANNEL = 'C0INCIDENT';
export const LOCAL_AUDIT_CHANNEL = 'C0AUDIT';
export const LOCAL_USERS = [
  { id: 'U0REQUESTER', name: 'alice (on call, requester)' },
  { id: 'U0APPROVER', name: 'bob (approver)' },
  { id: 'U0VISITOR', name: 'carol (neither)' },
] as const;
const LOCAL_LAB = { labId: 'nclocal', netIndex: 90 };

export interface LocalModeOptions {
  readonly env: NodeJS.ProcessEnv;
  /** Console port; 0 picks a free one. */
  readonly port: number;
  readonly logger: Logger;
  readonly say: (line: string) => void;
  /** Lab id/network for this run (tests use their own). */
  readonly lab?: { labId: string; netIndex: number };
}

export interface LocalMode {
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * `npm start` without Slack tokens: everything netcheck needs, on this machine. A local Slack Web
 * API stand-in receives the bot's calls, a console page stands in for the Slack client and signs
 * what the user does exactly as Slack would, so the bot runs its production code path. Redis and the
 * lab are started when they are not given; stop() removes everything it started.
 */
export async function startLocalMode(opts: LocalModeOptions): Promise<LocalMode> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const fn of cleanups.reverse()) await fn().catch((e: unknown) => opts.say(`cleanup: ${String(e)}`));
  };
  try {
    const dir = await mkdtemp(path.join(tmpdir(), 'netcheck-local-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));

    let redisUrl = opts.env.REDIS_URL;
    if (redisUrl) opts.say(`Redis: ${maskCredentials(redisUrl)} (REDIS_URL)`);
    else {
      const redis = await startRedis({ dir });
      cleanups.push(() => redis.stop());
      redisUrl = redis.url;
      opts.say(`Redis: started redis-server on ${redis.url} (data in ${dir}, removed on exit)`);
    }

    let files: { inventoryPath: string; kubeconfigPath?: string };
    const lab = opts.lab ?? LOCAL_LAB;
    if (process.platform === 'linux' && process.getuid?.() === 0) {
      const state = await labUp({ ...lab, faults: [{ id: 'icmp-blocked', node: 'cp-1' }] });
      cleanups.push(() => labDown({ labId: lab.labId }));
      files = await writeInventory(state, dir);
      opts.say(
        `Lab: ${state.nodes.length} nodes in network namespaces (${state.nodes.map((n) => n.name).join(', ')}), fault injected: icmp-blocked on cp-1`,
      );
    } else {
      const inventoryPath = opts.env.NETCHECK_INVENTORY ?? './inventory.yaml';
      if (!existsSync(inventoryPath))
        throw new Error(
          `local mode needs either root on Linux (to build the lab) or an inventory: ${inventoryPath} does not exist; set NETCHECK_INVENTORY`,
        );
      files = { inventoryPath, kubeconfigPath: opts.env.KUBECONFIG };
      opts.say(`Inventory: ${inventoryPath} (not root, so no lab)`);
    }

    const slack = new FakeSlack();
    await slack.start();
    cleanups.push(() => slack.stop());
    const signingSecret = randomBytes(24).toString('hex');
    const app = await startNetcheck(
      {
        SLACK_BOT_TOKEN: 'xoxb-local-console',
        SLACK_SIGNING_SECRET: signingSecret,
        SLACK_API_URL: slack.url,
        PORT: '0',
        REDIS_URL: redisUrl,
        NETCHECK_INVENTORY: files.inventoryPath,
        NETCHECK_ROLE: 'all',
        NETCHECK_APPROVERS: 'U0APPROVER',
        NETCHECK_CHANNELS: LOCAL_CHANNEL,
        // One process holds both roles here, so it holds the plan key: a fresh one per start.
        NETCHECK_PLAN_KEY: randomBytes(32).toString('hex'),
        NETCHECK_AUDIT_CHANNEL: LOCAL_AUDIT_CHANNEL,
        ...(files.kubeconfigPath ? { KUBECONFIG: files.kubeconfigPath } : {}),
      },
      { logger: opts.logger },
    );
    cleanups.push(() => app.stop());
    const appUrl = `http://127.0.0.1:${app.port}`;

    const ephemerals: { user: string; text: string }[] = [];
    let boundPort = opts.port;
    const server = createServer((req, res) => {
      const send = (status: number, body: unknown, type = 'application/json') => {
        res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
        res.end(typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body));
      };
      handle(req)
        .then(([status, body, type]) => send(status, body, type))
        .catch((error: unknown) => send(500, { error: (error as Error).message }));
    });
    const handle = async (req: IncomingMessage): Promise<[number, unknown, string?]> => {
      const problem = consoleRequestProblem(req, boundPort);
      if (problem) return [403, { error: problem }];
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (req.method === 'GET' && url.pathname === '/')
        return [200, CONSOLE_PAGE, 'text/html; charset=utf-8'];
      if (req.method === 'GET' && url.pathname === '/console/state')
        return [
          200,
          {
            users: LOCAL_USERS,
            channel: LOCAL_CHANNEL,
            auditChannel: LOCAL_AUDIT_CHANNEL,
            // Files as the page needs them (id, name, title): their bytes come from /console/files/<id>.
            messages: slack.messages.map((m) => ({
              ...m,
              files: m.files?.map((f) => ({ id: f.id, filename: f.filename, title: f.title })),
            })),
            ephemerals: [
              ...ephemerals,
              ...slack
                .callsOf('chat.postEphemeral')
                .map((c) => ({ user: String(c.params.user), text: String(c.params.text) })),
            ],
          },
        ];
      // A file shared into a thread (the mesh heatmap, its CSV), served from the Slack stand-in.
      const file = /^\/console\/files\/(F[0-9]+)$/.exec(url.pathname);
      if (req.method === 'GET' && file) {
        const shared = slack.files.files.get(file[1]!);
        if (!shared?.bytes) return [404, { error: 'no such file' }];
        return [
          200,
          shared.bytes,
          shared.filename.endsWith('.png') ? 'image/png' : 'text/csv; charset=utf-8',
        ];
      }
      if (req.method !== 'POST') return [404, { error: 'not found' }];
      const body = await readJson(req);
      const user = String(body.user ?? '');
      if (!LOCAL_USERS.some((u) => u.id === user)) return [400, { error: `unknown user "${user}"` }];
      if (url.pathname === '/console/command') {
        const answer = await postSlashCommand(appUrl, signingSecret, {
          text: String(body.text ?? ''),
          user_id: user,
          channel_id: LOCAL_CHANNEL,
        });
        // An ack with a body is what Slack shows the user as an ephemeral message.
        if (answer.body) ephemerals.push({ user, text: ackText(answer.body) });
        return [200, { status: answer.status }];
      }
      if (url.pathname === '/console/action') {
        const answer = await postButtonClick(appUrl, signingSecret, {
          actionId: String(body.actionId ?? ''),
          value: String(body.value ?? ''),
          user,
          channel: LOCAL_CHANNEL,
          messageTs: String(body.messageTs ?? ''),
        });
        return [200, { status: answer.status }];
      }
      return [404, { error: 'not found' }];
    };
    await listen(server, opts.port);
    cleanups.push(() => closeServer(server));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : opts.port;
    boundPort = port;
    const url = `http://localhost:${port}`;
    opts.say(
      `Console: ${url} — type /netcheck node-3, pick who you are at the top. Ctrl-C stops everything.`,
    );
    return { url, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function ackText(body: string): string {
  try {
    return String((JSON.parse(body) as { text?: string }).text ?? body);
  } catch {
    return body;
  }
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 64 * 1024) throw new Error('request too large');
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new Error('expected a JSON body');
  }
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`port ${port} is in use; set PORT to another port for the local console`)
          : error,
      ),
    );
    // Loopback only: the console can approve fixes, so it is not offered to the network.
    server.listen(port, '127.0.0.1', () => resolve());
  });
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
