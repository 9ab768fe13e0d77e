/** What one probe command produced on one node: raw, serialisable, so it can be recorded as a fixture. */
export interface ProbeOutput {
  readonly probe: string;
  readonly node: string;
  /** The exact command text that ran, shown as evidence. */
  readonly command: string;
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly truncated: boolean;
  readonly durationMs: number;
}
