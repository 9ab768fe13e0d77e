import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  addFault,
  clearFault,
  type FaultSpec,
  type LabState,
  labDown,
  labExec,
  labUp,
} from '../../src/lab/lab.js';
import { tryRun } from '../../src/lab/lab-exec.js';

/**
 * Each fault, injected the way it happens in real life, has an effect that can be seen from the
 * outside; clearing it takes the effect away. One lab for the file; every test clears its fault.
 */
describe('lab faults: observable effects', () => {
  let lab: LabState;
  const id = { labId: 'ncfault' };
  const host = (node: string) => lab.nodes.find((n) => n.name === node)!.host;
  const inNode = (node: string, ...argv: string[]) => labExec(lab, node, argv);
  const ok = async (node: string, ...argv: string[]) => (await inNode(node, ...argv)).code === 0;
  const podPing = (from: string, toNode: string) =>
    tryRun([
      'ip',
      'netns',
      'exec',
      `ncfault-${from}-pod`,
      'ping',
      '-n',
      '-c',
      '1',
      '-W',
      '1',
      lab.nodes.find((n) => n.name === toNode)!.podSubnet.replace(/0\/24$/, '2'),
    ]).then((r) => r.code === 0);
  const tcp = (node: string, target: string, port: number) =>
    ok(node, 'timeout', '3', 'bash', '-c', `exec 3<>/dev/tcp/${target}/${port}`);
  const ping = (node: string, target: string, ...extra: string[]) =>
    ok(node, 'ping', '-n', '-c', '1', '-W', '1', ...extra, target);

  before(async () => {
    lab = await labUp({ ...id, netIndex: 61 });
  });
  after(async () => {
    await labDown(id);
  });

  async function withFault(spec: FaultSpec, fn: () => Promise<void>): Promise<void> {
    await addFault(id, spec);
    try {
      await fn();
    } finally {
      await clearFault(id, spec);
    }
  }

  it('healthy lab: ping, TCP 6443, HTTPS, and pod-to-pod across VXLAN all work', async () => {
    assert.ok(await ping('node-3', host('cp-1')));
    assert.ok(await tcp('node-3', host('cp-1'), 6443));
    assert.ok(await podPing('node-1', 'node-3'), 'a pod on node-1 reaches a pod on node-3 through flannel.1');
  });

  const cases: { spec: FaultSpec; broken: () => Promise<boolean>; what: string }[] = [
    {
      spec: { id: 'icmp-blocked', node: 'cp-1' },
      what: 'ping fails while TCP works',
      broken: async () => !(await ping('node-3', host('cp-1'))) && (await tcp('node-3', host('cp-1'), 6443)),
    },
    {
      spec: { id: 'apiserver-port-blocked', node: 'cp-1' },
      what: 'TCP 6443 fails while ping works',
      broken: async () => !(await tcp('node-3', host('cp-1'), 6443)) && (await ping('node-3', host('cp-1'))),
    },
    {
      spec: { id: 'apiserver-down', node: 'cp-1' },
      what: 'nothing listens on 6443',
      broken: async () => !(await ok('cp-1', 'sh', '-c', 'ss -Hltn | grep -q :6443')),
    },
    {
      spec: { id: 'podcidr-overlaps-host-net', node: 'node-3' },
      what: 'the route to the control plane leaves via flannel.1',
      broken: async () =>
        (await inNode('node-3', 'ip', 'route', 'get', host('cp-1'))).stdout.includes('dev flannel.1'),
    },
    {
      spec: { id: 'flannel1-missing', node: 'node-3' },
      what: 'flannel.1 is gone',
      broken: async () => !(await ok('node-3', 'ip', 'link', 'show', 'flannel.1')),
    },
    {
      spec: { id: 'subnet-env-missing', node: 'node-3' },
      what: 'subnet.env is gone',
      broken: async () => !(await ok('node-3', 'test', '-e', '/run/flannel/subnet.env')),
    },
    {
      spec: { id: 'cni-config-missing', node: 'node-3' },
      what: 'no flannel conflist',
      broken: async () => !(await ok('node-3', 'test', '-e', '/etc/cni/net.d/10-flannel.conflist')),
    },
    {
      spec: { id: 'leftover-cni-config', node: 'node-3' },
      what: 'a calico conflist sorts first',
      broken: async () =>
        (await inNode('node-3', 'ls', '/etc/cni/net.d')).stdout.split('\n')[0] === '10-calico.conflist',
    },
    {
      spec: { id: 'stale-cni0-bridge', node: 'node-3' },
      what: 'cni0 has another subnet',
      broken: async () =>
        !(await inNode('node-3', 'ip', '-4', 'addr', 'show', 'cni0')).stdout.includes('10.244.3.1/24'),
    },
    {
      spec: { id: 'forward-policy-drop', node: 'node-3' },
      what: 'pod-to-pod traffic is dropped',
      broken: async () => !(await podPing('node-1', 'node-3')),
    },
    {
      spec: { id: 'ip-forward-disabled', node: 'node-3' },
      what: 'pod-to-pod traffic is not routed',
      broken: async () => !(await podPing('node-1', 'node-3')),
    },
    {
      spec: { id: 'br-netfilter-missing', node: 'node-3' },
      what: 'bridge-nf-call-iptables is 0',
      broken: async () =>
        (await inNode('node-3', 'sysctl', '-n', 'net.bridge.bridge-nf-call-iptables')).stdout.trim() === '0',
    },
    {
      spec: { id: 'vxlan-8472-blocked', node: 'node-3' },
      what: 'overlay dead while the underlay works',
      broken: async () => !(await ping('node-1', '10.244.3.0')) && (await ping('node-1', host('node-3'))),
    },
    {
      spec: { id: 'wrong-iface-public-ip', node: 'node-3' },
      what: 'flannel.1 local is 10.0.2.15 and the overlay is dead',
      broken: async () =>
        (await inNode('node-3', 'ip', '-d', 'link', 'show', 'flannel.1')).stdout.includes(
          'local 10.0.2.15',
        ) && !(await podPing('node-1', 'node-3')),
    },
    {
      spec: { id: 'mtu-mismatch', node: 'node-3' },
      what: 'a full-size DF overlay ping fails while a small one works',
      broken: async () =>
        (await ping('node-3', '10.244.1.0')) &&
        !(await ping('node-3', '10.244.1.0', '-M', 'do', '-s', '1422')),
    },
    {
      spec: { id: 'vtep-mac-mismatch', node: 'node-3' },
      what: 'peers cannot reach node-3 over the overlay',
      broken: async () => !(await ping('node-1', '10.244.3.0')),
    },
    {
      spec: { id: 'kube-proxy-missing', node: 'node-3' },
      what: 'no rule for 10.96.0.1',
      broken: async () =>
        !(await inNode('node-3', 'iptables-save', '-t', 'nat')).stdout.includes('10.96.0.1/32'),
    },
    {
      spec: { id: 'podcidr-not-assigned', node: 'node-3' },
      what: 'subnet.env gone and the log says pod cidr not assigned',
      broken: async () =>
        !(await ok('node-3', 'test', '-e', '/run/flannel/subnet.env')) &&
        (await ok(
          'node-3',
          'sh',
          '-c',
          'grep -q "pod cidr not assigned" /var/log/pods/*/kube-flannel/0.log',
        )),
    },
    {
      spec: { id: 'podcidr-netconf-mismatch', node: 'node-3' },
      what: 'the log says the network does not contain the PodCIDR',
      broken: async () =>
        ok(
          'node-3',
          'sh',
          '-c',
          'grep -q "doesn.t contain" /var/log/pods/*/kube-flannel/0.log && grep -q 10.245.0.0/16 /run/flannel/subnet.env',
        ),
    },
    {
      spec: { id: 'node-unreachable', node: 'node-2' },
      what: 'SSH to the node is refused',
      broken: async () => !(await tcp('node-1', host('node-2'), 22)),
    },
  ];

  for (const c of cases) {
    it(`${c.spec.id}@${c.spec.node}: ${c.what}; cleared, it works again`, async () => {
      await withFault(c.spec, async () => {
        assert.ok(await c.broken(), `fault ${c.spec.id} did not show its effect: ${c.what}`);
      });
      assert.ok(!(await c.broken()), `after clearing ${c.spec.id} the effect is still there`);
      if (
        [
          'forward-policy-drop',
          'ip-forward-disabled',
          'wrong-iface-public-ip',
          'vtep-mac-mismatch',
          'vxlan-8472-blocked',
        ].includes(c.spec.id)
      ) {
        assert.ok(await podPing('node-1', 'node-3'), 'pod-to-pod works again');
      }
    });
  }

  it('two faults on one node at once, cleared one by one', async () => {
    await addFault(id, { id: 'icmp-blocked', node: 'node-3' });
    await addFault(id, { id: 'cni-config-missing', node: 'node-3' });
    assert.ok(!(await ping('node-3', host('cp-1'))));
    assert.ok(!(await ok('node-3', 'test', '-e', '/etc/cni/net.d/10-flannel.conflist')));
    await clearFault(id, { id: 'icmp-blocked', node: 'node-3' });
    assert.ok(await ping('node-3', host('cp-1')));
    assert.ok(!(await ok('node-3', 'test', '-e', '/etc/cni/net.d/10-flannel.conflist')));
    await clearFault(id, { id: 'cni-config-missing', node: 'node-3' });
    assert.ok(await ok('node-3', 'test', '-e', '/etc/cni/net.d/10-flannel.conflist'));
  });
});
