import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { readRegularFile, RegularFileError } from '../../src-engine/node/regular-file';
import { FileError } from './file-paths';

/** The temp files `writeAtomic` makes: `<target>.<pid>.<8 hex>.tmp`. */
export const TEMP_FILE = /^.+\.(\d+)\.[0-9a-f]{8}\.tmp$/;

/** A file's version as `read` and `write` answer it: the SHA-256 of its bytes. */
export function versionOf(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Bytes to a temp file beside the target, flushed, then put in place: renamed over it, or with
 * `fresh` hard-linked, which fails when the target exists (E_FILE_EXISTS) — an upload or a Save
 * As never replaces a file, even one another request creates meanwhile.
 */
export async function writeBytesAtomic(target: string, data: Uint8Array, fresh: boolean): Promise<void> {
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

/**
 * Write to a temp file beside the target, flush it to disk, then rename over the target. The temp
 * file is created exclusively (`wx`: O_CREAT | O_EXCL, so a link planted at its name is never
 * followed, #81 H6) and written through the handle so created; it is removed when anything fails.
 */
export async function writeAtomic(target: string, text: string): Promise<void> {
  const tmp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await fs.open(tmp, 'wx');
  try {
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, target);
  } catch (err) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
}

/**
 * What is at `abs` now, for a save's version check, read as a project is (readRegularFile): its
 * bytes; undefined when nothing is there or it cannot be opened (the write then says why); `other`
 * when it cannot be the version opened: a FIFO, a device or a folder in its place, or more than
 * `maxBytes` (no project that large is opened). A FIFO is never waited on.
 */
export function currentBytes(abs: string, maxBytes: number): Buffer | 'other' | undefined {
  try {
    return readRegularFile(abs, maxBytes);
  } catch (e) {
    if (!(e instanceof RegularFileError)) throw e;
    return e.problem === 'not-regular' || e.problem === 'too-large' ? 'other' : undefined;
  }
}
