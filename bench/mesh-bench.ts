/**
 * `npm run bench:mesh` (root; run it under the lock: `flock /tmp/netcheck-integration.lock npm run
 * bench:mesh`): `/netcheck mesh` on labs of 10, 50 and 100 nodes (BENCH_SIZES), bot and worker each
 * its own process running the compiled JavaScript as `npm start` does. Per size it prints
 *   lab up <N> nodes: <ms> ms, +<MB> MB
 *   mesh <N> nodes: median <ms> ms, p95 <ms> ms, rss <MB> MB            (warm: pooled SSH connections)
 *   mesh <N> nodes cold: <ms> ms                                         (fresh processes, first contact)
 * where the time runs from the signed slash command to the heatmap in the thread, and rss is the
 * peak resident memory (VmHWM) of the bot plus the worker: one process with both roles as
 * `npm start` runs it, or with BENCH_SPLIT=1 a bot and a worker apart (the sum of the two).
 * Then, on the 50-node lab, the same
 * probes driven by Ansible ad-hoc where `ansible` is installed.
 * Targets (issue 15): 50 nodes under 5 s warm and 10 s cold, 100 nodes under 15 s, under 250 MB.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { labDown, labUp, writeInventory } from '../src/lab/lab.js';
import { meshTargets, overlayAddresses } from '../src/probes/mesh-targets.js';
import { buildPairProbeScript } from '../src/probes/pair-probes.js';
import { FakeSlack } from '../test/support/fake-slack.js';
import { startRedis } from '../test/support/redis-server.js';
import { postSlashCommand } from '../test/support/slack-signing.js';
import { startRole as startRoleWith, stopRole } from './role-process.js';

const exec = promisify(execFile);
const CLI = fileURLToPath(new URL('../dist/src/cli.js', import.meta.url));
const SIZES = (process.env.BENCH_SIZES ?? '10,50,100').split(',').map(Number);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const SPLIT = process.env.BENCH_SPLIT === '1';
let allOk = true;
const SIGNING_SECRET = 'bench-signing-secret-0123456789';
const PLAN_KEY = 'bench-plan-key-0123456789abcdef0123456789';
const LAB = { labId: 'ncmeshb', netIndex: 132 };
const startRole = (name: string, env: Record<string, string>) =>
  startRoleWith(name, env, { cli: CLI, flags: ['--optimize-for-size'] });
const CHANNEL = 'C0MESHBENCH';

async function peakMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN) / 1024;
}

async function availableMb(): Promise<number> {
  const info = await readFile('/proc/meminfo', 'utf8');
  return Number(/^MemAvailable:\s+(\d+) kB/m.exec(info)?.[1] ?? Number.NaN) / 1024;
}

function stats(samples: number[]): { median: number; p95: number } {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] ?? Number.NaN;
  return { median: at(0.5), p95: at(0.95) };
}

const lines: string[] = [];
const say = (line: string) => {
  lines.push(line);
  console.log(line);
};
const dir = await mkdtemp(path.join(tmpdir(), 'netcheck-meshbench-'));
const redis = await startRedis({ dir });
const slack = new FakeSlack();
await slack.start();
try {
  for (const n of SIZES) {
    allOk = true;
    await labDown({ labId: LAB.labId });
    const memBefore = await availableMb();
    let t = performance.now();
    const lab = await labUp({ ...LAB, workers: n - 1 });
    say(
      `lab up ${n} nodes: ${Math.round(performance.now() - t)} ms, +${Math.round(memBefore - (await availableMb()))} MB`,
    );
    const files = await writeInventory(lab, dir);
    const common = {
      REDIS_URL: redis.url,
      NETCHECK_INVENTORY: files.inventoryPath,
      NETCHECK_APPROVERS: 'U0APPROVER',
    };
    const workerEnv = { NETCHECK_PLAN_KEY: PLAN_KEY, KUBECONFIG: files.kubeconfigPath };
    const botEnv = {
      SLACK_BOT_TOKEN: 'xoxb-bench',
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.url,
      NETCHECK_RATE_LIMIT: '10000/1m',
    };
    // Default: one process with both roles, as `npm start` runs (NETCHECK_ROLE=all); BENCH_SPLIT=1:
    // a bot and a worker apart, as in production with several workers (rss is then their sum).
    const roles = SPLIT
      ? [
          await startRole('worker', { ...common, ...workerEnv, NETCHECK_ROLE: 'worker' }),
          await startRole('bot', { ...common, ...botEnv, NETCHECK_ROLE: 'bot' }),
        ]
      : [await startRole('all', { ...common, ...workerEnv, ...botEnv, NETCHECK_ROLE: 'all' })];
    const bot = roles.at(-1)!;
    try {
      const mesh = async (): Promise<number> => {
        const before = new Set(slack.topLevel(CHANNEL).map((m) => m.ts));
        const started = performance.now();
        const res = await postSlashCommand(`http://127.0.0.1:${bot.port}`, SIGNING_SECRET, {
          text: 'mesh',
          user_id: 'U0ONCALL',
          channel_id: CHANNEL,
        });
        if (res.status !== 200 || res.body !== '')
          throw new Error(`/netcheck mesh: ${res.status} ${res.body}`);
        const parent = await slack.waitFor(
          () => slack.topLevel(CHANNEL).find((m) => !before.has(m.ts)),
          60_000,
          'the mesh parent',
        );
        const picture = await slack.waitFor(
          () => slack.replies(parent.ts).find((m) => m.files?.some((f) => f.filename.endsWith('.png'))),
          120_000,
          `the heatmap of ${n} nodes`,
        );
        const elapsed = performance.now() - started;
        const summary = slack.replies(parent.ts).find((m) => m.text.includes('Mesh of'));
        if (!summary?.text.includes('large_green_circle')) {
          allOk = false;
          // What was not ok, by probe, outcome and the node's word, from the CSV.
          const csv = await slack.waitFor(
            () => slack.replies(parent.ts).find((m) => m.files?.some((f) => f.filename.endsWith('.csv'))),
            60_000,
            'the CSV',
          );
          const rows = csv.files![0]!.bytes!.toString('utf8').trim().split('\n');
          const header = rows[0]!.split(',');
          const counts = new Map<string, number>();
          for (const row of rows.slice(1)) {
            const c = row.split(',');
            for (let i = 2; i < c.length; i += 2)
              if (c[i] && c[i] !== 'ok')
                counts.set(
                  `${header[i]}=${c[i]}:${c[i + 1]}`,
                  (counts.get(`${header[i]}=${c[i]}:${c[i + 1]}`) ?? 0) + 1,
                );
          }
          const top = [...counts].sort((a, b) => b[1] - a[1]).slice(0, 8);
          console.error(
            `warning: the ${n}-node mesh was not all ok: ${summary?.text.split('\n')[0]}; ${top.map(([k, v]) => `${k} ×${v}`).join(', ')}`,
          );
        }
        void picture;
        return elapsed;
      };
      const cold = await mesh();
      const samples: number[] = [];
      for (let i = 0; i < RUNS; i++) samples.push(await mesh());
      const { median, p95 } = stats(samples);
      let rss = 0;
      for (const role of roles) rss += await peakMb(role.child.pid!);
      say(
        `mesh ${n} nodes: median ${Math.round(median)} ms, p95 ${Math.round(p95)} ms, rss ${Math.round(rss)} MB`,
      );
      say(`mesh ${n} nodes cold: ${Math.round(cold)} ms`);
      if (!allOk) say(`  (${n} nodes: not every cell was ok in every run; see the warnings above)`);
    } finally {
      for (const role of roles) await stopRole(role);
    }

    if (n === 50) {
      const ansible = await exec('sh', ['-c', 'command -v ansible']).then(
        () => true,
        () => false,
      );
      if (!ansible) {
        say(`ansible ${n} nodes: skipped (ansible is not installed; apt-get install ansible to compare)`);
      } else {
        // The same probes, every node to every node, as one script per node run by Ansible ad-hoc.
        const peers = lab.specs.map((s) => ({
          name: s.name,
          host: s.host,
          ...overlayAddresses(s.podSubnet),
        }));
        const apiServer = { host: lab.specs[0]!.host, port: 6443 };
        const script = path.join(dir, 'mesh-probe.sh');
        await writeFile(script, buildPairProbeScript(meshTargets('', peers, apiServer)).command.text);
        const inv = path.join(dir, 'ansible.ini');
        await writeFile(
          inv,
          `[lab]\n${lab.specs.map((s) => `${s.host} ansible_user=root ansible_ssh_private_key_file=${lab.privateKeyPath}`).join('\n')}\n`,
        );
        const env = {
          ...process.env,
          ANSIBLE_HOST_KEY_CHECKING: 'True',
          ANSIBLE_SSH_ARGS: `-o UserKnownHostsFile=${lab.knownHostsPath} -o ControlMaster=no`,
          ANSIBLE_PYTHON_INTERPRETER: 'auto_silent',
        };
        const samples: number[] = [];
        for (let i = 0; i < Math.min(RUNS, 3); i++) {
          t = performance.now();
          await exec('ansible', ['lab', '-i', inv, '-f', '20', '-m', 'script', '-a', script], {
            env,
            maxBuffer: 64 << 20,
          });
          samples.push(performance.now() - t);
        }
        const { median, p95 } = stats(samples);
        say(
          `ansible ${n} nodes (ad-hoc script module, forks 20): median ${Math.round(median)} ms, p95 ${Math.round(p95)} ms`,
        );
      }
    }
    t = performance.now();
    await labDown({ labId: LAB.labId });
    say(`lab down ${n} nodes: ${Math.round(performance.now() - t)} ms`);
  }
} finally {
  await labDown({ labId: LAB.labId }).catch((e: unknown) => console.error('lab down:', e));
  await slack.stop();
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
}
console.log(`\n${lines.join('\n')}\n${RUNS} warm runs per size; ${new Date().toISOString()}`);
