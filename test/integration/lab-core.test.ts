import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { labDown, labExec, labStatus, labUp } from '../../src/lab/lab.js';
import { tryRun } from '../../src/lab/lab-exec.js';

const exec = promisify(execFile);

/** What a lab could leave behind: namespaces, links, live processes, mounts. */
async function snapshot(): Promise<{ netns: string; links: string; procs: string; mounts: string }> {
  const netns = (await tryRun(['ip', 'netns', 'list'])).stdout
    .split('\n')
    .map((l) => l.split(' ')[0])
    .sort()
    .join(',');
  const links = (await tryRun(['ip', '-o', 'link', 'show'])).stdout
    .split('\n')
    .map((l) => /^\d+:\s+([^:@]+)/.exec(l)?.[1] ?? '')
    .sort()
    .join(',');
  // Zombies are left to init to reap; what matters is that nothing of the lab still runs.
  const procs = (await tryRun(['ps', '-eo', 'stat=,args='])).stdout
    .split('\n')
    .filter((l) => !l.trim().startsWith('Z') && /netcheck-lab|apiserver-standin/.test(l))
    .join('\n');
  const mounts = (await readFile('/proc/self/mounts', 'utf8'))
    .split('\n')
    .filter((l) => l.includes('netcheck-lab'))
    .join('\n');
  return { netns, links, procs, mounts };
}

function getJson(url: string, ca: Buffer, token?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { ca, headers: token ? { authorization: `Bearer ${token}` } : {}, timeout: 5000 },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('lab up / down', () => {
  after(async () => {
    await labDown({ labId: 'nccore' });
    await labDown({ labId: 'nccore2' });
  });

  it('up then down leaves the machine as it was (namespaces, links, processes, mounts)', async () => {
    const before = await snapshot();
    const lab = await labUp({ labId: 'nccore', netIndex: 62 });
    const during = await snapshot();
    assert.ok(during.netns.includes('nccore-cp-1'));
    assert.ok(during.links.includes('nccorebr'));
    await labDown({ labId: 'nccore' });
    assert.deepEqual(await snapshot(), before);
    assert.equal((await labStatus({ labId: 'nccore' })).running, false);
    assert.ok(lab.nodes.length === 4);
  });

  it('down cleans up even when the state file is gone (a crash half way)', async () => {
    const before = await snapshot();
    const lab = await labUp({ labId: 'nccore', netIndex: 62, workers: 1 });
    await rm(`${lab.stateDir}/state.json`);
    await labDown({ labId: 'nccore' });
    assert.deepEqual(await snapshot(), before);
  });

  it('up is idempotent, a second lab does not collide, SSH and the API stand-in work', async () => {
    const first = await labUp({ labId: 'nccore', netIndex: 62 });
    const again = await labUp({ labId: 'nccore', netIndex: 62 });
    assert.deepEqual(again.nodes, first.nodes);
    const second = await labUp({ labId: 'nccore2', netIndex: 63, workers: 1 });
    assert.deepEqual(
      second.nodes.map((n) => n.host),
      ['198.18.63.10', '198.18.63.11'],
    );

    const node3 = first.nodes.find((n) => n.name === 'node-3')!;
    const { stdout } = await exec('ssh', [
      '-o',
      'BatchMode=yes',
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      `UserKnownHostsFile=${first.knownHostsPath}`,
      '-o',
      'ConnectTimeout=5',
      '-i',
      first.privateKeyPath,
      `root@${node3.host}`,
      'hostname; ls /etc/cni/net.d; cat /run/flannel/subnet.env',
    ]);
    assert.match(stdout, /^node-3\n10-flannel\.conflist\n/);
    assert.match(stdout, /FLANNEL_SUBNET=10\.244\.3\.1\/24/);
    // The node's files are its own: the host has no /run/flannel.
    assert.equal((await tryRun(['test', '-e', '/run/flannel/subnet.env'])).code, 1);

    const ca = await readFile(first.caPath);
    assert.equal((await getJson(`${first.apiServer}/livez`, ca)).body, 'ok');
    const nodes = JSON.parse((await getJson(`${first.apiServer}/api/v1/nodes`, ca, first.apiToken)).body);
    assert.deepEqual(
      nodes.items.map((n: { spec: { podCIDR: string } }) => n.spec.podCIDR),
      ['10.244.0.0/24', '10.244.1.0/24', '10.244.2.0/24', '10.244.3.0/24'],
    );
    assert.equal((await getJson(`${first.apiServer}/api/v1/nodes`, ca)).status, 401);
    await labDown({ labId: 'nccore2' });
    assert.equal(
      (await labStatus({ labId: 'nccore' })).running,
      true,
      'taking the second lab down leaves the first alone',
    );
  });
});

describe('lab: the stand-in kubeadm', () => {
  after(async () => {
    await labDown({ labId: 'nckadm' });
  });

  it('reset removes the node state, join recreates it, every call is logged, token prints a join command', async () => {
    const lab = await labUp({ labId: 'nckadm', netIndex: 64, workers: 1 });
    const run = (...argv: string[]) => labExec(lab, 'node-1', argv);
    const podPing = () =>
      tryRun(['ip', 'netns', 'exec', 'nckadm-node-1-pod', 'ping', '-n', '-c', '1', '-W', '1', '10.244.0.2']);
    assert.equal((await podPing()).code, 0);
    assert.equal((await run('kubeadm', 'reset', '--force')).code, 0);
    assert.notEqual((await run('ip', 'link', 'show', 'flannel.1')).code, 0);
    assert.notEqual((await run('test', '-e', '/etc/cni/net.d/10-flannel.conflist')).code, 0);
    assert.notEqual((await podPing()).code, 0);
    assert.equal(
      (await run('kubeadm', 'join', '198.18.64.10:6443', '--token', 'abcdef.0123456789abcdef')).code,
      0,
    );
    assert.equal((await run('test', '-e', '/run/flannel/subnet.env')).code, 0);
    assert.equal((await podPing()).code, 0, 'pod-to-pod across the overlay works again after join');
    assert.match(
      (await run('kubeadm', 'token', 'create', '--print-join-command')).stdout,
      /^kubeadm join .*--token [a-z0-9]{6}\.[a-z0-9]{16} --discovery-token-ca-cert-hash sha256:[0-9a-f]{64}/,
    );
    const log = (await run('cat', '/var/log/netcheck-lab-kubeadm.log')).stdout;
    assert.match(log, /kubeadm reset --force\n.*kubeadm join 198\.18\.64\.10:6443/);
  });
});
