import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, realpathSync } from 'node:fs';
import path from 'node:path';

/** Why `readRegularFile` read nothing. */
export type RegularFileProblem = 'missing' | 'unopenable' | 'link' | 'not-regular' | 'too-large';

/** A file `readRegularFile` refused, with why (callers turn it into their own coded error). */
export class RegularFileError extends Error {
  constructor(
    readonly problem: RegularFileProblem,
    /** The file's size, for `too-large`. */
    readonly size = 0,
    /** The system's error code, for `missing` and `unopenable`. */
    readonly errno?: string,
  ) {
    super(problem);
  }
}

/**
 * Read a file only if it is a regular file of at most `maxBytes`: opened without blocking (a FIFO
 * cannot hang the engine), checked with `fstat` (`/dev/zero` is not a regular file), and read no
 * further than the size `fstat` gave. With `noFollow`, a symbolic link is refused rather than
 * followed (`lstat` first, and `O_NOFOLLOW` where the platform has it, so a swap in between fails
 * too).
 *
 * @throws RegularFileError
 */
export function readRegularFile(path: string, maxBytes: number, options: { noFollow?: boolean } = {}): Buffer {
  const file = openRegularFile(path, maxBytes, options);
  try {
    const out = Buffer.allocUnsafe(file.size);
    return out.subarray(0, file.read(0, out));
  } finally {
    file.close();
  }
}

/** A regular file opened by `openRegularFile`: its size as `fstat` gave it, read at offsets. */
export interface RegularFile {
  readonly size: number;
  /** Fill `into` from byte `offset` (never past `size`); returns the bytes read. */
  read(offset: number, into: Uint8Array): number;
  close(): void;
}

/**
 * Open a file only if it is a regular file of at most `maxBytes`, with `readRegularFile`'s checks,
 * for reading parts of it (a file larger than one Buffer, or one read tensor by tensor).
 *
 * @throws RegularFileError
 */
export function openRegularFile(path: string, maxBytes: number, options: { noFollow?: boolean } = {}): RegularFile {
  if (options.noFollow) {
    let isLink: boolean;
    try {
      isLink = lstatSync(path).isSymbolicLink();
    } catch (e) {
      throw openFailure(e);
    }
    if (isLink) throw new RegularFileError('link');
  }
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (options.noFollow ? (constants.O_NOFOLLOW ?? 0) : 0));
  } catch (e) {
    throw openFailure(e);
  }
  let size: number;
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new RegularFileError('not-regular');
    if (st.size > maxBytes) throw new RegularFileError('too-large', st.size);
    size = st.size;
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  return {
    size,
    // Read what fstat promised and no more (a file growing while it is read is cut there).
    read(offset, into) {
      const want = Math.max(0, Math.min(into.length, size - offset));
      let off = 0;
      while (off < want) {
        const n = readSync(fd, into, off, want - off, offset + off);
        if (n === 0) break;
        off += n;
      }
      return off;
    },
    close: () => closeSync(fd),
  };
}

/**
 * A file found by a scan (`file` was a real path then), read with readRegularFile's fences: a link
 * found there now, as the file or as a folder on its way (planted after the scan), is refused
 * (`link`) rather than followed out of the chosen folder.
 *
 * @throws RegularFileError
 */
export function readScannedFile(file: string, maxBytes: number): Buffer {
  if (realPath(path.dirname(file)) !== path.dirname(file)) throw new RegularFileError('link');
  return readRegularFile(file, maxBytes, { noFollow: true });
}

/**
 * A file of the chosen folder `root`, read only where it really lies inside it: a
 * link is followed to a place inside `root` and refused (`link`) when it leads out, as
 * `scanImageFolder` follows links; then read as `readScannedFile` reads, so a link planted on the
 * way after the check is refused too. For files a folder's layout names (a mask folder's
 * `classes.txt`) rather than ones its scan found.
 *
 * @throws RegularFileError
 */
export function readFileInside(root: string, file: string, maxBytes: number): Buffer {
  const real = realPath(file);
  if (!within(real, realPath(root))) throw new RegularFileError('link');
  return readScannedFile(real, maxBytes);
}

/** `child` is `parent` or inside it (both real paths). */
export function within(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function realPath(p: string): string {
  try {
    return realpathSync.native(p);
  } catch (e) {
    throw openFailure(e);
  }
}

function openFailure(e: unknown): RegularFileError {
  const code = (e as NodeJS.ErrnoException).code;
  // ELOOP: O_NOFOLLOW met a link that appeared after the lstat.
  if (code === 'ELOOP') return new RegularFileError('link', 0, code);
  return new RegularFileError(code === 'ENOENT' || code === 'ENOTDIR' ? 'missing' : 'unopenable', 0, code);
}
