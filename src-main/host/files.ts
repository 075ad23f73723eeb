import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { HostFile } from '../../src-contracts/host';
import { FILE_VALUE_LIMIT, FileMethods, isFileMethod, type FileArgs, type FileMethod, type FileResult, type WriteCondition } from '../../src-contracts/files';
import { clearAbandonedLock, FILE_LOCK_TIMINGS, FileLockBlocked, FileLockBusy, FileLockLost, LOCK_LEFTOVER, processAlive, withFileLock, type FileLockTimings } from './file-lock';
import { commandPrefix } from '../../src-engine/node/cli-script';
import { readRegularFile, RegularFileError } from '../../src-engine/node/regular-file';
import { checkValueLimits } from '../../src-engine/protocol/limits';
import { currentBytes, TEMP_FILE, versionOf } from './atomic-write';
import type { CaptureExtension } from './captures';
import { DataFiles } from './data-files';
import { ExportFiles } from './export-files';
import { FileError, FilePaths, mib } from './file-paths';
import { FileTurns, HostState } from './host-state';
import { ProjectWeights, weightsFileOf, weightsNamed, type ProjectWeightsLimits } from './project-weights';
import { ModelUploads } from './model-uploads';

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
  /** What bounds a project's weights: their size, a part's, the disk's free space (default PROJECT_WEIGHTS_LIMITS; tests lower them). */
  weightsLimits?: ProjectWeightsLimits;
}

export const PROJECT_EXTENSION = '.netwright.json';

/**
 * Project files for both hosts: atomic saves (temp file + fsync + rename, so a crash mid-save
 * never leaves a half-written project, under a lock beside the file that other processes
 * respect too: file-lock.ts), the project list, and the host's other files, each an idea of its
 * own: where paths may lead (file-paths.ts), recents and the recovery slot (host-state.ts),
 * exports (export-files.ts), the user's data and camera frames (data-files.ts), model uploads
 * (model-uploads.ts). `FILE_OPS` is what a renderer may call of it.
 */
export class FileService {
  private readonly maxBytes: number;
  private readonly saveLock: FileLockTimings;
  private readonly paths: FilePaths;
  private readonly turns = new FileTurns();
  private readonly state: HostState;
  private readonly exports: ExportFiles;
  private readonly data: DataFiles;
  private readonly models: ModelUploads;
  private readonly weights: ProjectWeights;

  constructor(private readonly opts: FileServiceOptions) {
    this.maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
    this.saveLock = opts.saveLock ?? FILE_LOCK_TIMINGS;
    this.paths = new FilePaths(opts.workspaceDir);
    this.state = new HostState(opts.stateDir, this.maxBytes, this.paths, this.turns);
    this.exports = new ExportFiles(this.paths);
    this.data = new DataFiles(this.paths, opts.dataDir);
    this.models = new ModelUploads(this.paths);
    this.weights = new ProjectWeights(opts.weightsLimits);
  }

  /** Electron: allow a path the user chose in a native dialog. */
  grant(p: string): string {
    return this.paths.grant(p);
  }

  /** Electron: whether the user granted `p` (a dialog or the recent list): "show in folder" reveals only those. */
  isGranted(p: unknown): p is string {
    return this.paths.isGranted(p);
  }

  /** Map a renderer-supplied path to an absolute path, refusing anything outside what is allowed. */
  resolve(p: string): string {
    return this.paths.resolve(p);
  }

  /** A message about a file, with the workspace's own path left out (web mode: names relative to it, as the user sees them). */
  redact(message: string): string {
    return this.paths.redact(message);
  }

  async read(p: string): Promise<HostFile> {
    const abs = this.paths.resolve(p);
    await this.paths.confine(abs);
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
    await this.state.addRecent(abs);
    return { path: this.paths.display(abs), name: path.basename(abs), text: bytes.toString('utf8'), version: versionOf(bytes) };
  }

  /**
   * Save a project atomically when `condition` holds at the moment of writing (WriteCondition):
   * Save As onto a name taken is refused (E_FILE_EXISTS), and so is a Save over a file that
   * changed since it was opened or saved (E_FILE_CHANGED: another tab, window or program wrote
   * it), until the user confirms replacing it. Both hosts save through here. Answers the version written.
   *
   * `weights`: the project's trained weights received by `beginWeights` (the text names their
   * SHA-256). They are put beside the file (`weightsFileOf`) under the same lock, after the
   * condition is checked and before the file that names them, so the file on disk never names
   * weights that are not there; once it is written, the weights the file named before are removed.
   * A save that fails removes the weights it put there unless the file on disk names them. A text
   * naming weights without `weights` keeps those beside it (refused, E_FILE_CONTENT, where none are).
   */
  async write(p: string, text: string, condition: WriteCondition, weights: string | null = null): Promise<{ version: string }> {
    if (typeof text !== 'string') throw new FileError('E_FILE_CONTENT', 'Only text can be saved.');
    const bytes = Buffer.from(text, 'utf8');
    const abs = this.paths.resolve(p);
    const name = path.basename(abs);
    const staged = weights ? await this.weights.take(weights, abs) : undefined;
    try {
      if (bytes.length > this.maxBytes) throw new FileError('E_FILE_TOO_LARGE', `${name} would be ${mib(bytes.length)}; Netwright saves a project file up to ${mib(this.maxBytes)} (its trained weights go in a .safetensors file beside it and do not count). Make the design smaller (long notes, embedded data), or export the model (Export ▾) and save the design without it.`);
      const named = weightsNamed(text);
      if (staged && named !== staged.sha256) throw new FileError('E_FILE_CONTENT', `${name} does not name the weights sent with it; nothing was saved.`);
      await this.paths.confine(abs);
      await fs.mkdir(path.dirname(abs), { recursive: true });
      // Again after mkdir: a folder swapped for a link meanwhile is caught before the write.
      await this.paths.confine(abs);
      // In turn within this host, and under the file's lock across processes: another host on the
      // same folder (the app beside a web host, two web hosts) checks the version after this commit.
      // The bytes are staged inside the lock and put in place by its commit, which writes nothing
      // once the lock was broken under this save (a host stopped past `staleMs`): file-lock.ts.
      await this.turns.inTurn(abs, () =>
        withFileLock(
          abs,
          async (held) => {
            const before = currentBytes(abs, this.maxBytes);
            if ('ifVersion' in condition && before && (before === 'other' || versionOf(before) !== condition.ifVersion)) throw new FileError('E_FILE_CHANGED', `${name} was changed on disk since you opened it (saved from another tab or window?); it was not overwritten.`);
            const previous = before === 'other' ? undefined : weightsNamed(before);
            // Weights named without being sent (the ones already beside it, kept): they must be there.
            if (!staged && named && !(await fs.lstat(weightsFileOf(abs, named)).then((st) => st.isFile(), () => false))) {
              throw new FileError('E_FILE_CONTENT', `${name} names trained weights (${path.basename(weightsFileOf(abs, named))}) that are not beside it; nothing was saved.`);
            }
            const placed = staged ? weightsFileOf(abs, staged.sha256) : undefined;
            if (staged && placed) await fs.rename(staged.tmp, placed);
            try {
              await held.commit('ifAbsent' in condition ? 'fresh' : 'replace');
            } catch (e) {
              const now = currentBytes(abs, this.maxBytes);
              if (placed && (now === 'other' || weightsNamed(now) !== staged?.sha256)) await fs.rm(placed, { force: true });
              if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new FileError('E_FILE_EXISTS', `${name} already exists; it was not replaced.`);
              throw e;
            }
            if (previous && previous !== named) await fs.rm(weightsFileOf(abs, previous), { force: true });
          },
          this.saveLock,
          bytes,
        ).catch((e: unknown) => {
          if (e instanceof FileLockBusy) throw new FileError('E_FILE_BUSY', `${name} is being saved by another Netwright (a window or a host on the same folder) that has not finished for ${this.saveLock.waitMs / 1000} s; it was not overwritten. Save again in a moment.`);
          if (e instanceof FileLockLost) throw new FileError('E_FILE_CHANGED', `${name} was not saved: this save was held up for over ${this.saveLock.staleMs / 1000} s and another Netwright (a window or a host on the same folder) took the file over meanwhile; what it saved there was not overwritten.`);
          if (e instanceof FileLockBlocked) throw new FileError('E_FILE_LOCK_BLOCKED', `${name} cannot be saved: a ${e.what} named ${path.basename(e.lock)} is beside it, and Netwright keeps the project's save lock under that name. Move or rename that ${e.what}, then save again.`);
          throw e;
        }),
      );
    } finally {
      if (staged) await fs.rm(staged.tmp, { force: true });
    }
    await this.state.addRecent(abs);
    return { version: versionOf(bytes) };
  }

  /** ProjectWeights.begin, for a `write` of `p`. */
  async beginWeights(p: string, bytes: number): Promise<{ id: string; partBytes: number }> {
    const abs = this.paths.resolve(p);
    await this.paths.confine(abs);
    await fs.mkdir(path.dirname(abs), { recursive: true });
    await this.paths.confine(abs);
    return this.weights.begin(abs, bytes);
  }

  /** ProjectWeights.append. */
  appendWeights(id: string, seq: number, data: Uint8Array): Promise<{ sha256: string | null }> {
    return this.weights.append(id, seq, data);
  }

  /** ProjectWeights.read: the weights the project at `p` names by `sha256`, from byte `offset`. */
  async readWeights(p: string, sha256: string, offset: number): Promise<{ data: Uint8Array; total: number }> {
    const abs = this.paths.resolve(p);
    await this.paths.confine(abs);
    return this.weights.read(abs, sha256, offset);
  }

  /** Web mode: the workspace and data folders, absolute (the Open picker says where they are), and the command that started the host as the user ran it; Electron: null. */
  async workspace(): Promise<FileResult<'workspace'>> {
    const root = this.opts.workspaceDir;
    return root ? { path: path.resolve(root), dataDir: this.opts.dataDir ? path.resolve(this.opts.dataDir) : null, command: commandPrefix('web') } : null;
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
    else for (const p of await this.state.readState<unknown[]>('recent.json', [])) if (typeof p === 'string') dirs.add(path.dirname(p));
    const removed: string[] = [];
    for (const dir of dirs) {
      const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const e of entries) {
        const p = path.join(dir, e.name);
        // A save lock is a folder (file-lock.ts); an earlier version's, a file.
        if (LOCK_LEFTOVER.test(e.name) && (e.isFile() || e.isDirectory())) {
          if (await clearAbandonedLock(p, this.saveLock)) removed.push(p);
          continue;
        }
        if (!e.isFile()) continue;
        const m = TEMP_FILE.exec(e.name);
        if (!m) continue;
        const pid = Number(m[1]);
        if (pid !== process.pid && processAlive(pid)) continue;
        if (await fs.rm(p).then(() => true, () => false)) removed.push(p);
      }
    }
    // Web mode: an export interrupted by a crash (a PyTorch project can be 500 MB).
    removed.push(...(await this.exports.cleanupPartial()));
    return removed;
  }

  /** ExportFiles.write. */
  writeExport(target: string, kind: 'file' | 'folder', files: { path: string; data: string }[], staged: string | null = null): Promise<{ path: string; full: string }> {
    return this.exports.write(target, kind, files, staged);
  }

  /** ExportFiles.begin. */
  beginExport(target: string, kind: 'file' | 'folder', files: { path: string; bytes: number }[]): Promise<{ id: string }> {
    return this.exports.begin(target, kind, files);
  }

  /** ExportFiles.append. */
  appendExport(id: string, seq: number, path: string, data: string): void {
    this.exports.append(id, seq, path, data);
  }

  /** ExportFiles.commit. */
  commitExport(id: string): { path: string; full: string } {
    return this.exports.commit(id);
  }

  /** ExportFiles.cancel. */
  cancelExport(id: string): void {
    this.exports.cancel(id);
  }

  /** ExportFiles.stage. */
  stageExport(id: string, files: { path: string; data: string }[]): void {
    this.exports.stage(id, files);
  }

  /** DataFiles.list. */
  listData(): Promise<FileResult<'listData'>> {
    return this.data.list();
  }

  /** DataFiles.upload. */
  uploadData(target: string, kind: 'file' | 'folder', files: { path: string; data: string }[], more: boolean): Promise<{ path: string }> {
    return this.data.upload(target, kind, files, more);
  }

  /** DataFiles.saveCaptures. */
  saveCaptures(folder: string, className: string, ext: CaptureExtension, frames: string[]): Promise<{ folder: string; names: string[] }> {
    return this.data.saveCaptures(folder, className, ext, frames);
  }

  /** ModelUploads.receive. */
  receiveModel(body: AsyncIterable<Uint8Array>, maxBytes: number): Promise<{ path: string }> {
    return this.models.receive(body, maxBytes);
  }

  /** ModelUploads.cleanup. */
  cleanupModelUploads(): Promise<void> {
    return this.models.cleanup();
  }

  recent(): Promise<{ path: string; name: string }[]> {
    return this.state.recent();
  }

  writeRecovery(text: string): Promise<void> {
    return this.state.writeRecovery(text);
  }

  readRecovery(): Promise<{ text: string; savedAt: number } | null> {
    return this.state.readRecovery();
  }

  clearRecovery(): Promise<void> {
    return this.state.clearRecovery();
  }
}

/** The file operations a renderer may call (their arguments are checked against FileMethods first). */
export const FILE_OPS: { [M in FileMethod]: (s: FileService, ...a: FileArgs<M>) => Promise<unknown> } = {
  list: (s) => s.list(),
  read: (s, p) => s.read(p),
  write: (s, p, text, condition, weights?: string | null) => s.write(p, text, condition, weights ?? null),
  beginWeights: (s, p, bytes) => s.beginWeights(p, bytes),
  appendWeights: (s, id, seq, data) => s.appendWeights(id, seq, data),
  readWeights: (s, p, sha256, offset) => s.readWeights(p, sha256, offset),
  recent: (s) => s.recent(),
  writeRecovery: (s, text) => s.writeRecovery(text),
  readRecovery: (s) => s.readRecovery(),
  clearRecovery: (s) => s.clearRecovery(),
  writeExport: (s, target, kind, files, staged) => s.writeExport(target, kind, files, staged),
  stageExport: async (s, id, files) => s.stageExport(id, files),
  beginExport: (s, target, kind, files) => s.beginExport(target, kind, files),
  appendExport: async (s, id, seq, path, data) => s.appendExport(id, seq, path, data),
  commitExport: async (s, id) => s.commitExport(id),
  cancelExport: async (s, id) => s.cancelExport(id),
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

