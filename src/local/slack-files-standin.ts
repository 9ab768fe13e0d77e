import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { safeJson } from './slack-request-body.js';

/** A file as the stand-in holds it: what files.getUploadURLExternal promised and what was POSTed. */
export interface FakeFile {
  readonly id: string;
  readonly filename: string;
  readonly length: number;
  bytes: Buffer | undefined;
  title: string | undefined;
  /** Set by files.completeUploadExternal: where it was shared. */
  shared: { channel: string; ts: string } | undefined;
}

/**
 * The files half of the Slack stand-in: Slack's external upload flow. `getUploadUrl` hands out a
 * loopback URL (`<base>/upload/<id>`) that takes the bytes; `complete` shares the files into a
 * channel or thread and is refused for a file whose bytes never arrived or did not match the
 * announced length, as Slack does. `<base>/files/<id>` serves the bytes back (the local console
 * shows the mesh picture from there).
 */
export class FakeFiles {
  readonly files = new Map<string, FakeFile>();
  private seq = 0;

  getUploadUrl(base: string, filename: string, length: number): { file_id: string; upload_url: string } {
    this.seq += 1;
    const id = `F${String(this.seq).padStart(8, '0')}`;
    this.files.set(id, { id, filename, length, bytes: undefined, title: undefined, shared: undefined });
    return { file_id: id, upload_url: `${base}upload/${id}` };
  }

  /** The bytes POSTed to an upload URL; false for an id that was never handed out. */
  receive(id: string, bytes: Buffer): boolean {
    const file = this.files.get(id);
    if (!file) return false;
    file.bytes = bytes;
    return true;
  }

  /** Checks the files of a completeUploadExternal call; an error code, or the files to share. */
  complete(list: unknown): { error: string } | { files: FakeFile[] } {
    const entries = Array.isArray(list) ? list : [];
    if (entries.length === 0) return { error: 'invalid_arguments' };
    const files: FakeFile[] = [];
    for (const entry of entries) {
      const { id, title } = (entry ?? {}) as { id?: unknown; title?: unknown };
      const file = typeof id === 'string' ? this.files.get(id) : undefined;
      if (!file?.bytes) return { error: 'file_not_found' };
      if (file.bytes.length !== file.length) return { error: 'file_upload_size_mismatch' };
      if (file.shared) return { error: 'file_already_completed' };
      file.title = typeof title === 'string' ? title : file.filename;
      files.push(file);
    }
    return { files };
  }

  /** How a shared file appears in a message (conversations.replies / history). */
  wire(file: FakeFile, base: string): Record<string, unknown> {
    return {
      id: file.id,
      name: file.filename,
      title: file.title,
      size: file.bytes?.length ?? 0,
      url_private: `${base}files/${file.id}`,
      sha256: file.bytes ? createHash('sha256').update(file.bytes).digest('hex') : undefined,
    };
  }

  /**
   * `POST /upload/<id>` takes a file's bytes, `GET /files/<id>` gives them back; false when the
   * request is for neither (the caller goes on with the Web API).
   */
  async serve(
    req: IncomingMessage,
    res: ServerResponse,
    onUpload: (id: string, ok: boolean) => void,
  ): Promise<boolean> {
    const m = /^\/(upload|files)\/(F[0-9]+)$/.exec(req.url ?? '');
    if (!m) return false;
    const id = m[2]!;
    if (m[1] === 'upload' && req.method === 'POST') {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const bytes = Buffer.concat(chunks);
      const ok = this.receive(id, bytes);
      onUpload(id, ok);
      res.writeHead(ok ? 200 : 404, { 'content-type': 'text/plain' });
      res.end(ok ? `OK - ${bytes.length}` : 'not found');
      return true;
    }
    const file = this.files.get(id);
    if (m[1] === 'files' && req.method === 'GET' && file?.bytes) {
      const type = file.filename.endsWith('.png') ? 'image/png' : 'text/csv; charset=utf-8';
      res.writeHead(200, { 'content-type': type, 'content-length': String(file.bytes.length) });
      res.end(file.bytes);
      return true;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
    return true;
  }

  /** files.getUploadURLExternal and files.completeUploadExternal, as Slack answers them. */
  answer(
    method: string,
    p: Record<string, unknown>,
    base: string,
    thread: {
      threadExists(channel: string, ts: string): boolean;
      share(channel: string, threadTs: string | undefined, text: string, files: FakeFile[]): string;
    },
  ): { error: string } | { body: Record<string, unknown> } {
    if (method === 'files.getUploadURLExternal') {
      const length = Number(p.length);
      if (!p.filename || !Number.isInteger(length) || length <= 0) return { error: 'invalid_arguments' };
      return { body: this.getUploadUrl(base, String(p.filename), length) };
    }
    const checked = this.complete(typeof p.files === 'string' ? safeJson(p.files) : p.files);
    if ('error' in checked) return checked;
    const channel = String(p.channel_id ?? '');
    if (!channel) return { error: 'channel_not_found' };
    const threadTs = p.thread_ts ? String(p.thread_ts) : undefined;
    if (threadTs && !thread.threadExists(channel, threadTs)) return { error: 'thread_not_found' };
    const ts = thread.share(channel, threadTs, String(p.initial_comment ?? ''), checked.files);
    for (const f of checked.files) f.shared = { channel, ts };
    return { body: { files: checked.files.map((f) => this.wire(f, base)) } };
  }
}
