import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
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
 * Write an export atomically: a file goes to a temp file beside `out`, synced, then renamed over
 * it; a folder is written whole into a temp folder beside `out`, then renamed into place (an
 * existing folder is replaced only once the new one is complete). A failure (disk full, no
 * permission) removes the temp copy and leaves `out` as it was.
 *
 * @returns the absolute path written.
 * @throws ExportError `E_EXPORT_DISK_FULL` or `E_EXPORT_WRITE`.
 */
export function writeExport(bundle: ExportBundle, out: string, onProgress?: (fraction: number) => void): string {
  const target = resolve(out);
  const stamp = `${process.pid}-${Date.now().toString(36)}`;
  const tmp = `${target}.tmp-${stamp}`;
  try {
    mkdirSync(dirname(target), { recursive: true });
    if (bundle.kind === 'file') {
      writeSynced(tmp, bundle.files[0].data);
      renameSync(tmp, target);
      onProgress?.(1);
      return target;
    }
    if (existsSync(target) && !statSync(target).isDirectory()) throw new ExportError('E_EXPORT_WRITE', `${target} is a file; a PyTorch export is a folder. Pick another name.`);
    const total = bundle.files.reduce((a, f) => a + f.data.length, 0) || 1;
    let done = 0;
    for (const f of bundle.files) {
      const path = join(tmp, f.path);
      if (!path.startsWith(tmp)) throw new ExportError('E_EXPORT_WRITE', `Refusing to write outside the export folder: ${f.path}`);
      mkdirSync(dirname(path), { recursive: true });
      writeSynced(path, f.data);
      done += f.data.length;
      onProgress?.(done / total);
    }
    const old = `${target}.old-${stamp}`;
    const replacing = existsSync(target);
    if (replacing) renameSync(target, old);
    renameSync(tmp, target);
    if (replacing) rmSync(old, { recursive: true, force: true });
    return target;
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (e instanceof ExportError) throw e;
    throw writeFailure(e, target);
  }
}
