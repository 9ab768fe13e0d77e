import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { type WebSocket, WebSocketServer } from 'ws';
import { type Netcheck, startNetcheck } from '../../src/main.js';
import { FakeSlack } from '../support/fake-slack.js';
import { startRedis, type TestRedis } from '../support/redis-server.js';

const INVENTORY = `ssh: { user: root, privateKeyPath: ./k, knownHostsPath: ./h }
cluster: { podNetworkCidr: 10.244.0.0/16 }
nodes:
  - { name: cp-1, host: 198.18.0.10, role: control-plane }
  - { name: node-3, host: 198.18.0.13, role: worker }
`;

/** With SLACK_APP_TOKEN set the bot uses Socket Mode: a local WebSocket server stands in for Slack's. */
describe('Socket Mode', () => {
  let dir: string;
  let redis: TestRedis;
  let slack: FakeSlack;
  let wss: WebSocketServer;
  let app: Netcheck;
  const connected: WebSocket[] = [];

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'netcheck-socket-'));
    await writeFile(path.join(dir, 'inventory.yaml'), INVENTORY);
    redis = await startRedis();
    slack = new FakeSlack();
    await slack.start();
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(wss, 'listening');
    const address = wss.address();
    slack.socketUrl = `ws://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/link`;
    wss.on('connection', (socket) => {
      connected.push(socket);
      socket.send(
        JSON.stringify({ type: 'hello', num_connections: 1, connection_info: { app_id: 'A0NETCHECK' } }),
      );
    });
    app = await startNetcheck(
      {
        NETCHECK_ROLE: 'bot',
        SLACK_BOT_TOKEN: 'xoxb-test',
        SLACK_APP_TOKEN: 'xapp-test',
        SLACK_API_URL: slack.url,
        PORT: '0',
        REDIS_URL: redis.url,
        NETCHECK_INVENTORY: path.join(dir, 'inventory.yaml'),
      },
      { logger: pino({ level: process.env.NETCHECK_TEST_LOG ?? 'silent' }) },
    );
  });

  after(async () => {
    await app?.stop();
    for (const s of connected) s.terminate();
    await new Promise((resolve) => wss?.close(resolve));
    await slack?.stop();
    await redis?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  function sendCommand(
    socket: WebSocket,
    text: string,
    envelopeId: string,
  ): Promise<Record<string, unknown>> {
    const ack = new Promise<Record<string, unknown>>((resolve) => {
      const onMessage = (data: Buffer) => {
        const msg = JSON.parse(data.toString()) as Record<string, unknown>;
        if (msg.envelope_id === envelopeId) {
          socket.off('message', onMessage);
          resolve(msg);
        }
      };
      socket.on('message', onMessage);
    });
    socket.send(
      JSON.stringify({
        type: 'slash_commands',
        envelope_id: envelopeId,
        accepts_response_payload: true,
        payload: {
          command: '/netcheck',
          text,
          user_id: 'U0SOCK',
          channel_id: 'C0SOCK',
          team_id: 'T0001',
          api_app_id: 'A0NETCHECK',
          response_url: 'http://127.0.0.1:9/x',
          trigger_id: '1',
        },
      }),
    );
    return ack;
  }

  it('receives /netcheck over the socket, acks the envelope and posts the parent', async () => {
    const socket = connected[0] ?? (await slack.waitFor(() => connected[0], 10_000, 'socket connection'));
    const bad = await sendCommand(socket, '$(reboot)', 'env-1');
    assert.match(JSON.stringify(bad.payload), /is not a node name/);
    const good = await sendCommand(socket, 'node-3', 'env-2');
    assert.equal(good.envelope_id, 'env-2');
    const parent = await slack.waitFor(() => slack.topLevel('C0SOCK')[0], 10_000, 'parent');
    assert.match(parent.text, /checking \*node-3\* for <@U0SOCK>/);
    assert.equal(slack.topLevel('C0SOCK').length, 1);
  });
});
