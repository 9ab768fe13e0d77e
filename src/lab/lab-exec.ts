import { execFile } from 'node:child_process';

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export class LabError extends Error {
  readonly code = 'lab-error';
}

/** Runs a program with an argv array (never a shell string) and a deadline. */
export function run(
  argv: readonly string[],
  opts: { input?: string; timeoutMs?: number; check?: boolean } = {},
): Promise<RunResult> {
  const [file, ...args] = argv;
  return new Promise((resolve, reject) => {
    const child = execFile(
      file!,
      args,
      { timeout: opts.timeoutMs ?? 20_000, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const code = error
          ? typeof (error as { code?: unknown }).code === 'number'
            ? (error as { code: number }).code
            : 1
          : 0;
        if (code !== 0 && opts.check !== false) {
          reject(
            new LabError(
              `lab: \`${argv.join(' ')}\` failed (exit ${code}): ${stderr.trim() || stdout.trim() || (error as Error).message}`,
            ),
          );
          return;
        }
        resolve({ code, stdout, stderr });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** `run` without failing: for clean-up steps whose target may already be gone. */
export const tryRun = (argv: readonly string[], opts: { input?: string; timeoutMs?: number } = {}) =>
  run(argv, { ...opts, check: false });

export function requireRoot(): void {
  if (process.getuid?.() !== 0) {
    throw new LabError(
      'the lab needs root: it creates network namespaces, veth links and iptables rules (run it as root, e.g. with sudo)',
    );
  }
}
