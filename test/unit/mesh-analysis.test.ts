import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeMesh } from '../../src/diagnosis/mesh/mesh-analysis.js';
import { buildMatrix, nodeNames } from '../support/mesh-matrix-builder.js';

const overlay = (p: string) => p.startsWith('overlay');

describe('mesh analysis', () => {
  it('a healthy cluster: no findings, no culprits', () => {
    const a = analyzeMesh(buildMatrix(nodeNames(6)));
    assert.equal(a.verdict, 'healthy');
    assert.deepEqual(a.findings, []);
    assert.deepEqual(a.culprits, []);
    assert.equal(a.counts.underlay.ok, 30);
    assert.equal(a.counts.apiserver.ok, 6);
  });

  it('a row and a column bad on the overlay only names that node, with the VXLAN hint', () => {
    const names = nodeNames(5);
    const m = buildMatrix(names, (p, from, to) =>
      overlay(p) && (from === 'node-3' || to === 'node-3') ? 'timeout' : 'ok',
    );
    const a = analyzeMesh(m);
    assert.equal(a.verdict, 'faulty');
    assert.equal(a.findings.length, 1);
    assert.equal(a.findings[0]?.kind, 'node-isolated');
    assert.deepEqual(a.findings[0]?.planes, ['overlay']);
    assert.match(a.findings[0]!.text, /VXLAN \(udp\/8472\), the MTU or the VTEP/);
    assert.deepEqual(a.culprits, ['node-3']);
  });

  it('isolated cells point at the pair, not at either node alone', () => {
    const names = nodeNames(5);
    const pair = (a: string, b: string) =>
      (a === 'node-1' && b === 'node-2') || (a === 'node-2' && b === 'node-1');
    const m = buildMatrix(names, (p, from, to) =>
      p !== 'apiserver-tcp' && pair(from, to) ? 'timeout' : 'ok',
    );
    const a = analyzeMesh(m);
    assert.deepEqual(
      a.findings.map((f) => [f.kind, f.nodes, f.planes]),
      [['pair', ['node-1', 'node-2'], ['underlay', 'overlay']]],
    );
    assert.match(a.findings[0]!.text, /node-1→node-2, node-2→node-1/);
    assert.deepEqual(a.culprits, ['node-1', 'node-2']);
  });

  it('an unreachable node: its row is unknown, named, and not read as a failure of its peers', () => {
    const names = nodeNames(4);
    const a = analyzeMesh(buildMatrix(names, () => 'ok', { 'node-2': 'ssh connection refused' }));
    assert.deepEqual(
      a.findings.map((f) => [f.kind, f.nodes]),
      [['node-unreachable', ['node-2']]],
    );
    assert.equal(a.counts.underlay.unknown, 3);
    assert.deepEqual(a.culprits, ['node-2']);
  });

  it('a node whose column is bad on the underlay too (link down): one finding on both planes', () => {
    const names = nodeNames(4);
    const m = buildMatrix(
      names,
      (p, _from, to) => (p !== 'apiserver-tcp' && to === 'node-1' ? 'timeout' : 'ok'),
      { 'node-1': 'ssh connect timed out' },
    );
    const a = analyzeMesh(m);
    assert.deepEqual(
      a.findings.map((f) => [f.kind, f.planes]),
      [
        ['node-unreachable', []],
        ['node-inbound', ['underlay', 'overlay']],
      ],
    );
    assert.deepEqual(a.culprits, ['node-1']);
  });

  it('the API server: one node cut off, or no node at all (then the control plane is the suspect)', () => {
    const names = nodeNames(4);
    const one = analyzeMesh(
      buildMatrix(names, (p, from) => (p === 'apiserver-tcp' && from === 'node-2' ? 'fail' : 'ok')),
    );
    assert.deepEqual(
      one.findings.map((f) => [f.kind, f.nodes]),
      [['apiserver-from-node', ['node-2']]],
    );
    const all = analyzeMesh(buildMatrix(names, (p) => (p === 'apiserver-tcp' ? 'timeout' : 'ok')));
    assert.deepEqual(
      all.findings.map((f) => [f.kind, f.nodes]),
      [['apiserver-down', ['cp-1']]],
    );
    assert.deepEqual(all.culprits, ['cp-1']);
  });

  it('a plane broken for most nodes is cluster-wide, and culprits are capped', () => {
    const names = nodeNames(10);
    const wide = analyzeMesh(buildMatrix(names, (p) => (overlay(p) ? 'timeout' : 'ok')));
    assert.deepEqual(
      wide.findings.map((f) => f.kind),
      ['cluster-wide'],
    );
    const many = analyzeMesh(
      buildMatrix(names, (p, from) =>
        p === 'apiserver-tcp' && from !== 'cp-1' && from !== 'node-1' ? 'fail' : 'ok',
      ),
    );
    assert.equal(many.culprits.length, 5);
    assert.equal(many.moreSuspects, 3);
  });

  it('unknown cells alone make the verdict unknown, never healthy', () => {
    const a = analyzeMesh(buildMatrix(nodeNames(3), (p) => (overlay(p) ? 'unknown' : 'ok')));
    assert.equal(a.verdict, 'unknown');
    assert.deepEqual(a.culprits, []);
  });
});
