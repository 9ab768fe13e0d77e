import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { freePort } from '../test/support/free-port.js';

/** A netcheck role in its own process, as `npm start` runs it, on a free PORT. */
export interface RoleProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly port: number;
  output: string;
}

/**
 * Starts `node <flags> <cli> start` with only the environment given (no NODE_OPTIONS, no tsx) and
 * resolves once it logs "netcheck started"; its last output is kept for the error if it does not.
 */
export async function startRole(
  name: string,
  env: Record<string, string>,
  launch: { readonly cli: string; readonly flags: readonly string[] },
): Promise<RoleProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [...launch.flags, launch.cli, 'start'], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LOG_LEVEL: 'info', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const role: RoleProcess = { name, child, port, output: '' };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name} did not start in 30 s:\n${role.output}`)),
      30_000,
    );
    const onData = (chunk: Buffer) => {
      role.output = (role.output + chunk.toString()).slice(-20_000);
      if (role.output.includes('"netcheck started"')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before it started:\n${role.output}`));
    });
  });
  return role;
}

export async function stopRole(role: RoleProcess): Promise<void> {
  if (role.child.exitCode !== null) return;
  role.child.kill('SIGTERM');
  await once(role.child, 'exit');
}
