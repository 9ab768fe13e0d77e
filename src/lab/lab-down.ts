import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { unguardLabEgress } from './lab-egress-guard.js';
import { requireRoot, tryRun } from './lab-exec.js';
import { labNamespaces, netnsPids, readPid, signal } from './lab-process.js';
import { type LabRef, labStateDir } from './lab-state.js';

/** Removes everything a lab made, from names and the state dir, so it works after a crash half way. */
export async function labDown(opts: LabRef = {}): Promise<void> {
  requireRoot();
  const labId = opts.labId ?? 'nclab';
  const stateDir = labStateDir(opts);
  const namespaces = await labNamespaces(labId);
  // Every process inside a lab namespace (sshd, sessions, the API stand-in) goes first.
  for (const ns of namespaces) for (const pid of await netnsPids(ns)) signal(pid, 'SIGKILL');
  const apiPid = await readPid(path.join(stateDir, 'apiserver.pid'));
  if (apiPid) signal(apiPid, 'SIGKILL');
  for (const ns of namespaces) await tryRun(['ip', 'netns', 'del', ns]);
  const links = await tryRun(['ip', '-o', 'link', 'show']);
  for (const line of links.stdout.split('\n')) {
    const name = /^\d+:\s+([^:@\s]+)/.exec(line)?.[1];
    if (name && (name === `${labId}br` || new RegExp(`^${labId}[vt]\\d+$`).test(name)))
      await tryRun(['ip', 'link', 'del', name]);
  }
  // Only now: with the namespaces and the bridge gone, nothing can send through the rules.
  await unguardLabEgress(labId);
  if (existsSync(path.join(stateDir, 'ns'))) {
    const mounts = await readFile('/proc/self/mounts', 'utf8');
    const mine = mounts
      .split('\n')
      .map((l) => l.split(' ')[1] ?? '')
      .filter((m) => m.startsWith(path.join(stateDir, 'ns')))
      .sort((a, b) => b.length - a.length);
    for (const m of mine) await tryRun(['umount', '-l', m]);
  }
  await rm(stateDir, { recursive: true, force: true });
}
