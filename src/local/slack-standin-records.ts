import type { FakeFile } from './slack-files-standin.js';

/** What the Slack stand-in records: every call, every message, and failures injected on demand. */

export interface RecordedCall {
  readonly method: string;
  readonly params: Record<string, unknown>;
  readonly token: string | undefined;
  /** What the fake answered: 'ok', an error code, or an HTTP status like 'http-429'. */
  readonly outcome: string;
}

export interface FakeMessage {
  readonly channel: string;
  readonly ts: string;
  readonly threadTs: string | undefined;
  text: string;
  blocks: unknown[];
  readonly metadata: { event_type?: string; event_payload?: Record<string, unknown> } | undefined;
  edits: number;
  /** Files shared with this message (files.completeUploadExternal). */
  readonly files?: readonly FakeFile[];
}

export type InjectedFailure =
  | { readonly status: 429; readonly retryAfter: number }
  /** `applied`: Slack did the work but the answer was lost (a 5xx or a dropped connection after the post). */
  | { readonly status: 500; readonly applied?: boolean }
  | { readonly error: string };
