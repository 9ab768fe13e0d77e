import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { fixedClock } from '../../src/core/clock.js';
import { sharedRuns } from '../../src/core/shared-runs.js';
import { coreClient } from '../../src/kube/kube-client.js';
import { KubeGateway } from '../../src/kube/kube-gateway.js';
import { selfSignedCertCommand } from '../../src/lab/lab-pki.js';

/**
 * A local HTTPS server standing in for the API server (`answer` writes each response), and a
 * kubeconfig that trusts it. Returns the kubeconfig's path and each connection's session reuse.
 */
async function localApiServer(
  answer: (
    path: string,
    res: import('node:http').ServerResponse,
    req: import('node:http').IncomingMessage,
  ) => void,
): Promise<{ kubeconfig: string; connections: boolean[] }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'nckube-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const [key, cert] = [path.join(dir, 'key.pem'), path.join(dir, 'cert.pem')];
  const [command, ...args] = selfSignedCertCommand('/CN=apiserver', { key, cert }, 1, [
    '-addext',
    'subjectAltName=IP:127.0.0.1',
  ]);
  execFileSync(command!, args, { stdio: 'ignore' });
  const connections: boolean[] = [];
  const server = createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
    res.setHeader('content-type', 'application/json');
    answer(req.url ?? '', res, req);
  });
  server.on('secureConnection', (socket: TLSSocket) => connections.push(socket.isSessionReused()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  after(() => server.close());
  const { port } = server.address() as AddressInfo;
  const kubeconfig = path.join(dir, 'kubeconfig');
  const ca = readFileSync(cert).toString('base64');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'current-context: lab',
      'clusters:',
      `- name: lab`,
      '  cluster:',
      `    server: https://127.0.0.1:${port}`,
      `    certificate-authority-data: ${ca}`,
      'users:',
      '- name: u',
      '  user:',
      '    token: t',
      'contexts:',
      '- name: lab',
      '  context:',
      '    cluster: lab',
      '    user: u',
    ].join('\n'),
  );
  return { kubeconfig, connections };
}

const NODE_LIST = JSON.stringify({ kind: 'NodeList', apiVersion: 'v1', metadata: {}, items: [] });

describe('Kubernetes client', () => {
  it('opens a new connection per call but resumes the TLS session instead of a full handshake', async () => {
    const { kubeconfig, connections } = await localApiServer((_path, res) => res.end(NODE_LIST));
    const core = coreClient(kubeconfig);
    for (let i = 0; i < 3; i++) assert.deepEqual((await core.listNode()).items, []);
    assert.deepEqual(connections, [false, true, true]);
  });
});

describe('connections: a new one for the node list, kept ones for the reads after it', () => {
  const FLANNEL_POD = {
    metadata: { name: 'kube-flannel-ds-b', namespace: 'kube-flannel' },
    spec: { nodeName: 'node-3' },
    status: { phase: 'Running', containerStatuses: [{ ready: true, restartCount: 0 }] },
  };
  /** Each request with its path and how many requests its connection had served before it. */
  async function server(opts: { closeOnSecondUse?: boolean } = {}) {
    const seen: { path: string; before: number }[] = [];
    const served = new WeakMap<object, number>();
    let closed = 0;
    const { kubeconfig } = await localApiServer((url, res, req) => {
      const path = url.split('?')[0]!;
      const before = served.get(req.socket) ?? 0;
      served.set(req.socket, before + 1);
      // The server closes a kept connection just as a call goes out on it (its idle timeout).
      if (opts.closeOnSecondUse && before > 0 && closed === 0) {
        closed++;
        req.socket.destroy();
        return;
      }
      seen.push({ path, before });
      if (path === '/api/v1/nodes') return res.end(NODE_LIST);
      if (path.endsWith('/configmaps/kube-flannel-cfg'))
        return res.end(
          JSON.stringify({
            kind: 'ConfigMap',
            apiVersion: 'v1',
            metadata: { name: 'kube-flannel-cfg' },
            data: { 'net-conf.json': '{"Network":"10.244.0.0/16"}' },
          }),
        );
      if (path.endsWith('/pods'))
        return res.end(
          JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: {}, items: [FLANNEL_POD] }),
        );
      res.setHeader('content-type', 'text/plain');
      res.end('a flannel log line\n');
    });
    const cache = { save: async () => undefined, load: async () => undefined };
    const clock = fixedClock(0);
    return { seen, kube: new KubeGateway(kubeconfig, cache, 5000, clock.isoNow, clock.monotonicMs) };
  }

  it('every node list on a new connection; the reads after it reuse theirs, across diagnoses', async () => {
    const { seen, kube } = await server();
    for (let i = 0; i < 3; i++) {
      const facts = await kube.fetch('node-3');
      assert.equal(facts.status === 'reachable' && facts.netConfNetwork, '10.244.0.0/16');
    }
    const lists = seen.filter((r) => r.path === '/api/v1/nodes');
    assert.deepEqual(
      lists.map((r) => r.before),
      [0, 0, 0],
    );
    const reads = seen.filter((r) => r.path !== '/api/v1/nodes');
    assert.equal(reads.length, 9);
    assert.ok(reads.filter((r) => r.before > 0).length >= 6, JSON.stringify(reads));
  });

  it('a kept connection closed as a read goes out: the read is made again and answered', async () => {
    const { seen, kube } = await server({ closeOnSecondUse: true });
    const first = await kube.fetch('node-3');
    const second = await kube.fetch('node-3');
    for (const facts of [first, second]) {
      assert.equal(facts.status, 'reachable');
      assert.equal(facts.status === 'reachable' && facts.netConfNetwork, '10.244.0.0/16');
      assert.equal(facts.status === 'reachable' && facts.flannelPods.length, 1);
      assert.deepEqual(facts.status === 'reachable' && facts.flannelLog, ['a flannel log line']);
    }
    assert.equal(seen.filter((r) => r.path !== '/api/v1/nodes').length, 6);
  });
});

describe('the API server asked once for diagnoses made together', () => {
  const pod = (name: string, node: string) => ({
    metadata: { name, namespace: 'kube-flannel' },
    spec: { nodeName: node },
    status: { phase: 'Running', containerStatuses: [{ ready: true, restartCount: 0 }] },
  });
  async function gateway() {
    const asked: string[] = [];
    const { kubeconfig } = await localApiServer((url, res) => {
      const what = url.split('?')[0]!;
      asked.push(what);
      if (what === '/api/v1/nodes') return res.end(NODE_LIST);
      if (what.endsWith('/pods'))
        return res.end(
          JSON.stringify({
            kind: 'PodList',
            apiVersion: 'v1',
            metadata: {},
            items: [pod('kube-flannel-ds-a', 'node-1'), pod('kube-flannel-ds-b', 'node-3')],
          }),
        );
      if (what.endsWith('/log')) {
        res.setHeader('content-type', 'text/plain');
        return res.end(`log of ${what}\n`);
      }
      res.statusCode = 404;
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 404 }));
    });
    const cache = { save: async () => undefined, load: async () => undefined };
    const clock = fixedClock(0);
    const kube = new KubeGateway(kubeconfig, cache, 5000, clock.isoNow, clock.monotonicMs);
    return { asked, kube, clock };
  }
  const count = (asked: string[], suffix: string) => asked.filter((a) => a.endsWith(suffix)).length;

  it('shared: two targets at once make one call of each kind, and one log call per pod', async () => {
    const { asked, kube, clock } = await gateway();
    const shared = sharedRuns<unknown>({ windowMs: 500, monotonicMs: clock.monotonicMs });
    const [a, b] = await Promise.all([
      kube.fetch('node-3', undefined, shared),
      kube.fetch('node-1', undefined, shared),
    ]);
    assert.equal(count(asked, '/nodes'), 1);
    assert.equal(count(asked, '/pods'), 1);
    assert.equal(count(asked, '/log'), 2, "each target's own flannel pod log");
    assert.equal(
      a.status === 'reachable' && a.flannelLog.join(),
      'log of /api/v1/namespaces/kube-flannel/pods/kube-flannel-ds-b/log',
    );
    assert.equal(
      b.status === 'reachable' && b.flannelLog.join(),
      'log of /api/v1/namespaces/kube-flannel/pods/kube-flannel-ds-a/log',
    );
  });

  it('not shared (the check after a fix): every diagnosis asks for itself', async () => {
    const { asked, kube } = await gateway();
    await Promise.all([kube.fetch('node-3'), kube.fetch('node-3')]);
    assert.equal(count(asked, '/nodes'), 2);
    assert.equal(count(asked, '/pods'), 2);
    assert.equal(count(asked, '/log'), 2);
  });
});
