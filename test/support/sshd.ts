import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port.js';

const run = promisify(execFile);

export interface TestSshd {
  readonly host: string;
  readonly port: number;
  readonly dir: string;
  readonly privateKey: string;
  /** `[127.0.0.1]:port ssh-ed25519 AAAA…` */
  readonly knownHostsLine: string;
  stop(): Promise<void>;
}

async function waitForPort(host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; attempt < 200; attempt++) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ host, port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`sshd did not listen on ${host}:${port} within ${timeoutMs} ms`);
}

export interface StartSshdOptions {
  readonly hostKeyType?: 'ed25519' | 'ecdsa';
  /** sshd's MaxSessions: channels open at once per connection (OpenSSH's default is 10). */
  readonly maxSessions?: number;
}

/** A real OpenSSH sshd on a free loopback port with generated host and user keys. */
export async function startSshd(opts: StartSshdOptions = {}): Promise<TestSshd> {
  const dir = await mkdtemp(path.join(tmpdir(), 'netcheck-sshd-'));
  const port = await freePort();
  const host = '127.0.0.1';
  const type = opts.hostKeyType ?? 'ed25519';
  await mkdir('/run/sshd', { recursive: true });
  await run('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', path.join(dir, 'host_key')]);
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'user_key')]);
  await writeFile(path.join(dir, 'authorized_keys'), await readFile(path.join(dir, 'user_key.pub')));
  const config = [
    `Port ${port}`,
    `ListenAddress ${host}`,
    `HostKey ${path.join(dir, 'host_key')}`,
    `PidFile ${path.join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
    'PermitRootLogin prohibit-password',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'StrictModes no',
    'LogLevel ERROR',
    // Sessions run root's shell, and bash started by sshd reads ~/.bashrc only when it is a
    // top-level shell (SHLVL unset): a workstation's (pyenv's init cost 0.3 s of CPU per command
    // here) would otherwise be timed as the server's, as if every node ran it.
    'SetEnv SHLVL=1',
    ...(opts.maxSessions === undefined ? [] : [`MaxSessions ${opts.maxSessions}`]),
  ].join('\n');
  await writeFile(path.join(dir, 'sshd_config'), `${config}\n`);
  const child: ChildProcess = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', path.join(dir, 'sshd_config')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort(host, port, 10_000);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n${stderr}`);
  }
  const pub = (await readFile(path.join(dir, 'host_key.pub'), 'utf8')).trim().split(/\s+/);
  return {
    host,
    port,
    dir,
    privateKey: await readFile(path.join(dir, 'user_key'), 'utf8'),
    knownHostsLine: `[${host}]:${port} ${pub[0]} ${pub[1]}`,
    stop,
  };
}
