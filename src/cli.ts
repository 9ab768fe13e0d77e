#!/usr/bin/env node
import { ConfigError } from './config/config-error.js';
import { checkNodeVersion } from './core/node-version.js';

// Before anything that loads a dependency: on an old Node.js, undici dies at import time with a
// stack trace (`File is not defined`), so main.js is imported only once the version is known good.
const nodeTooOld = checkNodeVersion(process.versions.node);
if (nodeTooOld) {
  console.error(nodeTooOld);
  process.exit(2);
}

const USAGE = `usage: netcheck [start]                 run the bot and/or worker (NETCHECK_ROLE)
       netcheck lab <command> …          the network-namespace test cluster (see README "The lab")
       netcheck audit export|verify …    read the audit log (see README "Audit trail")`;

/**
 * Resolves on the first SIGTERM or SIGINT. Stopping a worker lets its running steps finish (a
 * `kubeadm reset` is not cut half way), which can take minutes; a second signal stops at once.
 */
function untilSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    const first = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', first);
      process.off('SIGINT', first);
      process.once('SIGTERM', () => process.exit(143));
      process.once('SIGINT', () => process.exit(130));
      console.error(
        `netcheck: ${signal}: stopping; running steps are let finish first (send the signal again to stop at once)`,
      );
      resolve();
    };
    process.on('SIGTERM', first);
    process.on('SIGINT', first);
  });
}

async function run(argv: string[]): Promise<number> {
  const [command = 'start', ...rest] = argv;
  if (command === 'start') {
    const env = process.env;
    if (!env.SLACK_BOT_TOKEN && !env.SLACK_APP_TOKEN && (env.NETCHECK_ROLE ?? 'all') !== 'worker') {
      // No Slack configured: the local mode, with its own console standing in for Slack.
      const [{ startLocalMode }, { createLogger }] = await Promise.all([
        import('./local/local-mode.js'),
        import('./log/create-logger.js'),
      ]);
      console.log('netcheck: no SLACK_BOT_TOKEN, starting the local mode');
      const local = await startLocalMode({
        env,
        port: Number(env.PORT ?? 3000),
        logger: createLogger(env.LOG_LEVEL ?? 'warn', { role: 'local' }),
        say: (line) => console.log(`  ${line}`),
      });
      await untilSignal();
      console.log('netcheck: stopping the local mode and removing what it started…');
      await local.stop();
      return 0;
    }
    const { startNetcheck } = await import('./main.js');
    const app = await startNetcheck(env);
    await untilSignal();
    await app.stop();
    return 0;
  }
  if (command === 'lab') {
    const { runLabCli } = await import('./lab/lab-cli.js');
    return runLabCli(rest);
  }
  if (command === 'audit') {
    const { runAuditCli } = await import('./roles/audit-cli.js');
    return runAuditCli(rest, process.env, (text) => process.stdout.write(text));
  }
  if (command === 'help' || command === '--help' || command === '-h') {
    console.log(USAGE);
    return 0;
  }
  console.error(`netcheck: unknown command "${command}"\n${USAGE}`);
  return 2;
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    const e = error as { code?: string; message?: string };
    console.error(`netcheck: ${e.message ?? String(error)}${e.code ? ` [${e.code}]` : ''}`);
    process.exit(1);
  },
);
