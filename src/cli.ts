#!/usr/bin/env node
import { ConfigError } from './config/config-error.js';
import { startNetcheck } from './main.js';

const USAGE = `usage: netcheck [start]                 run the bot and/or worker (NETCHECK_ROLE)
       netcheck lab <command> …          the network-namespace test cluster (see README "The lab")
       netcheck audit export|verify …    read the audit log (see README "Audit trail")`;

async function run(argv: string[]): Promise<number> {
  const [command = 'start', ...rest] = argv;
  if (command === 'start') {
    const app = await startNetcheck(process.env);
    await new Promise<void>((resolve) => {
      const shutdown = () => resolve();
      process.once('SIGTERM', shutdown);
      process.once('SIGINT', shutdown);
    });
    await app.stop();
    return 0;
  }
  if (command === 'lab') {
    const { runLabCli } = await import('./lab/lab-cli.js');
    return runLabCli(rest);
  }
  if (command === 'audit') {
    const { runAuditCli } = await import('./audit/audit-cli.js');
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
