import type { RemoteCommand } from '../ssh/remote-command.js';
import type { SshTarget } from '../ssh/ssh-target.js';

export interface ProbeExecResult {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly truncated: boolean;
  readonly timedOut: boolean;
  readonly durationMs: number;
}

/** The slice of the SSH transport the collector needs; a test can pass anything with this shape. */
export interface ProbeTransport {
  connect(target: SshTarget): Promise<void>;
  /** How long the SSH handshake of the current connection to `target` took (ms), if known. */
  handshakeMs?(target: SshTarget): number | undefined;
  /** How long the TCP connect of that connection took (ms): one round trip to the node, if known. */
  connectRttMs?(target: SshTarget): number | undefined;
  exec(
    target: SshTarget,
    command: RemoteCommand,
    opts: {
      timeoutMs: number;
      maxOutputBytes?: number;
      retryOnStaleConnection?: boolean;
      onStdout?: (chunk: Buffer) => void;
      lastLine?: string;
    },
  ): Promise<ProbeExecResult>;
}
