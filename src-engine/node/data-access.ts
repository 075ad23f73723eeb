import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DataError, mib } from '../core/data';
import { readScannedFile } from './confined-fs';
import { RegularFileError, within } from './regular-file';

/**
 * Which data files a project may name (issue #17). A project file is a stranger's input: its
 * `training.dataset.options.path` (CSV) or `.dir` (IDX folder) must not reach past what the user
 * chose. Paths are resolved through symlinks before they are checked.
 *
 * - `unrestricted`: the command-line trainer, where the user typed the path themselves.
 * - `roots`: web mode: files inside the workspace folder(s).
 * - `granted`: Electron: files and folders the user picked in a dialog (main tells the engine).
 */
export type DataAccess = { kind: 'unrestricted' } | { kind: 'roots'; roots: readonly string[] } | { kind: 'granted'; paths: Set<string> };

export const UNRESTRICTED: DataAccess = { kind: 'unrestricted' };

/** The real path of `p`, or DATA_NOT_FOUND (the message names the path the project gave, nothing read from it). */
function real(p: string, what: string): string {
  try {
    return realpathSync.native(p);
  } catch {
    throw new DataError('DATA_NOT_FOUND', `${what}: ${p} does not exist.`);
  }
}

/** Resolve and check a path from a project; returns its real path. */
export function allowedPath(p: string, what: string, access: DataAccess): string {
  return allowedPlace(p, what, access).real;
}

/**
 * Resolve and check a path from a project: its real path, and the allowed folder it was found in
 * (`root`, a real path): the workspace folder, the folder the user picked, the folder of the file
 * the user picked, or (unrestricted) the file's own folder. Read it below `root` held
 * (confined-fs.ts), never again by `real`: a folder on the way swapped for a link after this
 * check then fails the read instead of leading it out.
 */
export function allowedPlace(p: string, what: string, access: DataAccess): { real: string; root: string } {
  if (typeof p !== 'string' || p === '' || p.length > 4096 || p.includes('\0')) throw new DataError('DATA_BAD_OPTION', `${what}: that is not a valid path.`);
  if (access.kind === 'unrestricted') {
    const resolved = real(p, what);
    return { real: resolved, root: path.dirname(resolved) };
  }
  if (access.kind === 'roots') {
    const roots = access.roots.map((r) => {
      try {
        return realpathSync.native(r);
      } catch {
        return path.resolve(r);
      }
    });
    // Relative paths are relative to the (first) workspace, as the web file picker gives them.
    const abs = path.resolve(roots[0] ?? '/', p);
    const lexicallyInside = roots.some((r) => within(abs, r));
    if (!lexicallyInside) throw new DataError('DATA_NOT_ALLOWED', `${what}: in web mode Netwright reads data only from inside its workspace folder; copy the file there.`);
    const resolved = real(abs, what);
    const root = roots.find((r) => within(resolved, r));
    if (root === undefined) throw new DataError('DATA_NOT_ALLOWED', `${what}: ${p} links to a place outside the workspace folder; Netwright does not follow it.`);
    return { real: resolved, root: resolved === root ? path.dirname(root) : root };
  }
  const resolved = real(path.resolve(p), what);
  for (const g of access.paths) {
    let granted: string;
    try {
      granted = realpathSync.native(g);
    } catch {
      continue;
    }
    if (resolved === granted) return { real: resolved, root: path.dirname(granted) };
    if (isDirectory(granted) && within(resolved, granted)) return { real: resolved, root: granted };
  }
  throw new DataError('DATA_NOT_ALLOWED', `${what}: Netwright reads only data files you chose in its file dialog; a project cannot name one by itself.`);
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Read a data file a project names, within `maxBytes`: checked against `access`, opened without
 * blocking (a FIFO cannot hang the engine), and only if it is a regular file (`/dev/zero` and
 * `/dev/urandom` are not) no larger than the limit. Nothing of its contents goes into an error.
 * It is opened below the allowed folder held, no link followed on the way (confined-fs.ts): a
 * folder swapped for a link after the check fails the read (DATA_NOT_ALLOWED), never leads it out.
 */
export function readDataFile(p: string, what: string, access: DataAccess, maxBytes: number): Buffer {
  const { real: resolved, root } = allowedPlace(p, what, access);
  try {
    return readScannedFile(root, resolved, maxBytes);
  } catch (e) {
    if (!(e instanceof RegularFileError)) throw e;
    throw refusedDataFile(e, what, p, maxBytes);
  }
}

/** Why a data file `p` was not read (readRegularFile's problem), as the coded error a loader throws; nothing of its contents in it. */
export function refusedDataFile(e: RegularFileError, what: string, p: string, maxBytes: number): DataError {
  if (e.problem === 'too-large') return new DataError('DATA_TOO_LARGE', `${what}: ${p} is ${mib(e.size)}; Netwright loads such files up to ${mib(maxBytes)}.`);
  if (e.problem === 'not-regular') return new DataError('DATA_NOT_A_FILE', `${what}: ${p} is not a regular file (a folder, device or pipe).`);
  if (e.problem === 'link') return new DataError('DATA_NOT_ALLOWED', `${what}: ${p} is a link leading outside the chosen folder; Netwright does not follow it.`);
  return new DataError(e.problem === 'missing' ? 'DATA_NOT_FOUND' : 'DATA_NOT_A_FILE', `${what}: ${p} cannot be opened (${e.errno ?? 'error'}).`);
}

/** Decompress gzip data, refusing to produce more than `maxBytes` (a gzip bomb stops there). */
export function gunzipBounded(bytes: Uint8Array, what: string, maxBytes: number): Buffer {
  try {
    return gunzipSync(bytes, { maxOutputLength: maxBytes });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
      throw new DataError('DATA_TOO_LARGE', `${what}: decompresses to more than ${mib(maxBytes)}; Netwright loads such files up to that size.`);
    }
    throw new DataError('DATA_IDX_TRUNCATED', `${what}: a damaged gzip file; copy or download it again.`);
  }
}
