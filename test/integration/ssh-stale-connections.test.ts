import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { addFault, clearFault, nodeRun, startSshd, stopSshd } from '../../src/lab/lab.js';
import { type Harness, messageText, startHarness } from '../support/netcheck-harness.js';

const ROUNDS = 10;

/**
 * A node's sshd restarting between two commands (a reboot, an upgrade) kills the pooled
 * connections: the next `/netcheck` must still give the right answer, never `unknown` or
 * `node-unreachable`, because a read-only probe that fails on a reused connection is retried once on
 * a fresh one.
 */
describe('stale SSH connections: every sshd restarted right before a command', () => {
  let h: Harness;

  before(async () => {
    h = await startHarness({ labId: 'ncstale', netIndex: 77 });
  });
  after(async () => {
    await h?.close();
  });

  /**
   * Restarts every node's sshd the way a reboot does it: the sessions vanish without a word (no FIN,
   * no RST reaches the worker, as when the kernel that held them is gone), so the worker's pooled
   * connections are half-open and find out only when the next command is sent (ECONNRESET).
   */
  const rebootEverySshd = async () => {
    const silence = [
      'OUTPUT',
      '-p',
      'tcp',
      '--sport',
      '22',
      '-m',
      'comment',
      '--comment',
      'ncstale-reboot',
      '-j',
      'DROP',
    ];
    await Promise.all(
      h.lab.specs.map(async (spec) => {
        await nodeRun(h.lab, spec.name, ['iptables', '-I', ...silence]);
        try {
          await stopSshd(h.lab, spec);
          // The killed sessions' sockets linger (FIN-WAIT) and would tell the worker later: forget them.
          await nodeRun(h.lab, spec.name, ['ss', '-K', '-t', '-n', 'sport = :22']);
        } finally {
          await nodeRun(h.lab, spec.name, ['iptables', '-D', ...silence]);
        }
        await startSshd(h.lab, spec);
      }),
    );
  };

  /** The catalog ids a report shows (run and plan ids left out). */
  const verdictOf = (text: string): string[] =>
    [...text.matchAll(/`([a-z][a-z0-9-]+)`/g)].map((m) => m[1]!).filter((id) => !/^(run|plan)-/.test(id));
  const staleRetries = () => h.logLines.filter((l) => l.includes('a pooled SSH connection was dead')).length;

  it(`${ROUNDS} commands in a row, each right after every sshd restarted, all answered right`, async () => {
    // Warm the pool: every node has a connection that has run a command.
    const warm = await h.check('node-3');
    assert.match(messageText(warm.report), /`healthy`/);
    const answers: string[] = [];
    const retriesBefore = staleRetries();
    const fault = { id: 'icmp-blocked', node: 'cp-1' } as const;
    try {
      for (let round = 0; round < ROUNDS; round++) {
        // Every other round carries a fault, so that each answer is a fresh one.
        const faulty = round % 2 === 1;
        if (faulty) await addFault({ labId: h.lab.labId }, fault);
        await rebootEverySshd();
        const { report } = await h.check('node-3', { timeoutMs: 30_000 });
        const ids = verdictOf(messageText(report));
        const right =
          (faulty ? ids.includes('icmp-blocked') : ids.includes('healthy')) &&
          !ids.includes('node-unreachable') &&
          !/could not be made|Could not check|unknown/.test(messageText(report));
        answers.push(`${round + 1}: ${right ? 'right' : 'WRONG'} (${[...new Set(ids)].join(', ')})`);
        if (faulty) await clearFault({ labId: h.lab.labId }, fault);
      }
    } finally {
      await clearFault({ labId: h.lab.labId }, fault).catch(() => undefined);
    }
    console.log(`sshd restarted before each of ${ROUNDS} commands:\n${answers.join('\n')}`);
    const right = answers.filter((a) => a.includes(': right ')).length;
    assert.equal(right, ROUNDS, answers.join('\n'));
    // The restarts did leave dead connections in the pool (the test tests something): every round
    // retried at least one probe bundle on a fresh connection.
    assert.ok(
      staleRetries() - retriesBefore >= ROUNDS,
      `only ${staleRetries() - retriesBefore} stale retries`,
    );
  });
});
