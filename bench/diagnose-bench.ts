/**
 * `npm run bench` (root): time from a signed `/netcheck` to the report in the thread, on the lab.
 * Prints a table (median and p95 over RUNS runs) for a healthy and a faulty node, cold (first
 * contact: fresh SSH connections) and warm; then the same probes the way an SRE would script them
 * (plain OpenSSH in parallel, and Ansible ad-hoc when `ansible` is installed), with ratios.
 * Not a test: the machine is shared and noisy, so compare ratios within one run.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadInventory } from '../src/config/load-inventory.js';
import { addFault, clearFault } from '../src/lab/lab.js';
import { buildBundle } from '../src/probes/probe-bundle.js';
import { planProbes } from '../src/probes/probe-plan.js';
import { startHarness } from '../test/support/netcheck-harness.js';

const exec = promisify(execFile);
const RUNS = Number(process.env.BENCH_RUNS ?? 20);

function stats(samples: number[]): { median: number; p95: number } {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] ?? Number.NaN;
  return { median: at(0.5), p95: at(0.95) };
}

const h = await startHarness({ labId: 'ncbench', netIndex: 90 });
const rows: { name: string; median: number; p95: number; note: string }[] = [];
try {
  async function timeCheck(node: string): Promise<number> {
    const started = performance.now();
    await h.check(node, { timeoutMs: 30_000 });
    return performance.now() - started;
  }
  async function series(name: string, node: string, cold: boolean, note: string): Promise<void> {
    const samples: number[] = [];
    await timeCheck(node); // one warm-up so "warm" means pooled connections and loaded code
    for (let i = 0; i < RUNS; i++) {
      if (cold) await h.restartApp(); // fresh process state: no pooled SSH connections
      samples.push(await timeCheck(node));
    }
    rows.push({ name, ...stats(samples), note });
  }

  await series('netcheck healthy node-3, warm', 'node-3', false, 'target ≤ 250 ms');
  await series('netcheck healthy node-3, cold', 'node-3', true, 'target ≤ 700 ms');
  await addFault({ labId: 'ncbench' }, { id: 'icmp-blocked', node: 'cp-1' });
  await series(
    'netcheck icmp-blocked@cp-1, warm',
    'node-3',
    false,
    'ping -W 1 forces 1000 ms: target ≤ 1300 ms',
  );
  await series('netcheck icmp-blocked@cp-1, cold', 'node-3', true, '');
  await clearFault({ labId: 'ncbench' }, { id: 'icmp-blocked', node: 'cp-1' });

  // The same probes, scripted by hand: one script per node, run over fresh OpenSSH connections in parallel.
  const inventory = await loadInventory(h.inventoryPath);
  const target = inventory.nodes.find((n) => n.name === 'node-3')!;
  const scripts = await Promise.all(
    planProbes(inventory, target).map(async (plan) => {
      const file = path.join(h.dir, `${plan.node.name}.sh`);
      await writeFile(file, buildBundle(plan.probes, plan.overlay).command.text);
      return { host: plan.node.host, file };
    }),
  );
  const sshOpts = [
    '-o',
    'BatchMode=yes',
    '-o',
    `UserKnownHostsFile=${inventory.ssh.knownHostsPath}`,
    '-o',
    'StrictHostKeyChecking=yes',
    '-i',
    inventory.ssh.privateKeyPath,
  ];
  const inside: number[] = [];
  const ssh: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    let t = performance.now();
    await Promise.all(
      scripts.map((s) =>
        exec('ip', [
          'netns',
          'exec',
          `ncbench-${inventory.nodes.find((n) => n.host === s.host)!.name}`,
          'sh',
          s.file,
        ]),
      ),
    );
    inside.push(performance.now() - t);
    t = performance.now();
    await Promise.all(
      scripts.map((s) => exec('sh', ['-c', `ssh ${sshOpts.join(' ')} root@${s.host} sh -s < ${s.file}`])),
    );
    ssh.push(performance.now() - t);
  }
  rows.push({ name: 'probe scripts run inside the nodes (no SSH)', ...stats(inside), note: 'floor' });
  rows.push({ name: 'plain ssh in parallel (fresh connections)', ...stats(ssh), note: '' });

  const ansible = await exec('ansible', ['--version']).then(
    () => true,
    () => false,
  );
  if (ansible) {
    const inv = path.join(h.dir, 'ansible.ini');
    await writeFile(
      inv,
      `[lab]\n${scripts.map((s) => `${s.host} ansible_user=root ansible_ssh_private_key_file=${inventory.ssh.privateKeyPath}`).join('\n')}\n`,
    );
    const env = {
      ...process.env,
      ANSIBLE_HOST_KEY_CHECKING: 'True',
      ANSIBLE_SSH_ARGS: `-o UserKnownHostsFile=${inventory.ssh.knownHostsPath} -o ControlMaster=no`,
      ANSIBLE_PYTHON_INTERPRETER: 'auto_silent',
    };
    const samples: number[] = [];
    for (let i = 0; i < Math.min(RUNS, 10); i++) {
      const t = performance.now();
      await exec('ansible', ['lab', '-i', inv, '-f', '10', '-m', 'script', '-a', scripts[0]!.file], { env });
      samples.push(performance.now() - t);
    }
    rows.push({
      name: 'ansible ad-hoc (script module, forks 10)',
      ...stats(samples),
      note: "node-3's full probe script on every node",
    });
  } else {
    rows.push({
      name: 'ansible ad-hoc',
      median: Number.NaN,
      p95: Number.NaN,
      note: 'not installed: apt-get install ansible',
    });
  }
} finally {
  await h.close();
}

const base = rows.find((r) => r.name.startsWith('netcheck healthy node-3, warm'))!.median;
console.log(
  `\n${'measurement'.padEnd(48)}${'median ms'.padStart(11)}${'p95 ms'.padStart(9)}${'× warm'.padStart(9)}  note`,
);
for (const r of rows) {
  console.log(
    `${r.name.padEnd(48)}${r.median.toFixed(0).padStart(11)}${r.p95.toFixed(0).padStart(9)}${(r.median / base).toFixed(2).padStart(9)}  ${r.note}`,
  );
}
console.log(`\n${RUNS} runs each; 4-node lab; ${new Date().toISOString()}`);
