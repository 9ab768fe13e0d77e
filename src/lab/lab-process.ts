import { readdir, readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { LabError, tryRun } from './lab-exec.js';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The live process a pid file names, or undefined (no file, garbage, or the process is gone). */
export async function readPid(file: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(file, 'utf8')).trim());
    if (!Number.isInteger(pid) || pid <= 1) return undefined;
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/** Sends a signal to a process that may already have exited. */
export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

export async function waitForTcp(host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 400 && Date.now() < deadline; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host, port, timeout: 500 });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
      s.once('timeout', () => {
        s.destroy();
        resolve(false);
      });
    });
    if (ok) return;
    await sleep(20);
  }
  throw new LabError(`nothing answered on ${host}:${port} within ${timeoutMs} ms`);
}

/** Network namespaces whose name starts with "<labId>-": the nodes' and their pods'. */
export async function labNamespaces(labId: string): Promise<string[]> {
  const { stdout } = await tryRun(['ip', 'netns', 'list']);
  return stdout
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n.startsWith(`${labId}-`));
}

/** Every process attached to a network namespace. */
export async function netnsPids(netns: string): Promise<number[]> {
  const { stdout } = await tryRun(['ip', 'netns', 'pids', netns]);
  return stdout
    .split('\n')
    .map(Number)
    .filter((n) => n > 1);
}

/** Parent pid of every process, from /proc/<pid>/stat (the field after the parenthesised name). */
async function parentPids(): Promise<Map<number, number>> {
  const parents = new Map<number, number>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // The name may hold spaces and parentheses; the fields after its last ")" are fixed.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (Number.isInteger(ppid)) parents.set(Number(entry), ppid);
  }
  return parents;
}

/** Every descendant of pid (children, their children, …), from one snapshot of /proc. */
export async function descendantsOf(pid: number): Promise<number[]> {
  const children = new Map<number, number[]>();
  for (const [child, parent] of await parentPids())
    children.set(parent, [...(children.get(parent) ?? []), child]);
  const found: number[] = [];
  const queue = [...(children.get(pid) ?? [])];
  while (queue.length > 0) {
    const next = queue.shift()!;
    found.push(next);
    queue.push(...(children.get(next) ?? []));
  }
  return found;
}

/**
 * Kills a process and its whole tree, whatever the processes are called. Every process found is
 * stopped first, so none can fork or be re-parented away between a snapshot and the kill; the tree
 * is read again until it holds no new pid (a child forked just before its parent stopped).
 */
export async function killTree(root: number): Promise<void> {
  const stopped = new Set<number>([root]);
  signal(root, 'SIGSTOP');
  for (let round = 0; round < 50; round++) {
    const fresh = (await descendantsOf(root)).filter((p) => !stopped.has(p));
    if (fresh.length === 0) break;
    for (const p of fresh) {
      signal(p, 'SIGSTOP');
      stopped.add(p);
    }
  }
  for (const p of stopped) signal(p, 'SIGKILL');
}
