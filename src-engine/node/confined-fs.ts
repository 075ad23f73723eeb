import fs from 'node:fs';
import path from 'node:path';
import { openFailure, regularFileOf, RegularFileError, within, type RegularFile } from './regular-file';

/**
 * Reads confined to a folder without races (issue #81, H5), in the manner of Go 1.24's `os.Root`
 * and Rust's cap-std: the folder is opened once and held, and every path below it is opened one
 * component at a time relative to the held handle, none of them followed if it is a link. Nothing
 * is "resolved, checked, then opened by path": a folder or file swapped for a link between a check
 * and a read (`renameat2(RENAME_EXCHANGE)`) makes the read fail, never leads it out of the folder.
 *
 * From Node, a held folder is reached as `/proc/self/fd/N`: `openat(N, name, O_NOFOLLOW)` is
 * `open('/proc/self/fd/N/name', O_NOFOLLOW)`. Where the platform has no `/proc/self/fd` (macOS,
 * Windows), `HELD_HANDLES` is false and the walk goes by path: each component is still refused if
 * it is a link (`lstat`, and `O_NOFOLLOW` for the file), but a swap between two components is not
 * excluded there.
 *
 * Paths given to a `HeldDir` are `/`-separated plain names (`a/b.png`; no `..`, `.` or empty part):
 * real paths relative to the held folder, as a scan or `realInside` gives them.
 */
export const HELD_HANDLES = process.platform === 'linux' && fs.existsSync('/proc/self/fd');

/**
 * Open `rel` below the folder reached as `base` one component at a time, none followed if a link:
 * folders with `O_DIRECTORY | O_NOFOLLOW`, the file (`want` 'file') with `O_NOFOLLOW`, each opened
 * relative to the one before (`/proc/self/fd/N/name`) when `held`; by path, each component
 * `lstat`-checked, when not; `fileFlags` (with `O_NOFOLLOW` added) opens the file another way
 * (to write it). Returns the last descriptor (-1 for a folder when not `held`, or for
 * an empty `rel`). A link met on the way throws an error with code `ELOOP`.
 *
 * NOTE: no imports and no closures over module state: image-stream's decoding threads run this
 * function's text (`openBeneath.toString()`), so they read with the same walk.
 */
export function openBeneath(fsm: typeof fs, base: string, rel: string, want: 'file' | 'dir', held: boolean, fileFlags?: number): number {
  const c = fsm.constants;
  const link = (p: string) => Object.assign(new Error(`${p} is a link (not followed)`), { code: 'ELOOP' });
  const parts = rel === '' ? [] : rel.split('/');
  for (const part of parts) if (part === '' || part === '.' || part === '..') throw Object.assign(new Error(`not a plain name: ${part}`), { code: 'EINVAL' });
  const flags = c.O_RDONLY | (c.O_NONBLOCK || 0) | (c.O_NOFOLLOW || 0);
  const last = fileFlags === undefined ? flags : fileFlags | (c.O_NONBLOCK || 0) | (c.O_NOFOLLOW || 0);
  let fd = -1;
  let at = base;
  try {
    for (let i = 0; i < parts.length; i++) {
      const file = i === parts.length - 1 && want === 'file';
      const p = `${at}/${parts[i]}`;
      if (held) {
        let next: number;
        try {
          next = fsm.openSync(p, file ? last : flags | (c.O_DIRECTORY || 0), 0o666);
        } catch (e) {
          // O_DIRECTORY | O_NOFOLLOW on a link answers ENOTDIR: say it is a link.
          const code = (e as { code?: string }).code;
          if (code === 'ENOTDIR' || code === 'ELOOP') {
            let isLink = false;
            try {
              isLink = fsm.lstatSync(p).isSymbolicLink();
            } catch {
              // Gone meanwhile: the open's own error stands.
            }
            if (isLink) throw link(parts[i]);
          }
          throw e;
        }
        if (fd >= 0) fsm.closeSync(fd);
        fd = next;
        at = `/proc/self/fd/${fd}`;
      } else if (file) {
        if (fsm.lstatSync(p).isSymbolicLink()) throw link(parts[i]);
        fd = fsm.openSync(p, last, 0o666);
      } else {
        if (fsm.lstatSync(p).isSymbolicLink()) throw link(parts[i]);
        at = p;
      }
    }
    return fd;
  } catch (e) {
    if (fd >= 0) fsm.closeSync(fd);
    throw e;
  }
}

/**
 * Open the folder at the real path `real` and check that what was opened is that folder: its
 * last component not followed (`O_NOFOLLOW`), and the kernel's name for the opened handle
 * (`/proc/self/fd/N`) equal to `real`, so a folder on the way swapped for a link since `real` was
 * resolved is refused (code `ELOOP`). Returns the descriptor. Only where `/proc/self/fd` exists.
 *
 * NOTE: no imports, as `openBeneath` (image-stream's threads run its text).
 */
export function openHeldRoot(fsm: typeof fs, real: string): number {
  const c = fsm.constants;
  let fd: number;
  try {
    fd = fsm.openSync(real, c.O_RDONLY | (c.O_DIRECTORY || 0) | (c.O_NOFOLLOW || 0));
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ENOTDIR' || code === 'ELOOP') {
      let isLink = false;
      try {
        isLink = fsm.lstatSync(real).isSymbolicLink();
      } catch {
        // Gone meanwhile.
      }
      if (isLink) throw Object.assign(new Error(`${real} is a link (not followed)`), { code: 'ELOOP' });
    }
    throw e;
  }
  let where: string;
  try {
    where = fsm.readlinkSync(`/proc/self/fd/${fd}`);
  } catch (e) {
    fsm.closeSync(fd);
    throw e;
  }
  if (where !== real) {
    fsm.closeSync(fd);
    throw Object.assign(new Error(`${real} now leads to another place (a folder on its way became a link)`), { code: 'ELOOP' });
  }
  return fd;
}

/** `rel` as a HeldDir takes it: `/`-separated, `''` for the folder itself. */
const slashed = (rel: string): string => (rel === '.' ? '' : rel.split(path.sep).join('/'));

/**
 * A folder opened once and held: files and folders below it are opened relative to it (see the
 * module comment), never re-resolved by path. Close it when done (`withHeldDir` does).
 */
export class HeldDir {
  private constructor(
    /** The folder's real path when it was opened. */
    readonly path: string,
    private fd: number,
  ) {}

  /**
   * Hold the folder at the real path `real` (an allowed folder, as `allowedPath` resolved it).
   *
   * @throws RegularFileError `link` when a folder on its way became a link since it was resolved;
   *   `missing` or `unopenable` when it cannot be opened.
   */
  static open(real: string): HeldDir {
    if (!HELD_HANDLES) {
      try {
        if (!fs.statSync(real).isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
      } catch (e) {
        throw openFailure(e);
      }
      return new HeldDir(real, -1);
    }
    try {
      return new HeldDir(real, openHeldRoot(fs, real));
    } catch (e) {
      throw openFailure(e);
    }
  }

  /** How the folder is reached: `/proc/self/fd/N`, or its path where handles cannot be held. */
  get base(): string {
    return this.fd >= 0 ? `/proc/self/fd/${this.fd}` : this.path;
  }

  /** The folder's real path now (where it lies if it was moved since it was opened). */
  realPath(): string {
    return this.fd >= 0 ? fs.readlinkSync(this.base) : this.path;
  }

  /**
   * A regular file below the folder, of at most `maxBytes`, opened by the walk (no link followed)
   * and read from the descriptor opened (never again by path).
   *
   * @throws RegularFileError `link` for a link on the way; `not-regular`, `too-large`, `missing`…
   */
  openFile(rel: string, maxBytes: number): RegularFile {
    let fd: number;
    try {
      fd = openBeneath(fs, this.base, slashed(rel), 'file', this.fd >= 0);
    } catch (e) {
      throw openFailure(e);
    }
    return regularFileOf(fd, maxBytes);
  }

  /** The bytes of `openFile(rel, maxBytes)`. */
  readFile(rel: string, maxBytes: number): Buffer {
    const file = this.openFile(rel, maxBytes);
    try {
      const out = Buffer.allocUnsafe(file.size);
      return out.subarray(0, file.read(0, out));
    } finally {
      file.close();
    }
  }

  /** A folder below this one, held in turn (close it too). */
  openDir(rel: string): HeldDir {
    const r = slashed(rel);
    if (r === '') return this.fd >= 0 ? HeldDir.open(this.realPath()) : new HeldDir(this.path, -1);
    try {
      const fd = openBeneath(fs, this.base, r, 'dir', this.fd >= 0);
      return new HeldDir(fd >= 0 ? fs.readlinkSync(`/proc/self/fd/${fd}`) : `${this.path}/${r}`, fd);
    } catch (e) {
      throw openFailure(e);
    }
  }

  /**
   * What is at `rel` below the folder (a file or folder, opened by the walk without following a
   * link, without blocking, and `fstat`ed): for a link's target, found with `realInside`.
   *
   * @throws RegularFileError `link` for a link on the way; `missing`, `unopenable`.
   */
  statInside(rel: string): fs.Stats {
    const r = slashed(rel);
    if (r === '') return this.fd >= 0 ? fs.fstatSync(this.fd) : fs.statSync(this.path);
    let fd: number;
    try {
      fd = openBeneath(fs, this.base, r, 'file', this.fd >= 0);
      if (fd < 0) return fs.lstatSync(`${this.path}/${r}`);
    } catch (e) {
      throw openFailure(e);
    }
    try {
      return fs.fstatSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** `fstat` of the held folder (its path's `stat` where handles cannot be held). */
  stat(): fs.Stats {
    return this.fd >= 0 ? fs.fstatSync(this.fd) : fs.statSync(this.path);
  }

  /**
   * Create the file `rel` below the folder for writing, exclusively (`O_CREAT | O_EXCL |
   * O_NOFOLLOW`: a name taken, by a link too, fails with EEXIST, nothing is followed), its folders
   * on the way made as needed and walked without following links. Returns the descriptor.
   */
  createFile(rel: string): number {
    const c = fs.constants;
    const parts = slashed(rel).split('/');
    const name = parts.pop()!;
    // The folder the file goes in: this one, or one below it held in turn (then closed here).
    let below: HeldDir | undefined;
    try {
      for (const part of parts) {
        const base = below?.base ?? this.base;
        try {
          fs.mkdirSync(`${base}/${part}`);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        }
        const next = (below ?? this).openDir(part);
        below?.close();
        below = next;
      }
      const dir = below ?? this;
      return openBeneath(fs, dir.base, name, 'file', dir.fd >= 0, c.O_WRONLY | c.O_CREAT | c.O_EXCL);
    } finally {
      below?.close();
    }
  }

  /** Open the existing file `rel` below the folder for writing (no link followed on the way or at the end). */
  openWritable(rel: string): number {
    return openBeneath(fs, this.base, slashed(rel), 'file', this.fd >= 0, fs.constants.O_WRONLY);
  }

  /** The entries of this folder, read through the held handle. */
  list(): fs.Dirent[] {
    return fs.readdirSync(this.base, { withFileTypes: true });
  }

  /** What `name`, an entry of this folder, is (a link is not followed). */
  lstat(name: string): fs.Stats {
    return fs.lstatSync(`${this.base}/${name}`);
  }

  /**
   * Where `rel` (which may pass through links) really lies, relative to this folder and
   * `/`-separated; undefined when it leads out of it. Resolved through the held handle; open the
   * answer with `openFile`/`openDir`, which follow no link, so a swap after this is refused there.
   *
   * @throws RegularFileError `missing` (a broken link, nothing there) or `unopenable`.
   */
  realInside(rel: string): string | undefined {
    let real: string;
    let root: string;
    try {
      real = fs.realpathSync.native(`${this.base}/${slashed(rel)}`);
      root = this.realPath();
    } catch (e) {
      throw openFailure(e);
    }
    return within(real, root) ? slashed(path.relative(root, real)) : undefined;
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}

/** Run `use` with the folder at the real path `real` held, then let it go. */
export function withHeldDir<T>(real: string, use: (dir: HeldDir) => T): T {
  const dir = HeldDir.open(real);
  try {
    return use(dir);
  } finally {
    dir.close();
  }
}

/**
 * A file a scan found below the chosen folder `root` (both real paths then), read only by the walk
 * from `root` held: a link found there now, as the file or as a folder on its way, is refused
 * (`link`) rather than followed out of the folder, and `root` itself must still be where it was.
 *
 * @throws RegularFileError
 */
export function readScannedFile(root: string, file: string, maxBytes: number): Buffer {
  const rel = path.relative(root, file);
  if (rel === '') throw new RegularFileError('not-regular');
  if (rel.startsWith('..') || path.isAbsolute(rel)) throw new RegularFileError('link');
  return withHeldDir(root, (dir) => dir.readFile(rel, maxBytes));
}

/**
 * A file of the chosen folder `root` (a real path), read only where it really lies inside it: a
 * link on the way is followed to a place inside `root` (as `scanImageFolder` follows links) and
 * refused (`link`) when it leads out; then the file is opened by the walk from `root` held, so a
 * link planted on the way after the check is refused too. For files a folder's layout names (a
 * mask folder's `classes.txt`, an `.npy`'s targets beside it) or a listing found.
 *
 * @throws RegularFileError
 */
export function readFileInside(root: string, file: string, maxBytes: number): Buffer {
  return withHeldDir(root, (dir) => {
    const rel = dir.realInside(path.relative(root, file));
    if (rel === undefined || rel === '') throw new RegularFileError(rel === undefined ? 'link' : 'not-regular');
    return dir.readFile(rel, maxBytes);
  });
}
