import { createHash, randomBytes } from 'node:crypto';
import { constants, readlinkSync, promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';

/**
 * How long a lock lives untouched before it counts as abandoned (`staleMs`; its holder touches it
 * every `refreshMs`), and how long an operation waits for a lock before giving up (`waitMs`:
 * longer than `staleMs`, so a lock whose holder died on another machine is broken while it waits).
 */
export interface FileLockTimings {
  staleMs: number;
  refreshMs: number;
  waitMs: number;
}

export const FILE_LOCK_TIMINGS: FileLockTimings = { staleMs: 30_000, refreshMs: 5_000, waitMs: 40_000 };

/** Thrown when the lock stays held by a live holder for longer than `waitMs`. */
export class FileLockBusy extends Error {
  readonly code = 'E_FILE_BUSY';
}

/**
 * Thrown by `HeldLock.commit` when the lock was taken from its holder before the commit (it was
 * stopped or stalled past `staleMs`, and another process broke it): nothing was written.
 */
export class FileLockLost extends Error {
  override readonly name = 'FileLockLost';
}

/** Thrown when something that is not a lock of Netwright's (a folder of the user's, a link) has the lock's name. */
export class FileLockBlocked extends Error {
  readonly code = 'E_FILE_LOCK_BLOCKED';
  constructor(
    /** The lock's path, which that thing holds. */
    readonly lock: string,
    /** What is there: 'folder' or 'file'. */
    readonly what: 'folder' | 'file',
  ) {
    super(`${path.basename(lock)} is a ${what} that is not a save lock`);
  }
}

/** What a lock holds: who took it (process, machine) and when. */
export interface LockHolder {
  pid: number;
  machine: string;
  at: number;
  token: string;
}

/**
 * This machine as lock files name it: its host name and, on Linux, its pid namespace (two
 * containers of one host name, or a container beside its host, number their processes apart).
 */
export const THIS_MACHINE = ((): string => {
  try {
    return `${hostname()}/${readlinkSync('/proc/self/ns/pid')}`;
  } catch {
    return hostname();
  }
})();

/** The lock of `target`: `<target>.lock`, beside it. */
export const lockPathOf = (target: string): string => `${target}.lock`;

/** The names inside a lock folder: its holder's record and the bytes it stages (`<token>.holder`, `<token>.data`). */
const HOLDER_FILE = /^([0-9a-f]{16})\.holder$/;
const holderFile = (token: string) => `${token}.holder`;
const dataFile = (token: string) => `${token}.data`;

/** The lock as `op` holds it. */
export interface HeldLock {
  /**
   * Put the bytes staged with the lock at the target: over whatever is there (`replace`), or only
   * where nothing is (`fresh`: a hard link, failing with EEXIST). Throws FileLockLost, and writes
   * nothing, when the lock was broken before this moment.
   */
  commit(mode: 'replace' | 'fresh'): Promise<void>;
}

/**
 * Run `op` holding `target`'s lock: two hosts on one workspace (the app and a web host, or two
 * web hosts) never run `op` on one file at once, and one that lost the lock while `op` ran cannot
 * write through `commit`. Only Node's fs, so the same on Linux, macOS and Windows.
 *
 * The lock is a folder beside the target, `<target>.lock`, holding `<token>.holder` (who holds it,
 * touched every `refreshMs`) and `<token>.data` (the bytes `staged` for `commit`). It is filled
 * first under a name of its own (`<target>.lock.<token>.new`), then renamed to `<target>.lock`:
 * a rename onto a folder that is not empty fails, so of two hosts one takes it, and the lock is
 * never seen half-made.
 *
 * A holder that crashed leaves its lock behind; it is broken when its process is gone (a holder
 * on this machine) or when it was not touched for `staleMs` (a holder elsewhere, or one stopped:
 * a live holder touches it every `refreshMs`). Breaking takes one claim per lock
 * (`<lock>.<id>.break`, created exclusively) and renames the lock away (`<lock>.<hex>.gone`, then
 * removed) only if it is still the one found abandoned. Throws FileLockBusy after `waitMs` without
 * the lock, FileLockBlocked at once where a folder or a link not ours has the lock's name.
 *
 * The fencing token (Kleppmann, "How to do distributed locking"): a lock that expires can be broken
 * under a holder that is only stopped (SIGSTOP, a laptop lid, a stalled disk) and resumes thinking
 * it holds it. So the write itself checks: `commit` is ONE rename (or link) of
 * `<target>.lock/<token>.data` to the target. The kernel resolves that path when the rename runs,
 * so it finds the file only while this holder's own folder is the one named `<target>.lock`: a
 * broken lock was renamed away with the staged bytes inside, and a lock taken since is another
 * folder, holding another token's files. Nothing ever renames a folder back to `<target>.lock`
 * (only a fresh `.new` is renamed there, once), so a holder whose folder is there at its commit
 * has held it without a break since before its version check: no other commit landed between its
 * check and its own. Removing a lock (releasing it, breaking it) checks and then renames, so a
 * process stopped between the two can remove a newer holder's lock; that holder's commit then
 * fails with FileLockLost (a save to repeat), never writing over another's.
 * NOTE: the guarantee is the file system's: a local one resolves and renames in one system call;
 * a network one (NFS, SMB) keeps it as far as its client sees the other machine's rename at once.
 *
 * @example
 *   await withFileLock('/work/a.netwright.json', async (held) => { ...check the version...; await held.commit('replace'); }, FILE_LOCK_TIMINGS, bytes);
 */
export async function withFileLock<T>(target: string, op: (held: HeldLock) => Promise<T>, timings: FileLockTimings = FILE_LOCK_TIMINGS, staged?: Uint8Array): Promise<T> {
  const lock = lockPathOf(target);
  const me: LockHolder = { pid: process.pid, machine: THIS_MACHINE, at: Date.now(), token: randomBytes(8).toString('hex') };
  await acquire(lock, me, staged, timings);
  const mine = path.join(lock, holderFile(me.token));
  const refresh = setInterval(() => {
    const now = new Date();
    // By path: a lock broken meanwhile is not touched (ENOENT), nor the one another took since.
    void fs.utimes(mine, now, now).catch(() => {});
  }, timings.refreshMs);
  refresh.unref();
  const held: HeldLock = {
    async commit(mode) {
      if (!staged) throw new Error('withFileLock: nothing was staged to commit');
      const from = path.join(lock, dataFile(me.token));
      try {
        if (mode === 'fresh') await fs.link(from, target);
        else await fs.rename(from, target);
      } catch (e) {
        // ENOENT (or ENOTDIR, a file now at the lock's name): the staged bytes are not under the lock's name any more.
        if (!(await fs.lstat(mine).catch(() => undefined))) throw new FileLockLost(`${path.basename(lock)} was taken over while this save waited; nothing was written`);
        throw e;
      }
    },
  };
  try {
    return await op(held);
  } finally {
    clearInterval(refresh);
    await release(lock, me);
  }
}

/** What `rename(folder, lock)` fails with when something is at the lock's name (Windows: EPERM for a folder there). */
const TAKEN = new Set(['EEXIST', 'ENOTEMPTY', 'ENOTDIR', 'EISDIR', ...(process.platform === 'win32' ? ['EPERM', 'EACCES'] : [])]);

async function acquire(lock: string, me: LockHolder, staged: Uint8Array | undefined, t: FileLockTimings): Promise<void> {
  const start = Date.now();
  const fresh = `${lock}.${me.token}.new`;
  await fs.mkdir(fresh);
  try {
    await writeSynced(path.join(fresh, holderFile(me.token)), JSON.stringify(me));
    if (staged) await writeSynced(path.join(fresh, dataFile(me.token)), staged);
    for (let pause = 1; ; pause = Math.min(pause * 2, 20)) {
      const held = await readLock(lock);
      if (!held) {
        // Touched just before it is put in place: a lock that waited here is not judged stale once taken.
        const now = new Date();
        await fs.utimes(path.join(fresh, holderFile(me.token)), now, now);
        try {
          await fs.rename(fresh, lock);
          return;
        } catch (e) {
          if (!TAKEN.has((e as NodeJS.ErrnoException).code ?? '')) throw e;
          continue;
        }
      }
      if (held.foreign) throw new FileLockBlocked(lock, held.foreign);
      if (abandoned(held, t)) {
        await breakLock(lock, held, t);
        continue;
      }
      if (Date.now() - start > t.waitMs) throw new FileLockBusy(`${path.basename(lock)} has been held for over ${Math.round(t.waitMs / 1000)} s`);
      await new Promise((r) => setTimeout(r, pause + Math.random() * pause));
    }
  } catch (e) {
    await fs.rm(fresh, { recursive: true, force: true });
    throw e;
  }
}

async function writeSynced(file: string, data: string | Uint8Array): Promise<void> {
  const handle = await fs.open(file, 'wx');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Let the lock go if it is still this holder's: renamed away, then removed. */
async function release(lock: string, me: LockHolder): Promise<void> {
  const held = await readLock(lock);
  if (held?.holder?.token !== me.token) return;
  if (!held.folder) {
    await fs.rm(lock, { force: true });
    return;
  }
  const gone = `${lock}.${me.token}.gone`;
  if (await fs.rename(lock, gone).then(() => true, () => false)) await fs.rm(gone, { recursive: true, force: true });
}

export interface FoundLock {
  /** The lock's identity: its inode, times and what it holds (a lock removed and taken again differs, and so does one touched). */
  id: string;
  mtimeMs: number;
  holder: LockHolder | undefined;
  /** A lock folder (this version's locks); false for a lock file (an earlier version's, or one it was writing). */
  folder: boolean;
  /** Set where the thing at the lock's name is none of Netwright's: a folder without a holder, a link, a FIFO. */
  foreign?: 'folder' | 'file';
}

/**
 * The lock as it is now, or undefined where there is none: a lock folder (its holder's record,
 * whose time is the lock's), or a lock file as earlier versions made (its first 1 KiB holds a
 * LockHolder; it is judged and broken as they were).
 */
export async function readLock(lock: string): Promise<FoundLock | undefined> {
  const st = await fs.lstat(lock).catch(() => undefined);
  if (!st) return undefined;
  const identity = (parts: unknown[]) => createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 16);
  if (st.isDirectory()) {
    let names: string[];
    try {
      names = await fs.readdir(lock);
    } catch (e) {
      // Released (renamed away) between the lstat and the listing, perhaps with the next holder's
      // folder already in its place: look again. Only a folder that stays unreadable is not ours.
      // (A save of two hosts at once was refused E_FILE_LOCK_BLOCKED once in 20 rounds.)
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return readLock(lock);
      return { id: identity([st.ino, 'unreadable']), mtimeMs: st.mtimeMs, holder: undefined, folder: true, foreign: 'folder' };
    }
    const tokens = names.map((n) => HOLDER_FILE.exec(n)?.[1]).filter((x): x is string => !!x);
    // Ours hold one holder's record from the moment they bear the name (filled before the rename).
    if (tokens.length !== 1) {
      // A lock being released is renamed away and then emptied: a listing that opened it by this name
      // just before the rename reads it empty, or half removed, while the next holder's folder may
      // already bear the name. Only a folder still at the name, listed alike twice, is not ours.
      // (Ten writers at once over a crashed holder's lock were refused E_FILE_LOCK_BLOCKED once, in CI.)
      const again = await fs.lstat(lock).catch(() => undefined);
      const relisted = again?.isDirectory() && again.ino === st.ino ? await fs.readdir(lock).catch(() => undefined) : undefined;
      if (!relisted || relisted.sort().join('/') !== names.sort().join('/')) return readLock(lock);
      return { id: identity([st.ino, ...names]), mtimeMs: st.mtimeMs, holder: undefined, folder: true, foreign: 'folder' };
    }
    const record = path.join(lock, holderFile(tokens[0]));
    const rst = await fs.lstat(record).catch(() => undefined);
    // Renamed away between the listing and now: look again.
    if (!rst) return readLock(lock);
    const text = await readHead(record);
    const holder = parseHolder(text);
    return { id: identity([st.ino, rst.ino, rst.mtimeMs, text]), mtimeMs: rst.mtimeMs, holder: holder?.token === tokens[0] ? holder : undefined, folder: true };
  }
  if (!st.isFile()) return { id: identity([st.ino, st.mtimeMs]), mtimeMs: st.mtimeMs, holder: undefined, folder: false, foreign: 'file' };
  const text = await readHead(lock);
  // Being written (opened, not yet filled), or not ours: judged by its age alone.
  const holder = parseHolder(text);
  const id = identity([st.ino, st.birthtimeMs, st.ctimeMs, st.mtimeMs, st.size, text]);
  return { id, mtimeMs: st.mtimeMs, holder, folder: false };
}

/** A file's first 1 KiB as text ('' where it cannot be opened as a file without following a link). */
async function readHead(file: string): Promise<string> {
  const handle = await fs.open(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0)).catch(() => undefined);
  if (!handle) return '';
  try {
    const buf = Buffer.alloc(1024);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const h = JSON.parse(text) as Partial<LockHolder>;
    if (typeof h.pid === 'number' && typeof h.machine === 'string' && typeof h.token === 'string') return h as LockHolder;
  } catch {
    // Not a holder's record.
  }
  return undefined;
}

function abandoned(found: FoundLock, t: FileLockTimings): boolean {
  if (found.holder?.machine === THIS_MACHINE && !processAlive(found.holder.pid)) return true;
  return Date.now() - found.mtimeMs > t.staleMs;
}

/**
 * Remove the lock `found`, if it is still that one. A waiter breaks it only holding its claim
 * (`<lock>.<id>.break`, exclusive): no other waiter breaks it meanwhile. A lock folder is renamed
 * away first (`<lock>.<hex>.gone`): from that moment its holder's commit finds nothing to rename
 * (withFileLock). A claim left by a waiter that died breaking is itself removed once `staleMs` old.
 */
export async function breakLock(lock: string, found: FoundLock, t: FileLockTimings): Promise<void> {
  if (found.foreign) return;
  const claim = `${lock}.${found.id}.break`;
  let handle;
  try {
    handle = await fs.open(claim, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    const st = await fs.lstat(claim).catch(() => undefined);
    if (st && Date.now() - st.mtimeMs > t.staleMs) await fs.rm(claim, { force: true });
    return;
  }
  try {
    const now = await readLock(lock);
    if (now?.id === found.id) {
      if (!now.folder) await fs.rm(lock, { force: true });
      else {
        const gone = `${lock}.${randomBytes(8).toString('hex')}.gone`;
        if (await fs.rename(lock, gone).then(() => true, () => false)) await fs.rm(gone, { recursive: true, force: true });
      }
    }
  } finally {
    await handle.close();
    await fs.rm(claim, { force: true });
  }
}

/**
 * What a lock's holder, waiter or breaker may leave behind: `<target>.lock`, a claim to break it
 * (`.lock.<id>.break`), a lock being made (`.lock.<token>.new`) or being removed (`.lock.<hex>.gone`).
 */
export const LOCK_LEFTOVER = /\.lock(\.[0-9a-f]{16}\.(break|new|gone))?$/;

/**
 * Remove `file` (a LOCK_LEFTOVER) if it was left by a holder that crashed: a lock (or one being
 * made) that a process of this machine holds no more, a claim to break one older than `staleMs`,
 * a lock renamed away to be removed. A thing of that name that is not a lock of ours (a
 * `yarn.lock` beside a project, a folder of the user's) stays. Answers whether it went.
 * Host start (FileService.cleanupTempFiles).
 */
export async function clearAbandonedLock(file: string, t: FileLockTimings = FILE_LOCK_TIMINGS): Promise<boolean> {
  const gone = async () => !(await fs.lstat(file).catch(() => undefined));
  if (file.endsWith('.break')) {
    const st = await fs.lstat(file).catch(() => undefined);
    return !!st && st.isFile() && Date.now() - st.mtimeMs > t.staleMs && (await fs.rm(file).then(() => true, () => false));
  }
  if (file.endsWith('.gone')) {
    // Renamed away by a release or a break, which removes it next: nobody's lock any more.
    const st = await fs.lstat(file).catch(() => undefined);
    if (!st?.isDirectory()) return false;
    await fs.rm(file, { recursive: true, force: true });
    return gone();
  }
  if (file.endsWith('.new')) {
    // Being made by a waiter, which gives up within `waitMs` (removing it): one older than that, or of a process gone, was left.
    const found = await readLock(file);
    if (!found?.folder || found.foreign) return false;
    const dead = found.holder?.machine === THIS_MACHINE && !processAlive(found.holder.pid);
    if (!dead && Date.now() - found.mtimeMs < t.waitMs + t.staleMs) return false;
    await fs.rm(file, { recursive: true, force: true });
    return gone();
  }
  const found = await readLock(file);
  if (!found?.holder || found.holder.machine !== THIS_MACHINE || processAlive(found.holder.pid)) return false;
  await breakLock(file, found, t);
  return gone();
}

/** Whether a process of this machine with that id is running (EPERM: one of another user's). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
