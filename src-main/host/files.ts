import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { HostFile } from '../../src-contracts/host';
import { EXPORT_LIMITS, FILE_VALUE_LIMIT, FileMethods, UPLOAD_EXTENSIONS, UPLOAD_LIMITS, isFileMethod, type FileArgs, type FileMethod, type FileResult, type WriteCondition } from '../../src-contracts/files';
import { captureName, isClassName, MAX_CAPTURE_NUMBER, nextCaptureNumber, type CaptureExtension } from './captures';
import { clearAbandonedLock, FILE_LOCK_TIMINGS, FileLockBusy, LOCK_LEFTOVER, processAlive, withFileLock, type FileLockTimings } from './file-lock';
import { npyTargetsPath } from '../../src-engine/core/data/npy';
import { ExportError, type ExportBundle } from '../../src-engine/core/export/bundle';
import { fileFormatOf } from '../../src-engine/catalog/data-formats/registry';
import { commandLine, commandPrefix } from '../../src-engine/node/cli-script';
import { folderFormat } from '../../src-engine/node/data-scan';
import { writeExport } from '../../src-engine/node/export-writer';
import { readRegularFile, RegularFileError } from '../../src-engine/node/regular-file';
import { checkValueLimits } from '../../src-engine/protocol/limits';
import type { ErrorCode } from '../../src-engine/base/errors';

/** A file operation failure with a stable code and a message for the user. */
export class FileError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'FileError';
  }
}

export interface FileServiceOptions {
  /** Where recents and the recovery file live (Electron: app.getPath('userData')). */
  stateDir: string;
  /**
   * Web mode: every path is relative to this folder and may not leave it. Electron: undefined,
   * and only paths the user picked in a dialog (or reopened from recents) may be used.
   */
  workspaceDir?: string;
  /** Largest file read or written (default 64 MiB). */
  maxBytes?: number;
  /** Web mode: a folder of the user's data the host was started with (`--data-dir`), listed beside the workspace's `data/`. */
  dataDir?: string;
  /** How long a save waits for another process's save of the file, and when a crashed one's lock is broken (default FILE_LOCK_TIMINGS). */
  saveLock?: FileLockTimings;
}

export const PROJECT_EXTENSION = '.netwright.json';
const mib = (n: number) => `${(n / 2 ** 20).toFixed(0)} MiB`;
const MAX_RECENT = 10;

/**
 * Project files for both hosts: atomic saves (temp file + fsync + rename, so a crash mid-save
 * never leaves a half-written project, under a lock beside the file that other processes
 * respect too: file-lock.ts), recent files, and one autosave slot for crash recovery.
 */
export class FileService {
  private readonly maxBytes: number;
  private readonly saveLock: FileLockTimings;
  /** Electron: paths the user granted through a dialog or the recent list. */
  private readonly granted = new Set<string>();
  /** Web mode: the folders uploads made this session, with the bytes and files written into each so far. */
  private readonly uploads = new Map<string, { bytes: number; files: number }>();
  /**
   * Operations in progress, by file: each waits for the one before it on the same file (`inTurn`),
   * so two project writes never pass one version check, and the state files (recents, the recovery
   * slot) change in the order asked: a clear sent while an autosave is still being written (a save
   * right after an edit) lands after it, not before its rename brings the stale draft back.
   */
  private readonly writing = new Map<string, Promise<unknown>>();
  /** Exports arriving in parts (`stageExport`), by staging id: each file's bytes so far. */
  /** Web mode: the model file the last upload kept for the engine to read (`receiveModel`). */
  private uploadedModel: string | undefined;
  private readonly staging = new Map<string, { files: Map<string, Buffer[]>; bytes: number; touched: number }>();

  constructor(private readonly opts: FileServiceOptions) {
    this.maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
    this.saveLock = opts.saveLock ?? FILE_LOCK_TIMINGS;
  }

  /** Run `op` on `file` after the operations on it already asked for (whether they failed or not). */
  private async inTurn<T>(file: string, op: () => Promise<T>): Promise<T> {
    const done = (this.writing.get(file) ?? Promise.resolve()).catch(() => {}).then(op);
    this.writing.set(file, done);
    try {
      return await done;
    } finally {
      if (this.writing.get(file) === done) this.writing.delete(file);
    }
  }

  /** Electron: allow a path the user chose in a native dialog. */
  grant(p: string): string {
    const abs = path.resolve(p);
    this.granted.add(abs);
    return abs;
  }

  /**
   * Web mode: `abs` (inside the workspace by its name) must stay inside it on disk too: the
   * deepest part of it that exists is resolved through symlinks and checked, and the file itself
   * may not be a symlink. A link to elsewhere in the workspace is refused as well: simpler to
   * explain than a rule about where links may point.
   */
  private async confine(abs: string): Promise<void> {
    const root = this.opts.workspaceDir;
    if (!root) return;
    const realRoot = await fs.realpath(path.resolve(root)).catch(() => path.resolve(root));
    const outside = () => new FileError('E_FILE_OUTSIDE_WORKSPACE', 'That path leads out of the workspace folder through a symbolic link; Netwright does not follow links there.');
    const st = await fs.lstat(abs).catch(() => undefined);
    if (st?.isSymbolicLink()) throw outside();
    let existing = abs;
    while (!(await fs.lstat(existing).catch(() => undefined))) {
      const up = path.dirname(existing);
      if (up === existing) break;
      existing = up;
    }
    const real = await fs.realpath(existing).catch(() => existing);
    const rel = path.relative(realRoot, real);
    if (rel.startsWith('..') || path.isAbsolute(rel)) throw outside();
    // Every folder between the root and the file, as it exists now, is a real folder.
    for (let dir = path.dirname(abs); dir.startsWith(path.resolve(root)) && dir !== path.resolve(root); dir = path.dirname(dir)) {
      const d = await fs.lstat(dir).catch(() => undefined);
      if (d?.isSymbolicLink()) throw outside();
    }
  }

  /** Electron: whether the user granted `p` (a dialog or the recent list): "show in folder" reveals only those. */
  isGranted(p: unknown): p is string {
    return typeof p === 'string' && this.granted.has(path.resolve(p));
  }

  /** Map a renderer-supplied path to an absolute path, refusing anything outside what is allowed. */
  resolve(p: string): string {
    if (typeof p !== 'string' || p.length === 0 || p.length > 4096 || p.includes('\0')) {
      throw new FileError('E_FILE_PATH', 'That is not a valid file path.');
    }
    if (this.opts.workspaceDir) {
      const root = path.resolve(this.opts.workspaceDir);
      const abs = path.resolve(root, p);
      if (abs !== root && !abs.startsWith(root + path.sep)) {
        throw new FileError('E_FILE_OUTSIDE_WORKSPACE', `Netwright in web mode only opens files inside its workspace folder (${root}).`);
      }
      return abs;
    }
    const abs = path.resolve(p);
    if (!this.granted.has(abs)) throw new FileError('E_FILE_NOT_GRANTED', 'Open or save the file through the File menu first.');
    return abs;
  }

  private display(abs: string): string {
    return this.opts.workspaceDir ? path.relative(path.resolve(this.opts.workspaceDir), abs) : abs;
  }

  async read(p: string): Promise<HostFile> {
    const abs = this.resolve(p);
    await this.confine(abs);
    let bytes: Buffer;
    try {
      // A regular file only, opened without blocking and read no further than its size then: a
      // FIFO or a link to /dev/zero put in its place after the confine is refused, not waited on.
      bytes = readRegularFile(abs, this.maxBytes);
    } catch (e) {
      if (!(e instanceof RegularFileError)) throw e;
      const name = path.basename(abs);
      if (e.problem === 'missing') throw new FileError('E_FILE_NOT_FOUND', `${name} no longer exists at ${path.dirname(abs)}.`);
      if (e.problem === 'not-regular') throw new FileError('E_FILE_NOT_A_FILE', `${name} is not a file.`);
      if (e.problem === 'too-large') throw new FileError('E_FILE_TOO_LARGE', `${name} is ${(e.size / 2 ** 20).toFixed(0)} MiB; Netwright opens project files up to ${this.maxBytes / 2 ** 20} MiB.`);
      throw new FileError('E_FILE_IO', `${name} could not be read (${e.errno ?? e.problem}).`);
    }
    await this.addRecent(abs);
    return { path: this.display(abs), name: path.basename(abs), text: bytes.toString('utf8'), version: versionOf(bytes) };
  }

  /**
   * Save a project atomically when `condition` holds at the moment of writing (WriteCondition):
   * Save As onto a name taken is refused (E_FILE_EXISTS), and so is a Save over a file that
   * changed since it was opened or saved (E_FILE_CHANGED: another tab, window or program wrote
   * it), until the user confirms replacing it. Both hosts save through here. Answers the version written.
   */
  async write(p: string, text: string, condition: WriteCondition): Promise<{ version: string }> {
    if (typeof text !== 'string') throw new FileError('E_FILE_CONTENT', 'Only text can be saved.');
    const bytes = Buffer.from(text, 'utf8');
    if (bytes.length > this.maxBytes) throw new FileError('E_FILE_TOO_LARGE', 'The project is too large to save.');
    const abs = this.resolve(p);
    await this.confine(abs);
    await fs.mkdir(path.dirname(abs), { recursive: true });
    // Again after mkdir: a folder swapped for a link meanwhile is caught before the write.
    await this.confine(abs);
    // In turn within this host, and under the file's lock across processes: another host on the
    // same folder (the app beside a web host, two web hosts) checks the version after this rename.
    await this.inTurn(abs, () =>
      withFileLock(abs, async () => {
        if ('ifAbsent' in condition) {
          await writeBytesAtomic(abs, bytes, true).catch((e: unknown) => {
            if (e instanceof FileError && e.code === 'E_FILE_EXISTS') throw new FileError('E_FILE_EXISTS', `${path.basename(abs)} already exists; it was not replaced.`);
            throw e;
          });
        } else {
          if ('ifVersion' in condition) {
            const now = currentBytes(abs, this.maxBytes);
            if (now && (now === 'other' || versionOf(now) !== condition.ifVersion)) throw new FileError('E_FILE_CHANGED', `${path.basename(abs)} was changed on disk since you opened it (saved from another tab or window?); it was not overwritten.`);
          }
          await writeBytesAtomic(abs, bytes, false);
        }
      }, this.saveLock).catch((e: unknown) => {
        if (e instanceof FileLockBusy) throw new FileError('E_FILE_BUSY', `${path.basename(abs)} is being saved by another Netwright (a window or a host on the same folder) that has not finished for ${this.saveLock.waitMs / 1000} s; it was not overwritten. Save again in a moment.`);
        throw e;
      }),
    );
    await this.addRecent(abs);
    return { version: versionOf(bytes) };
  }

  /**
   * Write an export atomically (src-engine/node/export-writer.ts: a temp file or folder, then a
   * rename; nothing the exporter did not write is ever replaced). Web mode: `target` is a plain
   * name, written into `<workspace>/exports/` under a name not taken yet (`net.onnx`, then
   * `net (2).onnx`…), so nothing is overwritten. Electron: the path its export dialog granted,
   * where the dialog already confirmed replacing a file; a folder holding anything but an earlier
   * export is refused. Answers where, as shown (`path`) and in full (`full`, for "show in folder").
   */
  async writeExport(target: string, kind: 'file' | 'folder', files: { path: string; data: string }[], staged: string | null = null): Promise<{ path: string; full: string }> {
    const parts = staged === null ? { files: new Map<string, Buffer[]>(), bytes: 0, touched: 0 } : this.staging.get(staged);
    if (!parts) throw new FileError('E_FILE_BAD_REQUEST', 'That export is not in progress; export again.');
    if (staged !== null) this.staging.delete(staged);
    addExportParts(parts, files);
    const bundle: ExportBundle = { kind, files: [...parts.files].map(([p, chunks]) => ({ path: p, data: new Uint8Array(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)) })) };
    if (kind === 'file' && bundle.files.length !== 1) throw new FileError('E_FILE_CONTENT', 'A single-file export has exactly one file.');
    const web = this.opts.workspaceDir !== undefined;
    const abs = web ? await this.freeExportPath(target) : this.resolve(target);
    await this.confine(abs);
    try {
      writeExport(bundle, abs, { force: !web });
    } catch (e) {
      if (e instanceof ExportError) throw new FileError(e.code, this.redact(e.message));
      throw e;
    }
    return { path: this.display(abs), full: abs };
  }

  /**
   * Add pieces of an export's files (base64) under staging id `id` (src-contracts/files.ts
   * exportCalls); `writeExport` with the id writes them. Bounded: EXPORT_LIMITS.bytes per export,
   * a few exports at once, and one untouched for ten minutes is dropped.
   */
  stageExport(id: string, files: { path: string; data: string }[]): void {
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

  /** A message about a file, with the workspace's own path left out (web mode: names relative to it, as the user sees them). */
  redact(message: string): string {
    const root = this.opts.workspaceDir && path.resolve(this.opts.workspaceDir);
    return root ? message.split(root + path.sep).join('') : message;
  }

  /** Web mode: `<workspace>/exports/<name>`, or `<stem> (2)<ext>`… when that is taken. */
  private async freeExportPath(name: string): Promise<string> {
    if (!isPlainName(name)) throw new FileError('E_FILE_PATH', 'An export is named by a plain file name (no folders, not "." or "..").');
    return this.freeName(this.resolve('exports'), name);
  }

  /** Web mode: the workspace and data folders, absolute (the Open picker says where they are), and the command that started the host as the user ran it; Electron: null. */
  async workspace(): Promise<FileResult<'workspace'>> {
    const root = this.opts.workspaceDir;
    return root ? { path: path.resolve(root), dataDir: this.opts.dataDir ? path.resolve(this.opts.dataDir) : null, command: commandPrefix('web') } : null;
  }

  /**
   * Web mode: the data in the workspace's `data/` folder and in the host's data folder, one entry
   * per image or text folder (a folder: a text folder's class folders hold `.txt` files and no image),
   * table or `.npz` directly inside them (docs/data.md "In the app").
   */
  async listData(): Promise<FileResult<'listData'>> {
    const root = this.opts.workspaceDir;
    if (!root) return [];
    const places: [string, 'workspace' | 'data-dir', (abs: string) => string][] = [[path.join(path.resolve(root), 'data'), 'workspace', (abs) => this.display(abs)]];
    if (this.opts.dataDir) places.push([path.resolve(this.opts.dataDir), 'data-dir', (abs) => abs]);
    const out: FileResult<'listData'> = [];
    for (const [dir, where, shown] of places) {
      const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const e of entries) {
        if (e.name.startsWith('.') || out.length >= 10_000) continue;
        let abs = path.join(dir, e.name);
        // A folder by what its class folders hold, a file by its extension (catalog/data-formats).
        let format = e.isDirectory() ? folderFormat(abs) : e.isFile() ? fileFormatOf(e.name) : undefined;
        if (!format) continue;
        let name = e.name;
        // A folder holding a pair of .npy (an upload of two) is listed as its features file.
        const pair = format.reads === 'images' ? await npyPairIn(abs) : undefined;
        if (pair) [format, abs, name] = [fileFormatOf(pair), path.join(abs, pair), `${e.name}/${pair}`];
        const st = await fs.stat(abs).catch(() => undefined);
        // The formats a folder or an extension alone names: the kinds the contract lists.
        if (format) out.push({ path: shown(abs), name, kind: format.kind as FileResult<'listData'>[number]['kind'], where, modified: st?.mtimeMs ?? 0 });
      }
    }
    return out.sort((a, b) => b.modified - a.modified);
  }

  /**
   * Web mode: a model file to import, sent by the browser as a request's body (src-contracts/files.ts
   * `MODEL_UPLOAD`), written to `<workspace>/.netwright/imports/` for the engine to read by path
   * (`model.read { path }`). One is kept at a time: the next upload removes the one before (the
   * engine has read it by then: the page imports one file at a time); the host's next start
   * removes those of hosts no longer running. At most `maxBytes`, else E_IMPORT_TOO_LARGE and
   * nothing is kept. Answers its path relative to the workspace.
   */
  async receiveModel(body: AsyncIterable<Uint8Array>, maxBytes: number): Promise<{ path: string }> {
    const root = this.opts.workspaceDir;
    if (!root) throw new FileError('E_FILE_BAD_REQUEST', 'Model uploads are for web mode; in the app, the engine reads the file you pick.');
    const chunks: Uint8Array[] = [];
    let bytes = 0;
    for await (const chunk of body) {
      bytes += chunk.length;
      if (bytes > maxBytes) throw new FileError('E_IMPORT_TOO_LARGE', `The file is larger than ${mib(maxBytes)}; Netwright imports model files up to that size.`);
      chunks.push(chunk);
    }
    if (bytes === 0) throw new FileError('E_IMPORT_FORMAT', 'The file is empty: it is not an ONNX model.');
    const dir = this.importsDir(root);
    await fs.mkdir(dir, { recursive: true });
    const file = path.join(dir, `${process.pid}.${randomBytes(8).toString('hex')}.onnx`);
    await this.confine(file);
    await fs.writeFile(file, chunks, { flag: 'wx', mode: 0o600 });
    const before = this.uploadedModel;
    this.uploadedModel = file;
    if (before) await fs.rm(before, { force: true });
    return { path: path.relative(path.resolve(root), file).split(path.sep).join('/') };
  }

  /** Web mode: model uploads left by hosts no longer running (`receiveModel`); called at start. */
  async cleanupModelUploads(): Promise<void> {
    if (!this.opts.workspaceDir) return;
    const dir = this.importsDir(this.opts.workspaceDir);
    for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
      const pid = Number(/^(\d+)\./.exec(name)?.[1]);
      if (!Number.isSafeInteger(pid) || pid === process.pid || !processAlive(pid)) await fs.rm(path.join(dir, name), { force: true });
    }
  }

  private importsDir(root: string): string {
    return path.join(path.resolve(root), '.netwright', 'imports');
  }

  /**
   * Web mode: write uploaded data into `<workspace>/data/` (FileMethods.uploadData): a new file or
   * folder under a free name, never over anything; images into folders, tables and arrays as
   * files (a pair of `.npy`, features and targets, into a new folder of their own, so that no
   * renaming parts them); every path checked to stay inside (no `..`, no links), sizes capped
   * (UPLOAD_LIMITS).
   */
  async uploadData(target: string, kind: 'file' | 'folder', files: { path: string; data: string }[], more: boolean): Promise<{ path: string }> {
    if (!this.opts.workspaceDir) throw new FileError('E_FILE_BAD_REQUEST', 'Uploads are for web mode; in the app, choose your data in the file dialog.');
    const decoded = files.map((f) => ({ path: f.path, data: Buffer.from(f.data, 'base64') }));
    const bytes = decoded.reduce((a, f) => a + f.data.length, 0);
    if (bytes > UPLOAD_LIMITS.callBytes) throw new FileError('E_FILE_TOO_LARGE', `One upload call carries up to ${mib(UPLOAD_LIMITS.callBytes)}.`);
    for (const f of decoded) if (f.data.length > UPLOAD_LIMITS.fileBytes) throw new FileError('E_FILE_TOO_LARGE', `${path.basename(f.path)} is ${mib(f.data.length)}; uploads take files up to ${mib(UPLOAD_LIMITS.fileBytes)} (copy larger data into the data folder instead).`);
    const allowed: readonly string[] = UPLOAD_EXTENSIONS[kind];
    for (const f of decoded) {
      if (!allowed.includes(path.extname(f.path).toLowerCase())) throw new FileError('E_FILE_PATH', `${path.basename(f.path)}: uploads take ${kind === 'folder' ? 'images (PNG, JPEG) or texts (.txt) into a folder' : 'a table (CSV, TSV) or arrays (.npz, or a pair of .npy)'}.`);
      const parts = f.path.split('/');
      if (parts.length > 10 || !parts.every(isPlainName)) throw new FileError('E_FILE_PATH', 'An uploaded file is named by a path inside the upload (no "..", no absolute paths).');
    }
    const dataDir = this.resolve('data');
    let dest: string;
    if (more) {
      if (!isPlainName(target) || !this.uploads.has(path.join(dataDir, target))) throw new FileError('E_FILE_BAD_REQUEST', 'That upload is not in progress; start it again.');
      dest = path.join(dataDir, target);
    } else {
      if (!isPlainName(target)) throw new FileError('E_FILE_PATH', 'An upload is named by a plain name (no folders, not "." or "..").');
      if (kind === 'file' && decoded.length === 2) return this.uploadNpyPair(dataDir, decoded);
      if (kind === 'file' && decoded.length !== 1) throw new FileError('E_FILE_CONTENT', 'A table or an .npz is uploaded as one file (arrays saved with np.save: the two .npy files together).');
      const name = kind === 'file' ? path.basename(decoded[0].path) : target;
      if (name.startsWith('.')) throw new FileError('E_FILE_HIDDEN_NAME', `${name}: a name starting with "." is hidden from the data list; rename it and upload again.`);
      await fs.mkdir(dataDir, { recursive: true });
      await this.confine(dataDir);
      // The free name is taken by the write itself (an exclusive create): concurrent uploads of
      // one name each get their own, none lands over another.
      if (kind === 'file') {
        dest = await this.claimFreeName(dataDir, name, (candidate) => writeBytesAtomic(candidate, decoded[0].data, true));
        return { path: this.display(dest) };
      }
      dest = await this.claimFreeName(dataDir, name, (candidate) => fs.mkdir(candidate));
      this.uploads.set(dest, { bytes: 0, files: 0 });
    }
    const tally = this.uploads.get(dest)!;
    if (tally.bytes + bytes > UPLOAD_LIMITS.folderBytes || tally.files + decoded.length > UPLOAD_LIMITS.folderFiles) {
      throw new FileError('E_FILE_TOO_LARGE', `An uploaded folder holds up to ${mib(UPLOAD_LIMITS.folderBytes)} in ${UPLOAD_LIMITS.folderFiles.toLocaleString('en-US')} files; put larger data in the host's data folder (${commandLine('web', '--data-dir DIR')}).`);
    }
    for (const f of decoded) {
      const abs = path.join(dest, ...f.path.split('/'));
      await this.confine(abs);
      await fs.mkdir(path.dirname(abs), { recursive: true });
      await this.confine(abs);
      await writeBytesAtomic(abs, f.data, true);
    }
    tally.bytes += bytes;
    tally.files += decoded.length;
    return { path: this.display(dest) };
  }

  /**
   * Camera frames into `<folder>/<className>/` (FileMethods.saveCaptures): numbered after the
   * frames there (nextCaptureNumber), each an exclusive create; a name taken meanwhile moves on to
   * the next number, nothing is replaced. The numbers only grow, up to MAX_CAPTURE_NUMBER: past it
   * the save is refused (E_FILE_EXISTS), so it always ends. `folder` resolves as any path does
   * (inside the workspace in web mode; a folder the user picked in Electron).
   */
  async saveCaptures(folder: string, className: string, ext: CaptureExtension, frames: string[]): Promise<{ folder: string; names: string[] }> {
    if (!isClassName(className)) throw new FileError('E_FILE_PATH', `"${className}" cannot name a class folder: use letters, digits, spaces, "_", "-" or "." (not first).`);
    const decoded = frames.map((f) => Buffer.from(f, 'base64'));
    if (decoded.some((d) => d.length > UPLOAD_LIMITS.fileBytes)) throw new FileError('E_FILE_TOO_LARGE', 'A camera frame is larger than an upload may be.');
    const dir = path.join(this.resolve(folder), className);
    await this.confine(dir);
    await fs.mkdir(dir, { recursive: true });
    await this.confine(dir);
    const names: string[] = [];
    let after = 0;
    for (const data of decoded) {
      for (;;) {
        after = nextCaptureNumber(await fs.readdir(dir), className, after);
        if (after > MAX_CAPTURE_NUMBER) {
          throw new FileError('E_FILE_EXISTS', `${this.display(dir)} already holds a frame numbered ${MAX_CAPTURE_NUMBER.toLocaleString('en-US')}, the highest a frame is given; ${names.length ? `${names.length} of the ${decoded.length} frames were saved. ` : ''}Move or rename its highest-numbered frames, or take the photos into another class.`);
        }
        const name = captureName(className, after, ext);
        try {
          await writeBytesAtomic(path.join(dir, name), data, true);
          names.push(name);
          break;
        } catch (e) {
          if ((e as { code?: string }).code !== 'E_FILE_EXISTS' && (e as { code?: string }).code !== 'EEXIST') throw e;
        }
      }
    }
    return { folder: this.display(dir), names };
  }

  /**
   * Two `.npy` files, features and targets named as a pair (`X_train.npy` / `y_train.npy`,
   * `features.npy` / `labels.npy`: npyTargetsPath), into a new folder named after the features
   * file; answers the features file's path (what the scan reads, its pair found beside it).
   */
  private async uploadNpyPair(dataDir: string, files: { path: string; data: Buffer }[]): Promise<{ path: string }> {
    const names = files.map((f) => path.basename(f.path));
    const features = names.findIndex((n, i) => names[1 - i].toLowerCase().endsWith('.npy') && n.toLowerCase().endsWith('.npy') && npyTargetsPath(n, (c) => c === names[1 - i]) === names[1 - i]);
    if (features < 0) {
      throw new FileError('E_FILE_CONTENT', `${names.join(' and ')}: two files are uploaded together as arrays saved with np.save, features and targets named as a pair (X_train.npy and y_train.npy, x.npy and y.npy, features.npy and labels.npy).`);
    }
    if (names[features].startsWith('.')) throw new FileError('E_FILE_HIDDEN_NAME', `${names[features]}: a name starting with "." is hidden from the data list; rename it and upload again.`);
    await fs.mkdir(dataDir, { recursive: true });
    await this.confine(dataDir);
    const dest = await this.claimFreeName(dataDir, names[features].replace(/\.npy$/i, ''), (candidate) => fs.mkdir(candidate));
    for (const [i, f] of files.entries()) {
      const abs = path.join(dest, names[i]);
      await this.confine(abs);
      await writeBytesAtomic(abs, f.data, true);
    }
    return { path: this.display(path.join(dest, names[features])) };
  }

  /** `dir/name`, or `dir/<stem> (2)<ext>`… when taken. */
  private async freeName(dir: string, name: string): Promise<string> {
    return this.claimFreeName(dir, name, async (candidate) => {
      if (await fs.lstat(candidate).catch(() => undefined)) throw Object.assign(new Error('taken'), { code: 'EEXIST' });
    });
  }

  /**
   * `dir/name`, or `dir/<stem> (2)<ext>`… : the first that `claim` takes (an exclusive create,
   * failing EEXIST, or E_FILE_EXISTS, where something is), so the check and the taking are one step.
   */
  private async claimFreeName(dir: string, name: string, claim: (candidate: string) => Promise<unknown>): Promise<string> {
    const dot = name.lastIndexOf('.');
    const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
    for (let n = 1; n < 10_000; n++) {
      const candidate = path.join(dir, n === 1 ? name : `${stem} (${n})${ext}`);
      try {
        await claim(candidate);
        return candidate;
      } catch (e) {
        if ((e as { code?: string }).code !== 'EEXIST' && (e as { code?: string }).code !== 'E_FILE_EXISTS') throw e;
      }
    }
    throw new FileError('E_FILE_IO', `${path.basename(dir)}/ holds too many files named ${name} (2), (3)…; delete or rename some.`);
  }

  /** Project files in the workspace (web mode), newest first; Electron lists the recent files. */
  async list(): Promise<{ path: string; name: string; modified: number }[]> {
    const root = this.opts.workspaceDir;
    if (!root) {
      const recent = await this.recent();
      const out = [];
      for (const r of recent) {
        const st = await fs.stat(r.path).catch(() => undefined);
        if (st?.isFile()) out.push({ ...r, modified: st.mtimeMs });
      }
      return out;
    }
    await fs.mkdir(root, { recursive: true });
    const entries = await fs.readdir(root, { withFileTypes: true });
    const out = [];
    for (const e of entries) {
      if (!e.isFile() || !e.name.endsWith('.json')) continue;
      const st = await fs.stat(path.join(root, e.name));
      out.push({ path: e.name, name: e.name, modified: st.mtimeMs });
    }
    return out.sort((a, b) => b.modified - a.modified);
  }

  /**
   * Remove temp files that interrupted atomic saves left behind (`<target>.<pid>.<8 hex>.tmp`),
   * from the workspace (web mode), the state folder, and the folders of recent files (Electron).
   * A temp file of a process that is still alive is another save in progress: it stays. So do the
   * save locks (file-lock.ts) of live holders; those of this machine's crashed ones go. Returns
   * the removed paths. Called by both hosts at start.
   */
  async cleanupTempFiles(): Promise<string[]> {
    const dirs = new Set<string>([this.opts.stateDir]);
    if (this.opts.workspaceDir) dirs.add(path.resolve(this.opts.workspaceDir));
    else for (const p of await this.readState<unknown[]>('recent.json', [])) if (typeof p === 'string') dirs.add(path.dirname(p));
    const removed: string[] = [];
    for (const dir of dirs) {
      const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const e of entries) {
        if (!e.isFile()) continue;
        const p = path.join(dir, e.name);
        if (LOCK_LEFTOVER.test(e.name)) {
          if (await clearAbandonedLock(p, this.saveLock)) removed.push(p);
          continue;
        }
        const m = TEMP_FILE.exec(e.name);
        if (!m) continue;
        const pid = Number(m[1]);
        if (pid !== process.pid && processAlive(pid)) continue;
        if (await fs.rm(p).then(() => true, () => false)) removed.push(p);
      }
    }
    return removed;
  }

  async recent(): Promise<{ path: string; name: string }[]> {
    const list = await this.readState<string[]>('recent.json', []);
    const valid = Array.isArray(list) ? [...new Set(list.filter((p): p is string => typeof p === 'string'))] : [];
    if (!this.opts.workspaceDir) valid.forEach((p) => this.granted.add(p));
    return valid.map((abs) => ({ path: this.display(abs), name: path.basename(abs) }));
  }

  private async addRecent(abs: string): Promise<void> {
    await this.inState('recent.json', async () => {
      const list = (await this.readStateNow<string[]>('recent.json', [])).filter((p) => typeof p === 'string' && p !== abs);
      await this.writeStateNow('recent.json', [abs, ...list].slice(0, MAX_RECENT));
    });
  }

  async writeRecovery(text: string): Promise<void> {
    if (typeof text !== 'string' || Buffer.byteLength(text) > this.maxBytes) return;
    await this.inState('recovery.json', () => this.writeStateNow('recovery.json', { savedAt: Date.now(), text }));
  }

  async readRecovery(): Promise<{ text: string; savedAt: number } | null> {
    const r = await this.readState<{ text?: unknown; savedAt?: unknown } | null>('recovery.json', null);
    return r && typeof r.text === 'string' && typeof r.savedAt === 'number' ? { text: r.text, savedAt: r.savedAt } : null;
  }

  async clearRecovery(): Promise<void> {
    await this.inState('recovery.json', () => fs.rm(path.join(this.opts.stateDir, 'recovery.json'), { force: true }));
  }

  /** A state file's operation in its turn (`inTurn`). */
  private inState<T>(name: string, op: () => Promise<T>): Promise<T> {
    return this.inTurn(path.join(this.opts.stateDir, name), op);
  }

  /** A state file's content, after the changes to it already asked for. */
  private readState<T>(name: string, fallback: T): Promise<T> {
    return this.inState(name, () => this.readStateNow(name, fallback));
  }

  private async readStateNow<T>(name: string, fallback: T): Promise<T> {
    try {
      // A regular file (a FIFO there is not waited on); the recovery slot holds a project's text, escaped.
      return JSON.parse(readRegularFile(path.join(this.opts.stateDir, name), 4 * this.maxBytes).toString('utf8')) as T;
    } catch {
      return fallback; // missing or corrupt state is not the user's problem: start fresh
    }
  }

  private async writeStateNow(name: string, value: unknown): Promise<void> {
    await fs.mkdir(this.opts.stateDir, { recursive: true });
    await writeAtomic(path.join(this.opts.stateDir, name), JSON.stringify(value));
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

/** A file's version as `read` and `write` answer it: the SHA-256 of its bytes. */
function versionOf(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A name for a file or folder directly inside a folder: no separators, not "." or "..". */
export function isPlainName(name: string): boolean {
  return name.length > 0 && name.length <= 255 && name.trim() === name && name !== '.' && name !== '..' && !/[\\/\0]/.test(name);
}

/** The temp files `writeAtomic` makes: `<target>.<pid>.<8 hex>.tmp`. */
const TEMP_FILE = /^.+\.(\d+)\.[0-9a-f]{8}\.tmp$/;

/**
 * Bytes to a temp file beside the target, flushed, then put in place: renamed over it, or with
 * `fresh` hard-linked, which fails when the target exists (E_FILE_EXISTS) — an upload or a Save
 * As never replaces a file, even one another request creates meanwhile.
 */
async function writeBytesAtomic(target: string, data: Uint8Array, fresh: boolean): Promise<void> {
  const taken = () => new FileError('E_FILE_EXISTS', `${path.basename(target)} is in the upload twice.`);
  if (fresh && (await fs.lstat(target).catch(() => undefined))) throw taken();
  const tmp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await fs.open(tmp, 'wx');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    if (fresh) await fs.link(tmp, target);
    else await fs.rename(tmp, target);
  } catch (err) {
    throw (err as NodeJS.ErrnoException).code === 'EEXIST' ? taken() : err;
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

/** Write to a temp file beside the target, flush it to disk, then rename over the target. */
export async function writeAtomic(target: string, text: string): Promise<void> {
  const tmp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await fs.open(tmp, 'w');
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(tmp, target);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

/**
 * What is at `abs` now, for a save's version check, read as a project is (readRegularFile): its
 * bytes; undefined when nothing is there or it cannot be opened (the write then says why); `other`
 * when it cannot be the version opened: a FIFO, a device or a folder in its place, or more than
 * `maxBytes` (no project that large is opened). A FIFO is never waited on.
 */
function currentBytes(abs: string, maxBytes: number): Buffer | 'other' | undefined {
  try {
    return readRegularFile(abs, maxBytes);
  } catch (e) {
    if (!(e instanceof RegularFileError)) throw e;
    return e.problem === 'not-regular' || e.problem === 'too-large' ? 'other' : undefined;
  }
}

/** The file operations a renderer may call (their arguments are checked against FileMethods first). */
export const FILE_OPS: { [M in FileMethod]: (s: FileService, ...a: FileArgs<M>) => Promise<unknown> } = {
  list: (s) => s.list(),
  read: (s, p) => s.read(p),
  write: (s, p, text, condition) => s.write(p, text, condition),
  recent: (s) => s.recent(),
  writeRecovery: (s, text) => s.writeRecovery(text),
  readRecovery: (s) => s.readRecovery(),
  clearRecovery: (s) => s.clearRecovery(),
  writeExport: (s, target, kind, files, staged) => s.writeExport(target, kind, files, staged),
  stageExport: async (s, id, files) => s.stageExport(id, files),
  listData: (s) => s.listData(),
  workspace: (s) => s.workspace(),
  uploadData: (s, target, kind, files, more) => s.uploadData(target, kind, files, more),
  saveCaptures: (s, folder, className, ext, frames) => s.saveCaptures(folder, className, ext, frames),
};
export type FileOp = FileMethod;

/** Run a named op with untrusted arguments; errors come back as `{ code, message }`. */
export async function callFileOp(service: FileService, op: unknown, args: unknown): Promise<{ ok: true; result: unknown } | { ok: false; error: { code: string; message: string } }> {
  if (!isFileMethod(op)) return { ok: false, error: { code: 'E_FILE_BAD_REQUEST', message: 'Unknown file operation.' } };
  const over = checkValueLimits(args, { maxDepth: 4, maxValues: FILE_VALUE_LIMIT[op] ?? FILE_VALUE_LIMIT.default }, 'The request');
  if (over) return { ok: false, error: { code: 'E_FILE_BAD_REQUEST', message: over.message } };
  const checked = FileMethods[op].args.safeParse(args);
  if (!checked.success) return { ok: false, error: { code: 'E_FILE_BAD_REQUEST', message: `Bad arguments for ${op}: ${checked.error.issues.map((i) => `${i.path.join('.') || 'args'}: ${i.message}`).join('; ')}` } };
  try {
    const fn = FILE_OPS[op] as (s: FileService, ...a: unknown[]) => Promise<unknown>;
    return { ok: true, result: (await fn(service, ...(checked.data as unknown[]))) ?? null };
  } catch (err) {
    if (err instanceof FileError) return { ok: false, error: { code: err.code, message: service.redact(err.message) } };
    const e = err as NodeJS.ErrnoException;
    const message = e.code === 'EACCES' || e.code === 'EPERM' ? 'Netwright is not allowed to write there. Choose another folder.' : e.code === 'ENOSPC' ? 'The disk is full; the file was not saved (the previous version is intact).' : e.code === 'ENAMETOOLONG' ? 'That name is too long for the file system; nothing was written. Use a shorter name.' : `The file operation failed: ${service.redact(e.message)}`;
    return { ok: false, error: { code: `E_FILE_IO`, message } };
  }
}

/** The features file of a folder that holds just a pair of `.npy` (npyTargetsPath's names), else undefined. */
async function npyPairIn(dir: string): Promise<string | undefined> {
  const names = (await fs.readdir(dir).catch(() => [] as string[])).filter((n) => !n.startsWith('.'));
  if (names.length !== 2 || !names.every((n) => /\.npy$/i.test(n))) return undefined;
  return names.find((n, i) => npyTargetsPath(n, (c) => c === names[1 - i]) === names[1 - i]);
}
