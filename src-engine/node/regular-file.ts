import { closeSync, constants, fstatSync, lstatSync, openSync, readSync } from 'node:fs';
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
  return regularFileOf(fd, maxBytes);
}

/**
 * The open descriptor `fd` as a RegularFile, if it is a regular file of at most `maxBytes`
 * (checked with `fstat`); closed and refused otherwise. For callers that opened the file their own
 * way (confined-fs.ts's walk).
 *
 * @throws RegularFileError `not-regular` or `too-large`.
 */
export function regularFileOf(fd: number, maxBytes: number): RegularFile {
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

/** `child` is `parent` or inside it (both real paths). */
export function within(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** A failed open or walk as the RegularFileError callers read. */
export function openFailure(e: unknown): RegularFileError {
  if (e instanceof RegularFileError) return e;
  const code = (e as NodeJS.ErrnoException).code;
  // ELOOP: O_NOFOLLOW met a link that appeared after the lstat (or the walk of confined-fs.ts met one).
  if (code === 'ELOOP') return new RegularFileError('link', 0, code);
  return new RegularFileError(code === 'ENOENT' || code === 'ENOTDIR' ? 'missing' : 'unopenable', 0, code);
}
