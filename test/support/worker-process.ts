import { type ChildProcess, type StdioOptions, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Harness, TEST_PLAN_KEY } from './netcheck-harness.js';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

/**
 * A netcheck worker in its own process, as in production (another machine, another zone, or one
 * the test SIGKILLs mid-plan), wired to the harness' Redis, inventory and kubeconfig. It serves
 * /healthz and /metrics on PORT: any free port unless `env` names one, never the bot's.
 */
export function spawnWorker(
  h: Pick<Harness, 'redis' | 'inventoryPath' | 'dir'>,
  env: Record<string, string> = {},
  stdio: StdioOptions = 'ignore',
): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', CLI, 'start'], {
    env: {
      ...process.env,
      NETCHECK_ROLE: 'worker',
      NETCHECK_PLAN_KEY: TEST_PLAN_KEY,
      REDIS_URL: h.redis.url,
      NETCHECK_INVENTORY: h.inventoryPath,
      KUBECONFIG: path.join(h.dir, 'kubeconfig'),
      PORT: '0',
      LOG_LEVEL: 'silent',
      ...env,
    },
    stdio,
  });
}
