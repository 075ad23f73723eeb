import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ErrorCode } from '../../src-engine/base/errors';

/** A file operation failure with a stable code and a message for the user. */
export class FileError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'FileError';
  }
}

/** `n` bytes as whole MiB, for messages. */
export const mib = (n: number) => `${(n / 2 ** 20).toFixed(0)} MiB`;

/** A name for a file or folder directly inside a folder: no separators, not "." or "..". */
export function isPlainName(name: string): boolean {
  return name.length > 0 && name.length <= 255 && name.trim() === name && name !== '.' && name !== '..' && !/[\\/\0]/.test(name);
}

/**
 * Where a renderer's paths may lead, for both hosts. Web mode: inside the workspace folder, by
 * name and on disk (no link leads out: `confine`). Electron: only the paths the user granted
 * through a dialog or the recent list. Also how a path is shown to the user, and free names in a folder.
 */
export class FilePaths {
  /** Electron: paths the user granted through a dialog or the recent list. */
  private readonly granted = new Set<string>();

  /** `workspaceDir`: web mode's folder, every path relative to it; undefined in Electron. */
  constructor(readonly workspaceDir: string | undefined) {}

  /** Electron: allow a path the user chose in a native dialog. */
  grant(p: string): string {
    const abs = path.resolve(p);
    this.granted.add(abs);
    return abs;
  }

  /** Electron: allow a path of the recent list, as the list holds it. */
  grantListed(abs: string): void {
    this.granted.add(abs);
  }

  /** Electron: whether the user granted `p` (a dialog or the recent list): "show in folder" reveals only those. */
  isGranted(p: unknown): p is string {
    return typeof p === 'string' && this.granted.has(path.resolve(p));
  }

  /** Map a renderer-supplied path to an absolute path, refusing anything outside what is allowed. */
  resolve(p: string): string {
    if (typeof p !== 'string' || p.length === 0 || p.length > 4096 || p.includes('\0')) {
      throw new FileError('E_FILE_PATH', 'That is not a valid file path.');
    }
    if (this.workspaceDir) {
      const root = path.resolve(this.workspaceDir);
      const abs = path.resolve(root, p);
      if (abs !== root && !abs.startsWith(root + path.sep)) {
        throw new FileError('E_FILE_OUTSIDE_WORKSPACE', `Netwright in web mode only opens files inside its workspace folder (${root}).`);
      }
      return abs;
    }
    const abs = path.resolve(p);
    if (!this.granted.has(abs)) throw new FileError('E_FILE_NOT_GRANTED', 'Open or save the file through the File menu first.');
    return abs;
  }

  /**
   * Web mode: `abs` (inside the workspace by its name) must stay inside it on disk too: the
   * deepest part of it that exists is resolved through symlinks and checked, and the file itself
   * may not be a symlink. A link to elsewhere in the workspace is refused as well: simpler to
   * explain than a rule about where links may point.
   */
  async confine(abs: string): Promise<void> {
    const root = this.workspaceDir;
    if (!root) return;
    const realRoot = await fs.realpath(path.resolve(root)).catch(() => path.resolve(root));
    const outside = () => new FileError('E_FILE_OUTSIDE_WORKSPACE', 'That path leads out of the workspace folder through a symbolic link; Netwright does not follow links there.');
    const st = await fs.lstat(abs).catch(() => undefined);
    if (st?.isSymbolicLink()) throw outside();
    let existing = abs;
    while (!(await fs.lstat(existing).catch(() => undefined))) {
      const up = path.dirname(existing);
      if (up === existing) break;
      existing = up;
    }
    const real = await fs.realpath(existing).catch(() => existing);
    const rel = path.relative(realRoot, real);
    if (rel.startsWith('..') || path.isAbsolute(rel)) throw outside();
    // Every folder between the root and the file, as it exists now, is a real folder.
    for (let dir = path.dirname(abs); dir.startsWith(path.resolve(root)) && dir !== path.resolve(root); dir = path.dirname(dir)) {
      const d = await fs.lstat(dir).catch(() => undefined);
      if (d?.isSymbolicLink()) throw outside();
    }
  }

  /** A path as the user sees it: web mode, relative to the workspace; Electron, as it is. */
  display(abs: string): string {
    return this.workspaceDir ? path.relative(path.resolve(this.workspaceDir), abs) : abs;
  }

  /** A message about a file, with the workspace's own path left out (web mode: names relative to it, as the user sees them). */
  redact(message: string): string {
    const root = this.workspaceDir && path.resolve(this.workspaceDir);
    return root ? message.split(root + path.sep).join('') : message;
  }

  /** `dir/name`, or `dir/<stem> (2)<ext>`… when taken. */
  async freeName(dir: string, name: string): Promise<string> {
    return this.claimFreeName(dir, name, async (candidate) => {
      if (await fs.lstat(candidate).catch(() => undefined)) throw Object.assign(new Error('taken'), { code: 'EEXIST' });
    });
  }

  /**
   * `dir/name`, or `dir/<stem> (2)<ext>`… : the first that `claim` takes (an exclusive create,
   * failing EEXIST, or E_FILE_EXISTS, where something is), so the check and the taking are one step.
   */
  async claimFreeName(dir: string, name: string, claim: (candidate: string) => Promise<unknown>): Promise<string> {
    const dot = name.lastIndexOf('.');
    const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
    for (let n = 1; n < 10_000; n++) {
      const candidate = path.join(dir, n === 1 ? name : `${stem} (${n})${ext}`);
      try {
        await claim(candidate);
        return candidate;
      } catch (e) {
        if ((e as { code?: string }).code !== 'EEXIST' && (e as { code?: string }).code !== 'E_FILE_EXISTS') throw e;
      }
    }
    throw new FileError('E_FILE_IO', `${path.basename(dir)}/ holds too many files named ${name} (2), (3)…; delete or rename some.`);
  }
}
