import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, realpathSync, renameSync, rmdirSync, rmSync, writeSync, type Stats } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { ExportError, type ExportBundle } from '../core/export/bundle';
import { HeldDir } from './confined-fs';
import { readRegularFile, RegularFileError } from './regular-file';

/** Turn a file-system error into an ExportError a user can act on (disk full, permissions, a file on the way, a temp name taken). */
export function writeFailure(e: unknown, target: string): ExportError {
  if (e instanceof RegularFileError) return e.problem === 'link' ? tempTaken(target) : new ExportError('E_EXPORT_WRITE', `${target} could not be written (${e.errno ?? e.problem}).`);
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ENOSPC' || err.code === 'EDQUOT') return new ExportError('E_EXPORT_DISK_FULL', `The disk is full: ${target} could not be written. Free some space and export again; nothing was left half-written.`);
  if (err.code === 'EACCES' || err.code === 'EPERM' || err.code === 'EROFS') return new ExportError('E_EXPORT_WRITE', `${target} cannot be written here (${err.code}: permission denied or read-only). Pick another place.`);
  if (err.code === 'ENOTDIR') return notAFolder(target);
  if (err.code === 'EEXIST' || err.code === 'ELOOP') return tempTaken(target);
  return new ExportError('E_EXPORT_WRITE', `${target} could not be written: ${err.message}`);
}

const tempTaken = (target: string) =>
  new ExportError('E_EXPORT_TEMP_TAKEN', `${target} was not written: the temp file beside it was taken, or swapped for something else while it was written (a link planted there is never followed). Export again; if it repeats, export to a folder only you can write to.`);

/** E_EXPORT_NOT_A_FOLDER, naming the file on the way to `target` where one is found. */
function notAFolder(target: string): ExportError {
  let file: string | undefined;
  for (let d = dirname(target); d !== dirname(d); d = dirname(d)) {
    const st = lstat(d);
    if (st && !st.isDirectory()) file = d;
    if (st) break;
  }
  return new ExportError('E_EXPORT_NOT_A_FOLDER', `${target} cannot be written: ${file ?? 'a folder on its way'} is a file, not a folder. Pick another place.`);
}

/** A random part of a temp name (`crypto.randomBytes`): nobody can plant a link at it beforehand. */
const tempStamp = () => `${process.pid}-${randomBytes(8).toString('hex')}`;

/** Write all of `data` through `fd`, flush it to disk, close it. */
function writeAllSynced(fd: number, data: Uint8Array): void {
  try {
    let at = 0;
    while (at < data.length) at += writeSync(fd, data, at, data.length - at);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * The file a folder export carries beside its files: which files Netwright wrote there. Only a
 * folder whose every entry it lists counts as an earlier export that `force` may replace; the
 * writer never deletes anything else.
 */
export const EXPORT_MANIFEST = '.netwright-export.json';
/** The most of a manifest read: a list of the file names one export wrote. */
const MANIFEST_MAX_BYTES = 16 * 2 ** 20;

export interface WriteExportOptions {
  /**
   * Replace what is at the target: an existing file, or a folder an earlier export wrote (its
   * manifest lists every entry in it). Never a folder with anything else in it. The CLI's
   * `--force`; the app passes it after the native save dialog confirmed the overwrite.
   */
  force?: boolean;
  onProgress?: (fraction: number) => void;
}

const lstat = (p: string): Stats | undefined => {
  try {
    return lstatSync(p);
  } catch {
    return undefined;
  }
};

/** Why `lstat(p)` fails (ENOENT, ENOTDIR…); undefined when it does not. */
const lstatCode = (p: string): string | undefined => {
  try {
    lstatSync(p);
    return undefined;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code;
  }
};

/** What is below `dir`, without following links: folders (relative, `/`-separated) and everything else. */
function entriesBelow(dir: string, prefix = ''): { folders: string[]; others: string[] } {
  const out = { folders: [] as string[], others: [] as string[] };
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (!e.isDirectory()) {
      out.others.push(rel);
      continue;
    }
    const below = entriesBelow(join(dir, e.name), rel);
    out.folders.push(rel, ...below.folders);
    out.others.push(...below.others);
  }
  return out;
}

/**
 * A name a manifest may list: relative and `/`-separated, each part a plain name (no `..`, `.`,
 * empty part, backslash or drive), so that it can only ever mean a file inside the folder.
 */
const insideName = (f: string): boolean => f.length > 0 && !f.includes('\\') && !f.includes('\0') && f.split('/').every((part) => part !== '' && part !== '.' && part !== '..' && !part.includes(':'));

/** The parent folders of `files`' names (`a/b/c` → `a`, `a/b`). */
const foldersOf = (files: Iterable<string>): Set<string> => new Set([...files].flatMap((f) => f.split('/').slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join('/'))));

/** What an earlier export left in a folder, found on disk (never read from its manifest). */
interface EarlierExport {
  /** Regular files, each listed by the manifest (and the manifest itself). */
  files: string[];
  /** Real folders (no links), each a parent of a listed file. */
  folders: string[];
}

/**
 * The earlier export in `dir`, or undefined when `dir` is not (only) an export: its manifest must
 * be readable, list only names inside the folder, and account for every entry there, each a
 * regular file or a real folder (the exporter writes no links). What a later replace removes is
 * what was found here, so a hostile manifest can neither reach outside nor name what is not there.
 */
function earlierExport(dir: string): EarlierExport | undefined {
  let listed: unknown;
  try {
    // A regular file, not followed through a link (a FIFO or a link to /dev/zero is no manifest).
    listed = (JSON.parse(readRegularFile(join(dir, EXPORT_MANIFEST), MANIFEST_MAX_BYTES, { noFollow: true }).toString('utf8')) as { files?: unknown }).files;
  } catch {
    return undefined;
  }
  if (!Array.isArray(listed) || !listed.every((f): f is string => typeof f === 'string' && insideName(f))) return undefined;
  const files = new Set(listed);
  const folders = foldersOf(listed);
  const present = entriesBelow(dir);
  if (!present.folders.every((d) => folders.has(d))) return undefined;
  const regular = (f: string) => lstat(join(dir, f))?.isFile() === true;
  if (!present.others.every((f) => (f === EXPORT_MANIFEST || files.has(f)) && regular(f))) return undefined;
  return { files: present.others, folders: present.folders };
}

/** Remove what was found of an earlier export: its files, then its folders deepest first, then `dir`. */
function removeEarlierExport(dir: string, found: EarlierExport): void {
  for (const f of found.files) rmSync(join(dir, f));
  for (const d of [...found.folders].sort((a, b) => b.length - a.length)) rmdirSync(join(dir, d));
  rmdirSync(dir);
}

/**
 * Check that `out` may receive an export of `kind` without losing anything the exporter did not
 * write, before any work is done (the train CLI checks its `--export` path before training):
 * - a file goes where nothing is, or over a file with `force`;
 * - a folder goes where nothing is, into an empty folder, or over an earlier export with `force`.
 *
 * @returns the absolute target, and what of an earlier export (found on disk) it replaces.
 * @throws ExportError `E_EXPORT_EXISTS` (add `force`, or pick another name) or
 *   `E_EXPORT_FOLDER_NOT_EMPTY` (never replaced, with or without `force`).
 */
export function checkExportTarget(out: string, kind: ExportBundle['kind'], force = false): { target: string; replaces?: EarlierExport } {
  const target = resolve(out);
  const st = lstat(target);
  if (!st) {
    if (lstatCode(target) === 'ENOTDIR') throw notAFolder(target);
    return { target };
  }
  if (kind === 'file') {
    if (st.isDirectory()) throw new ExportError('E_EXPORT_EXISTS', `${target} is a folder; this export is one file. Name the file, e.g. ${join(target, 'model')}.`);
    if (!st.isFile()) throw new ExportError('E_EXPORT_EXISTS', `${target} is not a regular file; pick another name.`);
    if (!force) throw new ExportError('E_EXPORT_EXISTS', `${target} already exists; nothing was written. Pick another name, or pass --force to replace it.`);
    return { target };
  }
  if (!st.isDirectory()) throw new ExportError('E_EXPORT_EXISTS', `${target} is a file; this export is a folder. Pick another name.`);
  const entries = readdirSync(target);
  if (entries.length === 0) return { target, replaces: { files: [], folders: [] } };
  const earlier = earlierExport(target);
  if (earlier && force) return { target, replaces: earlier };
  if (earlier) throw new ExportError('E_EXPORT_EXISTS', `${target} holds an earlier export; nothing was written. Pick another name, or pass --force to replace it.`);
  const shown = entries.slice(0, 3).join(', ') + (entries.length > 3 ? `, … (${entries.length} entries)` : '');
  throw new ExportError(
    'E_EXPORT_FOLDER_NOT_EMPTY',
    `${target} is a folder that already holds files Netwright did not write (${shown}); it is left as it is and nothing was written. Export into a new folder instead, e.g. ${join(target, 'model-pytorch')}.`,
  );
}

/**
 * The name of an export's temp file or folder beside its target, `<target>.tmp-<pid>-<random>`
 * (group 1: the writing process's id), so a host can remove what an export interrupted by a crash left.
 */
export const EXPORT_TEMP = /\.tmp-(\d+)-[0-9a-z][0-9a-z-]*$/;

/** One file of an export to write in parts: its path in the export and its size. */
export interface ExportFileSize {
  path: string;
  bytes: number;
}

/**
 * An export written in parts, in order (`append`), then put in place at once (`commit`) — or
 * removed (`abort`) — under `writeExport`'s rules: what may be at the target is
 * `checkExportTarget`'s (checked at `open` and again just before the rename), the parts go to a
 * temp file or folder beside it (created with O_EXCL), and nothing is left half-written. Each
 * part must continue the file being written (the files in the order `open` listed them, each up
 * to its size): a part out of order, or past a file's size, is refused (`E_EXPORT_CHUNK_ORDER`)
 * and the temp copy removed.
 *
 * @example
 * ```ts
 * const out = ExportStream.open('/tmp/net.onnx', 'file', [{ path: 'net.onnx', bytes: data.length }]);
 * try { out.append('net.onnx', data); } catch (e) { out.abort(); throw e; }
 * out.commit();
 * ```
 */
export class ExportStream {
  private file = 0;
  private offset = 0;
  private fd: number | undefined;
  private done = false;
  /** A folder export's temp folder, held: its files are created and written below the handle. */
  private held: HeldDir | undefined;
  /** What was created at `tmp` (device and inode): what the rename moves must be it. */
  private made: { dev: number; ino: number } | undefined;
  /** Bytes written so far, of `total`. */
  written = 0;
  readonly total: number;

  private constructor(
    readonly target: string,
    readonly kind: ExportBundle['kind'],
    private readonly files: readonly ExportFileSize[],
    private readonly tmp: string,
    private readonly stamp: string,
    private readonly force: boolean,
  ) {
    this.total = files.reduce((a, f) => a + f.bytes, 0);
  }

  /**
   * Start an export of `files` to `out`: the target checked, the temp file or folder created
   * (each file of a folder too, empty).
   * @throws ExportError as `writeExport`.
   */
  static open(out: string, kind: ExportBundle['kind'], files: readonly ExportFileSize[], force = false): ExportStream {
    if (kind === 'file' && files.length !== 1) throw new ExportError('E_EXPORT_WRITE', 'A single-file export has exactly one file.');
    const { target } = checkExportTarget(out, kind, force);
    // NOTE: a random name, created exclusively and never followed (#81 H6): `<out>.tmp-<pid>-<ms>`
    // opened with 'w' let another user who can write to the folder plant a link there beforehand
    // and have the export overwrite a file of theirs choosing, outside it.
    const stamp = tempStamp();
    const tmp = `${target}.tmp-${stamp}`;
    const stream = new ExportStream(target, kind, files, tmp, stamp, force);
    try {
      mkdirSync(dirname(target), { recursive: true });
      if (kind === 'file') {
        // The descriptor so created is the one written: the name is never opened again.
        stream.fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0), 0o666);
        stream.made = identity(fstatSync(stream.fd));
        return stream;
      }
      mkdirSync(tmp);
      stream.held = HeldDir.open(join(realpathSync.native(dirname(target)), basename(tmp)));
      const st = stream.held.stat();
      // Not the folder made here (another one, swapped in meanwhile): not written into.
      if (process.getuid && st.uid !== process.getuid()) throw tempTaken(target);
      stream.made = identity(st);
      const seen = new Set<string>();
      for (const f of files) {
        const rel = relative(tmp, join(tmp, f.path));
        if (!rel || rel.startsWith('..') || rel === EXPORT_MANIFEST || seen.has(rel)) throw new ExportError('E_EXPORT_WRITE', `Refusing to write outside the export folder, or twice: ${f.path}`);
        seen.add(rel);
        closeSync(stream.held.createFile(rel.split(sep).join('/')));
      }
      return stream;
    } catch (e) {
      stream.abort();
      if (e instanceof ExportError) throw e;
      throw writeFailure(e, target);
    }
  }

  /** File `i` of a folder export opened for writing below the held temp folder (no link followed). */
  private openFile(i: number): number {
    if (!this.held) throw tempTaken(this.target);
    return this.held.openWritable(relative(this.tmp, join(this.tmp, this.files[i].path)).split(sep).join('/'));
  }

  /** The temp file or folder is still what `open` created (nothing swapped in at its name): else E_EXPORT_TEMP_TAKEN. */
  private checkTemp(): void {
    const st = lstat(this.tmp);
    if (!st || !this.made || st.dev !== this.made.dev || st.ino !== this.made.ino) throw tempTaken(this.target);
  }

  /** Write the next bytes of file `path`: where the last part of it ended, or at the start of the next file. */
  append(path: string, data: Uint8Array): void {
    if (this.done) throw new ExportError('E_EXPORT_WRITE', 'This export is already finished or abandoned; export again.');
    try {
      // Files done (or empty) are passed over, so a part may start the next file.
      while (this.file < this.files.length && this.offset === this.files[this.file].bytes && (this.files[this.file].path !== path || data.length > 0)) this.nextFile();
      const f = this.files[this.file];
      if (!f || f.path !== path || this.offset + data.length > f.bytes) {
        throw new ExportError('E_EXPORT_CHUNK_ORDER', `A part of "${path}" (${data.length} bytes) arrived where ${f ? `byte ${this.offset} of "${f.path}"` : 'nothing more'} was due; the partial export was removed. Export again.`);
      }
      this.fd ??= this.openFile(this.file);
      let at = 0;
      while (at < data.length) at += writeSync(this.fd, data, at, data.length - at, this.offset + at);
      this.offset += data.length;
      this.written += data.length;
    } catch (e) {
      this.abort();
      if (e instanceof ExportError) throw e;
      throw writeFailure(e, this.target);
    }
  }

  private nextFile(): void {
    if (this.fd !== undefined) {
      fsyncSync(this.fd);
      closeSync(this.fd);
      this.fd = undefined;
    }
    this.file++;
    this.offset = 0;
  }

  /**
   * Put the export in place (a folder with its manifest), replacing only what `checkExportTarget`
   * allows; answers the absolute path. Every file must be complete.
   * @throws ExportError `E_EXPORT_CHUNK_ORDER` when parts are missing, and as `writeExport`.
   */
  commit(): string {
    if (this.done) throw new ExportError('E_EXPORT_WRITE', 'This export is already finished or abandoned; export again.');
    try {
      while (this.file < this.files.length && this.offset === this.files[this.file].bytes) this.nextFile();
      if (this.file < this.files.length) throw new ExportError('E_EXPORT_CHUNK_ORDER', `The export ended at byte ${this.offset} of "${this.files[this.file].path}", which has ${this.files[this.file].bytes}; the partial export was removed. Export again.`);
      const target = this.target;
      if (this.kind === 'file') {
        // Again just before the rename: something that appeared meanwhile is not replaced unasked.
        checkExportTarget(target, 'file', this.force);
        this.checkTemp();
        renameSync(this.tmp, target);
        this.done = true;
        return target;
      }
      const files = this.files.map((f) => relative(this.tmp, join(this.tmp, f.path)).split(sep).join('/'));
      if (!this.held) throw tempTaken(target);
      writeAllSynced(this.held.createFile(EXPORT_MANIFEST), new TextEncoder().encode(`${JSON.stringify({ format: 'netwright.export', files }, null, 2)}\n`));
      this.held.close();
      this.checkTemp();
      const { replaces } = checkExportTarget(target, 'folder', this.force);
      if (replaces === undefined) {
        renameSync(this.tmp, target);
        this.done = true;
        return target;
      }
      const old = `${target}.old-${this.stamp}`;
      renameSync(target, old);
      // Found again where it now lies, so that what is removed is what is there; anything amiss
      // (it changed meanwhile, the new folder cannot take its place) puts it back as it was.
      const found = readdirSync(old).length === 0 ? { files: [], folders: [] } : earlierExport(old);
      try {
        if (!found) throw new ExportError('E_EXPORT_FOLDER_NOT_EMPTY', `${target} changed while the export was written; it is left as it was and nothing was written.`);
        renameSync(this.tmp, target);
      } catch (e) {
        renameSync(old, target);
        throw e;
      }
      this.done = true;
      removeEarlierExport(old, found);
      return target;
    } catch (e) {
      this.abort();
      if (e instanceof ExportError) throw e;
      throw writeFailure(e, this.target);
    }
  }

  /**
   * Remove the temp copy (a cancel, a failure); the target stays as it was. Safe to call twice.
   * Only what `open` created is removed (not what took its name), and a removal that fails leaves
   * the error the caller is reporting as it is.
   */
  abort(): void {
    if (this.fd !== undefined) {
      try {
        closeSync(this.fd);
      } catch {
        // Already closed by a failed write: nothing to release.
      }
      this.fd = undefined;
    }
    this.held?.close();
    if (!this.done && this.made) {
      const st = lstat(this.tmp);
      try {
        if (st && st.dev === this.made.dev && st.ino === this.made.ino) rmSync(this.tmp, { recursive: true, force: true });
      } catch {
        // Left behind (its folder went meanwhile): the failure being reported stands.
      }
    }
    this.done = true;
  }
}

const identity = (st: Stats) => ({ dev: st.dev, ino: st.ino });

/**
 * Write an export atomically without ever deleting what the exporter did not write
 * (`ExportStream`, its files in one part each). A file goes to a temp file beside `out`, synced,
 * then renamed into place; a folder is written whole into a temp folder beside `out` (with a
 * manifest of its files), then renamed into place. What may be at `out` is `checkExportTarget`'s
 * rule; an earlier export is replaced only once the new one is complete, and removed entry by
 * entry as found on disk (each one its manifest lists, inside the folder). A failure (disk full,
 * no permission) removes the temp copy and leaves `out` as it was.
 *
 * @returns the absolute path written.
 * @throws ExportError `E_EXPORT_EXISTS`, `E_EXPORT_FOLDER_NOT_EMPTY`, `E_EXPORT_DISK_FULL` or `E_EXPORT_WRITE`.
 */
export function writeExport(bundle: ExportBundle, out: string, options: WriteExportOptions = {}): string {
  const stream = ExportStream.open(out, bundle.kind, bundle.files.map((f) => ({ path: f.path, bytes: f.data.length })), options.force);
  const total = stream.total || 1;
  for (const f of bundle.files) {
    stream.append(f.path, f.data);
    if (bundle.kind === 'folder') options.onProgress?.(stream.written / total);
  }
  const target = stream.commit();
  if (bundle.kind === 'file') options.onProgress?.(1);
  return target;
}
