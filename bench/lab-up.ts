/**
 * How long `lab up` takes for 4 and for 20 nodes (and `lab down`). Prints a table; not a test.
 * Run as root: npm run bench:lab
 */
import { labDown, labUp } from '../src/lab/lab.js';

const rows: string[][] = [['nodes', 'lab up (ms)', 'lab down (ms)']];
for (const workers of [3, 19]) {
  const labId = `bench${workers}`;
  await labDown({ labId });
  const t0 = performance.now();
  await labUp({ labId, netIndex: 200 + workers, workers });
  const up = performance.now() - t0;
  const t1 = performance.now();
  await labDown({ labId });
  rows.push([String(workers + 1), up.toFixed(0), (performance.now() - t1).toFixed(0)]);
}
for (const r of rows) console.log(r.map((c) => c.padStart(14)).join(''));
