import type { ClientChannel } from 'ssh2';

export interface ExecOptions {
  readonly timeoutMs: number;
  /** Per stream; the rest is discarded, not buffered. Default 256 KiB. */
  readonly maxOutputBytes?: number;
  /**
   * Read-only commands only (the probes): when the command fails because a pooled connection that
   * served earlier commands turns out to be dead (the node's sshd restarted, the node rebooted), run
   * it once more on a fresh connection before reporting anything. Never for a remediation step: a
   * command that may have started must not run twice.
   */
  readonly retryOnStaleConnection?: boolean;
  /** Written to the command's stdin, which is then closed: how a secret reaches a node off its process list. */
  readonly stdin?: string;
  /** Each chunk of stdout as it arrives (the result still has all of it, as capped). */
  readonly onStdout?: (chunk: Buffer) => void;
  /**
   * The line (newline included) a command prints as its very last step, and only then: once stdout
   * ends with it, its output is all in and the result is returned, with exit status 0, without
   * waiting for the remote shells to exit and the channel to close (a few ms on an idle node, more
   * on a busy one). What the command might write after it is not read.
   */
  readonly lastLine?: string;
}

export interface ExecResult {
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly truncated: boolean;
  readonly timedOut: boolean;
  readonly durationMs: number;
}

/** Exit statuses seen before collectOutput listened (see watchExit). */
const exits = new WeakMap<ClientChannel, { code: number | null; signal: string | null }>();

/**
 * To be called in the exec callback, before anything else: ssh2 emits 'exit' as it parses, and a
 * fast command's exit status can come in the same packet as the exec's confirmation, so it is
 * emitted before a listener added after an `await` (output is not lost that way: the stream is
 * paused until read, and 'close' comes only after everything was read).
 */
export function watchExit(stream: ClientChannel): void {
  stream.once('exit', (code: number | null, signal?: string) => {
    exits.set(stream, { code: typeof code === 'number' ? code : null, signal: signal ?? null });
  });
}

/** How long past its remote `timeout` a command may take before the link itself is presumed dead. */
const LOCAL_DEADLINE_SLACK_MS = 2000;

/** A command's result, and whether its channel was still open when the result was in (`lastLine`). */
export interface Collected {
  readonly result: ExecResult;
  /** Settles when the channel closes; undefined when it already had when the result was in. */
  readonly closing?: Promise<void>;
}

/**
 * Reads one exec channel to its end (or to `lastLine`): stdout and stderr each capped at
 * `maxOutputBytes`, and a local deadline in case the remote `timeout` never reports back. Never
 * rejects: a dead channel is a timed-out result. `monotonicMs` measures the duration from `startedMs`.
 */
export function collectOutput(
  stream: ClientChannel,
  opts: ExecOptions,
  startedMs: number,
  monotonicMs: () => number,
): Promise<Collected> {
  const cap = opts.maxOutputBytes ?? 256 * 1024;
  const last = opts.lastLine === undefined ? undefined : Buffer.from(opts.lastLine, 'utf8');
  // Listened to from the start: ssh2 may emit the close in the same tick as the last data.
  const closed = last && new Promise<void>((resolve) => stream.once('close', () => resolve()));
  let tail = Buffer.alloc(0);
  return new Promise<Collected>((resolve) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let truncated = false;
    let timedOut = false;
    let settled = false;
    const collect = (chunks: Buffer[], size: number, chunk: Buffer): number => {
      const room = cap - size;
      if (room <= 0) {
        truncated = true;
        return size;
      }
      if (chunk.length > room) truncated = true;
      chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
      return size + Math.min(chunk.length, room);
    };
    stream.on('data', (chunk: Buffer) => {
      outBytes = collect(out, outBytes, chunk);
      opts.onStdout?.(chunk);
      if (!last || settled) return;
      tail = Buffer.concat([tail, chunk.subarray(Math.max(0, chunk.length - last.length))]);
      tail = tail.subarray(Math.max(0, tail.length - last.length));
      if (tail.equals(last)) finish(0, null, true);
    });
    stream.stderr.on('data', (chunk: Buffer) => {
      errBytes = collect(err, errBytes, chunk);
    });
    const finish = (exitCode: number | null, signal: string | null, open = false) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      const result: ExecResult = {
        exitCode,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        truncated,
        // 124 is timeout(1)'s own exit code, 137 its SIGKILL after --kill-after.
        timedOut: timedOut || exitCode === 124 || exitCode === 137,
        durationMs: Math.round(monotonicMs() - startedMs),
      };
      resolve(open && closed ? { result, closing: closed } : { result });
    };
    const deadline = setTimeout(() => {
      timedOut = true;
      stream.close();
      finish(null, 'deadline');
    }, opts.timeoutMs + LOCAL_DEADLINE_SLACK_MS);
    // Output can still arrive after 'exit'; only 'close' means everything is in.
    let exitCode: number | null = null;
    let exitSignal: string | null = null;
    stream.on('exit', (code: number | null, signal?: string) => {
      exitCode = typeof code === 'number' ? code : null;
      exitSignal = signal ?? null;
    });
    stream.on('close', () => {
      const early = exits.get(stream);
      finish(early?.code ?? exitCode, early ? early.signal : exitSignal);
    });
    if (opts.stdin !== undefined) stream.end(opts.stdin);
  });
}
