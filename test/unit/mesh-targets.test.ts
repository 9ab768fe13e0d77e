import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { meshTargets, overlayAddresses } from '../../src/probes/mesh-targets.js';

describe('mesh targets', () => {
  it("flannel.1 and cni0 addresses come from a node's podCIDR", () => {
    assert.deepEqual(overlayAddresses('10.244.3.0/24'), {
      overlayAddress: '10.244.3.0',
      podAddress: '10.244.3.1',
    });
    assert.deepEqual(overlayAddresses('10.244.3.7/24'), {
      overlayAddress: '10.244.3.0',
      podAddress: '10.244.3.1',
    });
    assert.deepEqual(overlayAddresses(undefined), { overlayAddress: undefined, podAddress: undefined });
    assert.deepEqual(overlayAddresses('10.244.3.0/32'), { overlayAddress: undefined, podAddress: undefined });
  });

  it('each peer on four probes, never the source itself, and the API server once; a DNS name is left out', () => {
    const peers = [
      { name: 'a', host: '198.18.0.10', overlayAddress: '10.244.0.0', podAddress: '10.244.0.1' },
      { name: 'b', host: '198.18.0.11', overlayAddress: undefined, podAddress: undefined },
      { name: 'c', host: 'c.example', overlayAddress: '10.244.2.0', podAddress: '10.244.2.1' },
    ];
    const targets = meshTargets('a', peers, { host: '198.18.0.10', port: 6443 });
    assert.deepEqual(
      targets.map((t) => `${t.key} ${t.kind} ${t.host}${t.port ? `:${t.port}` : ''}`),
      [
        'b|underlay-icmp icmp 198.18.0.11',
        'b|underlay-tcp tcp 198.18.0.11:10250',
        'c|overlay-flannel icmp 10.244.2.0',
        'c|overlay-pod icmp 10.244.2.1',
        'apiserver|apiserver-tcp tcp 198.18.0.10:6443',
      ],
    );
  });
});
