import { closeSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, writeSync, type Stats } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { ExportError, type ExportBundle } from '../core/export/bundle';

/** Turn a file-system error into an ExportError a user can act on (disk full, permissions). */
export function writeFailure(e: unknown, target: string): ExportError {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ENOSPC' || err.code === 'EDQUOT') return new ExportError('E_EXPORT_DISK_FULL', `The disk is full: ${target} could not be written. Free some space and export again; nothing was left half-written.`);
  if (err.code === 'EACCES' || err.code === 'EPERM' || err.code === 'EROFS') return new ExportError('E_EXPORT_WRITE', `${target} cannot be written here (${err.code}: permission denied or read-only). Pick another place.`);
  return new ExportError('E_EXPORT_WRITE', `${target} could not be written: ${err.message}`);
}

function writeSynced(path: string, data: Uint8Array): void {
  const fd = openSync(path, 'w');
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

/** Every entry below `dir` (files and folders, relative, `/`-separated), without following links. */
function entriesBelow(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    out.push(rel);
    if (e.isDirectory()) out.push(...entriesBelow(join(dir, e.name), rel));
  }
  return out;
}

/** The files an earlier export recorded in `dir`, or undefined when `dir` is not (only) an export. */
function earlierExport(dir: string): string[] | undefined {
  let listed: unknown;
  try {
    listed = (JSON.parse(readFileSync(join(dir, EXPORT_MANIFEST), 'utf8')) as { files?: unknown }).files;
  } catch {
    return undefined;
  }
  if (!Array.isArray(listed) || !listed.every((f): f is string => typeof f === 'string')) return undefined;
  const files = new Set(listed);
  const folders = new Set(listed.flatMap((f) => f.split('/').slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join('/'))));
  const present = entriesBelow(dir);
  return present.every((e) => e === EXPORT_MANIFEST || files.has(e) || folders.has(e)) ? listed : undefined;
}

/** Remove an earlier export's files, then its folders (each only if empty), deepest first. */
function removeEarlierExport(dir: string, files: string[]): void {
  for (const f of [...files, EXPORT_MANIFEST]) rmSync(join(dir, f), { force: true });
  const folders = [...new Set(files.flatMap((f) => f.split('/').slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join('/'))))];
  for (const d of folders.sort((a, b) => b.length - a.length)) rmdirSync(join(dir, d));
  rmdirSync(dir);
}

/**
 * Check that `out` may receive an export of `kind` without losing anything the exporter did not
 * write, before any work is done (the train CLI checks its `--export` path before training):
 * - a file goes where nothing is, or over a file with `force`;
 * - a folder goes where nothing is, into an empty folder, or over an earlier export with `force`.
 *
 * @returns the absolute target, and the files of the earlier export it replaces.
 * @throws ExportError `E_EXPORT_EXISTS` (add `force`, or pick another name) or
 *   `E_EXPORT_FOLDER_NOT_EMPTY` (never replaced, with or without `force`).
 */
export function checkExportTarget(out: string, kind: ExportBundle['kind'], force = false): { target: string; replaces?: string[] } {
  const target = resolve(out);
  const st = lstat(target);
  if (!st) return { target };
  if (kind === 'file') {
    if (st.isDirectory()) throw new ExportError('E_EXPORT_EXISTS', `${target} is a folder; this export is one file. Name the file, e.g. ${join(target, 'model')}.`);
    if (!st.isFile()) throw new ExportError('E_EXPORT_EXISTS', `${target} is not a regular file; pick another name.`);
    if (!force) throw new ExportError('E_EXPORT_EXISTS', `${target} already exists; nothing was written. Pick another name, or pass --force to replace it.`);
    return { target };
  }
  if (!st.isDirectory()) throw new ExportError('E_EXPORT_EXISTS', `${target} is a file; this export is a folder. Pick another name.`);
  const entries = readdirSync(target);
  if (entries.length === 0) return { target, replaces: [] };
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
 * Write an export atomically without ever deleting what the exporter did not write. A file goes
 * to a temp file beside `out`, synced, then renamed into place; a folder is written whole into a
 * temp folder beside `out` (with a manifest of its files), then renamed into place. What may be
 * at `out` is `checkExportTarget`'s rule; an earlier export is replaced only once the new one is
 * complete, and removed file by file from its manifest. A failure (disk full, no permission)
 * removes the temp copy and leaves `out` as it was.
 *
 * @returns the absolute path written.
 * @throws ExportError `E_EXPORT_EXISTS`, `E_EXPORT_FOLDER_NOT_EMPTY`, `E_EXPORT_DISK_FULL` or `E_EXPORT_WRITE`.
 */
export function writeExport(bundle: ExportBundle, out: string, options: WriteExportOptions = {}): string {
  const { target } = checkExportTarget(out, bundle.kind, options.force);
  const stamp = `${process.pid}-${Date.now().toString(36)}`;
  const tmp = `${target}.tmp-${stamp}`;
  try {
    mkdirSync(dirname(target), { recursive: true });
    if (bundle.kind === 'file') {
      writeSynced(tmp, bundle.files[0].data);
      // Again just before the rename: something that appeared meanwhile is not replaced unasked.
      checkExportTarget(target, 'file', options.force);
      renameSync(tmp, target);
      options.onProgress?.(1);
      return target;
    }
    const total = bundle.files.reduce((a, f) => a + f.data.length, 0) || 1;
    let done = 0;
    mkdirSync(tmp);
    for (const f of bundle.files) {
      const path = join(tmp, f.path);
      const rel = relative(tmp, path);
      if (!rel || rel.startsWith('..') || rel === EXPORT_MANIFEST) throw new ExportError('E_EXPORT_WRITE', `Refusing to write outside the export folder: ${f.path}`);
      mkdirSync(dirname(path), { recursive: true });
      writeSynced(path, f.data);
      done += f.data.length;
      options.onProgress?.(done / total);
    }
    const files = bundle.files.map((f) => relative(tmp, join(tmp, f.path)).split(sep).join('/'));
    writeSynced(join(tmp, EXPORT_MANIFEST), new TextEncoder().encode(`${JSON.stringify({ format: 'netwright.export', files }, null, 2)}\n`));
    const { replaces } = checkExportTarget(target, 'folder', options.force);
    if (replaces === undefined) {
      renameSync(tmp, target);
      return target;
    }
    const old = `${target}.old-${stamp}`;
    renameSync(target, old);
    renameSync(tmp, target);
    if (replaces.length === 0) rmdirSync(old);
    else removeEarlierExport(old, replaces);
    return target;
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (e instanceof ExportError) throw e;
    throw writeFailure(e, target);
  }
}
