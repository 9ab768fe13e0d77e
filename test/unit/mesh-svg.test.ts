import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { meshCsv } from '../../src/slack/mesh/mesh-csv.js';
import { pngSize, rasterizeSvg } from '../../src/slack/mesh/mesh-png.js';
import { buildMeshSvg, cellSize, OUTCOME_COLOUR } from '../../src/slack/mesh/mesh-svg.js';
import { buildMatrix, nodeNames } from '../support/mesh-matrix-builder.js';

describe('mesh picture', () => {
  it('draws one colour per outcome per plane, with a legend, and rasterizes to a PNG of the SVG size', () => {
    const names = nodeNames(5);
    const m = buildMatrix(
      names,
      (p, from, to) =>
        p.startsWith('overlay') && (from === 'node-3' || to === 'node-3')
          ? 'timeout'
          : p === 'underlay-tcp' && from === 'node-1' && to === 'node-2'
            ? 'fail'
            : 'ok',
      { 'node-4': 'refused' },
    );
    const { svg, width, height } = buildMeshSvg(m, { title: 'mesh <test> & more' });
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="\d+" height="\d+"/);
    assert.ok(svg.includes('mesh &lt;test&gt; &amp; more'), 'the title is escaped');
    for (const outcome of ['ok', 'fail', 'timeout', 'unknown', 'self'] as const)
      assert.ok(svg.includes(`fill="${OUTCOME_COLOUR[outcome]}"`), `${outcome} is drawn`);
    for (const title of ['Underlay', 'Overlay', 'API server']) assert.ok(svg.includes(title));
    assert.ok(svg.includes('underlay: 15 ok, 1 fail, 0 timeout, 4 unknown'), 'legend counts');
    for (const name of names) assert.ok(svg.includes(`>${name}</text>`));
    const png = rasterizeSvg(svg);
    assert.deepEqual(pngSize(png), { width, height });
  });

  it('stays readable and small at 100 nodes: 10 px cells, runs of one colour merged', () => {
    const names = nodeNames(100);
    assert.equal(cellSize(100), 10);
    const { svg, width, height } = buildMeshSvg(buildMatrix(names), { title: 't' });
    assert.ok(
      (svg.match(/<rect /g) ?? []).length < 1000,
      'a healthy row is at most three rectangles per panel (left of the diagonal, the diagonal, right of it)',
    );
    assert.ok(width < 2600 && height < 1400, `${width}×${height}`);
    const started = performance.now();
    const png = rasterizeSvg(svg);
    assert.deepEqual(pngSize(png), { width, height });
    assert.ok(performance.now() - started < 3000);
  });

  it('the CSV has a line per ordered pair and one per node to the API server', () => {
    const csv = meshCsv(
      buildMatrix(nodeNames(3), (p, f, t) =>
        p === 'overlay-pod' && f === 'cp-1' && t === 'node-2' ? 'timeout' : 'ok',
      ),
    );
    const lines = csv.trim().split('\n');
    assert.equal(lines.length, 1 + 3 * 2 + 3);
    assert.equal(lines[0]?.split(',').length, 12);
    assert.ok(lines.includes('cp-1,node-2,ok,,ok,,ok,,timeout,,,'));
    assert.ok(lines.includes('node-1,apiserver,,,,,,,,,ok,'));
  });

  it('rejects anything but a PNG when reading a size', () => {
    assert.equal(pngSize(Buffer.from('GIF89a-not-a-png-at-all')), undefined);
  });
});
