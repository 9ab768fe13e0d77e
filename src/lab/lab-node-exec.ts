import { LabError, type RunResult, run, tryRun } from './lab-exec.js';
import { type LabState, nsFile } from './lab-state.js';

type NodeRef = Pick<LabState, 'stateDir' | 'specs'>;

/** Runs argv inside a node: its network, mount and UTS namespaces. */
export function nodeArgv(state: NodeRef, node: string, argv: readonly string[]): string[] {
  const spec = state.specs.find((s) => s.name === node);
  if (!spec)
    throw new LabError(`no node "${node}" in this lab (nodes: ${state.specs.map((s) => s.name).join(', ')})`);
  return [
    'nsenter',
    `--net=/run/netns/${spec.netns}`,
    `--mount=${nsFile(state, node, 'mnt')}`,
    `--uts=${nsFile(state, node, 'uts')}`,
    '--',
    ...argv,
  ];
}

/** Runs argv in a node and returns its exit status and output, failing or not. */
export async function labExec(
  state: NodeRef,
  node: string,
  argv: readonly string[],
  opts: { input?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  return tryRun(nodeArgv(state, node, argv), opts);
}

/** Runs argv in a node; a non-zero exit is a LabError. */
export async function nodeRun(
  state: NodeRef,
  node: string,
  argv: readonly string[],
  input?: string,
): Promise<RunResult> {
  return run(nodeArgv(state, node, argv), input === undefined ? {} : { input });
}

/** Writes a file as the node sees it (through its overlays), making its directory first. */
export async function writeNodeFile(
  state: NodeRef,
  node: string,
  file: string,
  content: string,
): Promise<void> {
  await nodeRun(state, node, ['sh', '-c', 'mkdir -p "$(dirname "$1")" && cat > "$1"', 'sh', file], content);
}
