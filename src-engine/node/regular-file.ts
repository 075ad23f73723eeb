import { closeSync, constants, fstatSync, lstatSync, openSync, readSync } from 'node:fs';

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
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new RegularFileError('not-regular');
    if (st.size > maxBytes) throw new RegularFileError('too-large', st.size);
    // Read what fstat promised and no more (a file growing while it is read is cut there).
    const out = Buffer.allocUnsafe(st.size);
    let off = 0;
    while (off < out.length) {
      const n = readSync(fd, out, off, out.length - off, off);
      if (n === 0) break;
      off += n;
    }
    return out.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}

function openFailure(e: unknown): RegularFileError {
  const code = (e as NodeJS.ErrnoException).code;
  // ELOOP: O_NOFOLLOW met a link that appeared after the lstat.
  if (code === 'ELOOP') return new RegularFileError('link', 0, code);
  return new RegularFileError(code === 'ENOENT' || code === 'ENOTDIR' ? 'missing' : 'unopenable', 0, code);
}
