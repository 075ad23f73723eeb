import { EXPORT_LIMITS } from '../../src-contracts/files';
import { ExportError, type ExportBundle } from '../../src-engine/core/export/bundle';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { EXPORT_TEMP, ExportStream, writeExport, type ExportFileSize } from '../../src-engine/node/export-writer';
import { processAlive } from './file-lock';
import { FileError, isPlainName, type FilePaths } from './file-paths';

/**
 * Exports written for the renderer, whole or in parts (`stage`, then `write` with the staging id):
 * atomically (src-engine/node/export-writer.ts), and in web mode into `<workspace>/exports/` under
 * a name not taken yet.
 */
export class ExportFiles {
  /** Exports arriving in parts (`stage`), by staging id: each file's bytes so far. */
  private readonly staging = new Map<string, { files: Map<string, Buffer[]>; bytes: number; touched: number }>();
  /** Exports streamed to disk (`begin`, `append`, `commit`), by id: the part due next and where it goes. */
  private readonly streams = new Map<string, { stream: ExportStream; next: number; touched: number; path: string; full: string }>();

  constructor(private readonly paths: FilePaths) {}

  /**
   * Write an export atomically (src-engine/node/export-writer.ts: a temp file or folder, then a
   * rename; nothing the exporter did not write is ever replaced). Web mode: `target` is a plain
   * name, written into `<workspace>/exports/` under a name not taken yet (`net.onnx`, then
   * `net (2).onnx`…), so nothing is overwritten. Electron: the path its export dialog granted,
   * where the dialog already confirmed replacing a file; a folder holding anything but an earlier
   * export is refused. Answers where, as shown (`path`) and in full (`full`, for "show in folder").
   */
  async write(target: string, kind: 'file' | 'folder', files: { path: string; data: string }[], staged: string | null = null): Promise<{ path: string; full: string }> {
    const parts = staged === null ? { files: new Map<string, Buffer[]>(), bytes: 0, touched: 0 } : this.staging.get(staged);
    if (!parts) throw new FileError('E_FILE_BAD_REQUEST', 'That export is not in progress; export again.');
    if (staged !== null) this.staging.delete(staged);
    addExportParts(parts, files);
    const bundle: ExportBundle = { kind, files: [...parts.files].map(([p, chunks]) => ({ path: p, data: new Uint8Array(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)) })) };
    if (kind === 'file' && bundle.files.length !== 1) throw new FileError('E_FILE_CONTENT', 'A single-file export has exactly one file.');
    const web = this.paths.workspaceDir !== undefined;
    const abs = web ? await this.freeExportPath(target) : this.paths.resolve(target);
    await this.paths.confine(abs);
    try {
      writeExport(bundle, abs, { force: !web });
    } catch (e) {
      if (e instanceof ExportError) throw new FileError(e.code, this.paths.redact(e.message));
      throw e;
    }
    return { path: this.paths.display(abs), full: abs };
  }

  /**
   * Add pieces of an export's files (base64) under staging id `id` (src-contracts/files.ts
   * exportCalls); `write` with the id writes them. Bounded: EXPORT_LIMITS.bytes per export,
   * a few exports at once, and one untouched for ten minutes is dropped.
   */
  stage(id: string, files: { path: string; data: string }[]): void {
    const now = Date.now();
    for (const [k, v] of this.staging) if (now - v.touched > 10 * 60_000) this.staging.delete(k);
    let s = this.staging.get(id);
    if (!s) {
      if (this.staging.size >= 4) throw new FileError('E_FILE_BAD_REQUEST', 'Too many exports are in progress; wait for one to finish.');
      s = { files: new Map(), bytes: 0, touched: now };
      this.staging.set(id, s);
    }
    s.touched = now;
    try {
      addExportParts(s, files);
    } catch (e) {
      this.staging.delete(id);
      throw e;
    }
  }

  /**
   * Start an export that arrives in parts (any size: a PyTorch project of a fine-tuned resnet18 is
   * 500 MB): the target as `write` takes it, the files' paths and sizes in the order their parts
   * come. The parts go straight to a temp file or folder beside the target (ExportStream), never
   * held in memory whole. Answers the id `append`, `commit` and `cancel` name. At most a few at
   * once; one untouched for ten minutes is removed.
   */
  async begin(target: string, kind: 'file' | 'folder', files: ExportFileSize[]): Promise<{ id: string }> {
    const now = Date.now();
    for (const [k, v] of this.streams) if (now - v.touched > 10 * 60_000) this.drop(k);
    if (this.streams.size >= 4) throw new FileError('E_FILE_BAD_REQUEST', 'Too many exports are in progress; wait for one to finish.');
    const total = files.reduce((a, f) => a + f.bytes, 0);
    if (total > EXPORT_LIMITS.streamBytes) throw new FileError('E_FILE_TOO_LARGE', `The export is over ${EXPORT_LIMITS.streamBytes / 2 ** 30} GiB, the most Netwright writes.`);
    const web = this.paths.workspaceDir !== undefined;
    const abs = web ? await this.freeExportPath(target) : this.paths.resolve(target);
    await this.paths.confine(abs);
    const stream = this.exportCall(() => ExportStream.open(abs, kind, files, !web));
    const id = randomBytes(16).toString('hex');
    this.streams.set(id, { stream, next: 0, touched: now, path: this.paths.display(abs), full: abs });
    return { id };
  }

  /**
   * Part `seq` (0, 1, 2… in the order sent) of export `id`: the next bytes (base64) of file
   * `path`. A part that is not the one due — lost, repeated or overtaken — ends the export with
   * `E_EXPORT_CHUNK_ORDER` and removes what was written, as does any failure (disk full).
   */
  append(id: string, seq: number, path: string, data: string): void {
    const s = this.streamFor(id);
    if (seq !== s.next) {
      this.drop(id);
      throw new FileError('E_EXPORT_CHUNK_ORDER', `Part ${seq} of the export arrived where part ${s.next} was due; the partial export was removed. Export again.`);
    }
    s.next++;
    s.touched = Date.now();
    try {
      this.exportCall(() => s.stream.append(path, Buffer.from(data, 'base64')));
    } catch (e) {
      this.streams.delete(id);
      throw e;
    }
  }

  /** Put export `id` in place once every part has come; answers where, as `write` does. */
  commit(id: string): { path: string; full: string } {
    const s = this.streamFor(id);
    this.streams.delete(id);
    this.exportCall(() => s.stream.commit());
    return { path: s.path, full: s.full };
  }

  /** Cancel export `id`: what was written is removed. An export no longer in progress is no error. */
  cancel(id: string): void {
    this.drop(id);
  }

  private streamFor(id: string) {
    const s = this.streams.get(id);
    if (!s) throw new FileError('E_FILE_BAD_REQUEST', 'That export is not in progress (it failed, was cancelled or was left too long); export again.');
    return s;
  }

  private drop(id: string): void {
    this.streams.get(id)?.stream.abort();
    this.streams.delete(id);
  }

  /** Run an ExportStream step, its ExportError as the file channel's coded error (paths redacted). */
  private exportCall<T>(step: () => T): T {
    try {
      return step();
    } catch (e) {
      if (e instanceof ExportError) throw new FileError(e.code, this.paths.redact(e.message));
      throw e;
    }
  }

  /**
   * Web mode: remove what exports interrupted by a crash left in `exports/` — temp files and
   * folders (EXPORT_TEMP) of a process no longer running; never an earlier export, nor another
   * running host's export in progress. Answers what was removed.
   */
  async cleanupPartial(): Promise<string[]> {
    if (this.paths.workspaceDir === undefined) return [];
    const dir = this.paths.resolve('exports');
    const removed: string[] = [];
    for (const e of await fs.readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const m = EXPORT_TEMP.exec(e.name);
      if (!m || !(e.isFile() || e.isDirectory())) continue;
      const pid = Number(m[1]);
      if (pid !== process.pid && processAlive(pid)) continue;
      const p = path.join(dir, e.name);
      if (await fs.rm(p, { recursive: true }).then(() => true, () => false)) removed.push(p);
    }
    return removed;
  }

  /** Web mode: `<workspace>/exports/<name>`, or `<stem> (2)<ext>`… when that is taken. */
  private async freeExportPath(name: string): Promise<string> {
    if (!isPlainName(name)) throw new FileError('E_FILE_PATH', 'An export is named by a plain file name (no folders, not "." or "..").');
    return this.paths.freeName(this.paths.resolve('exports'), name);
  }
}

/** Append pieces (base64) to an export's files, within EXPORT_LIMITS. */
function addExportParts(parts: { files: Map<string, Buffer[]>; bytes: number }, files: { path: string; data: string }[]): void {
  for (const f of files) {
    const data = Buffer.from(f.data, 'base64');
    parts.bytes += data.length;
    if (parts.bytes > EXPORT_LIMITS.bytes) throw new FileError('E_FILE_TOO_LARGE', `The export is over ${EXPORT_LIMITS.bytes / 2 ** 20} MiB, the most Netwright writes.`);
    const list = parts.files.get(f.path);
    if (list) list.push(data);
    else if (parts.files.size >= 64) throw new FileError('E_FILE_CONTENT', 'An export holds up to 64 files.');
    else parts.files.set(f.path, [data]);
  }
}
