import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readPid, signal, sleep, waitForTcp } from './lab-process.js';
import type { LabState } from './lab-state.js';

/** The stand-in's source next to this file (.ts under tsx, .js once built). */
const STANDIN = fileURLToPath(
  new URL(`./apiserver-standin${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url),
);

/** Starts the API stand-in detached in the control plane's network namespace; waits for :6443. */
export async function startApiServer(state: LabState): Promise<void> {
  const cp = state.specs[0]!;
  const log = path.join(state.stateDir, 'apiserver-standin.log');
  const fd = openSync(log, 'a');
  const child = spawn(
    'nsenter',
    [
      `--net=/run/netns/${cp.netns}`,
      '--',
      process.execPath,
      ...process.execArgv.filter((a) => !a.startsWith('--test')),
      STANDIN,
      state.stateDir,
    ],
    {
      detached: true,
      stdio: ['ignore', fd, fd],
    },
  );
  child.unref();
  await writeFile(path.join(state.stateDir, 'apiserver.pid'), String(child.pid));
  await waitForTcp(cp.host, 6443, 15_000);
}

export async function stopApiServer(state: LabState): Promise<void> {
  const pid = await readPid(path.join(state.stateDir, 'apiserver.pid'));
  if (pid) signal(pid, 'SIGKILL');
  for (let i = 0; i < 100 && (await readPid(path.join(state.stateDir, 'apiserver.pid'))); i++)
    await sleep(20);
}
