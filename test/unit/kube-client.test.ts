import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { coreClient } from '../../src/kube/kube-client.js';
import { selfSignedCertCommand } from '../../src/lab/lab-pki.js';

describe('Kubernetes client', () => {
  it('opens a new connection per call but resumes the TLS session instead of a full handshake', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nckube-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const [key, cert] = [path.join(dir, 'key.pem'), path.join(dir, 'cert.pem')];
    const [command, ...args] = selfSignedCertCommand('/CN=apiserver', { key, cert }, 1, [
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ]);
    execFileSync(command!, args, { stdio: 'ignore' });
    const connections: boolean[] = [];
    const server = createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ kind: 'NodeList', apiVersion: 'v1', metadata: {}, items: [] }));
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
    const core = coreClient(kubeconfig);
    for (let i = 0; i < 3; i++) assert.deepEqual((await core.listNode()).items, []);
    assert.deepEqual(connections, [false, true, true]);
  });
});
