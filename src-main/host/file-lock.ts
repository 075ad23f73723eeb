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

/** What a lock file holds: who took it (process, machine) and when. */
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

/** The lock file of `target`: `<target>.lock`, beside it. */
export const lockPathOf = (target: string): string => `${target}.lock`;

/**
 * Run `op` holding `target`'s lock, a file beside it (`<target>.lock`) that any process, on any
 * machine sharing the folder, creates exclusively (`wx`) to hold it and removes to let it go: two
 * hosts on one workspace (the app and a web host, or two web hosts) never run `op` on one file at
 * once. Only Node's fs, so the same on Linux, macOS and Windows.
 *
 * A holder that crashed leaves its lock behind; it is broken when its process is gone (a holder
 * on this machine) or when it was not touched for `staleMs` (a holder elsewhere: a live holder
 * touches it every `refreshMs`). Breaking takes one claim per lock (`<lock>.<id>.break`, created
 * exclusively) and removes the lock only if it is still the one found abandoned, so of two
 * waiters finding it at once one breaks it, and neither removes the lock the other took meanwhile.
 * Throws FileLockBusy after `waitMs` without the lock.
 *
 * @example
 *   await withFileLock('/work/a.netwright.json', async () => { ...check the version, write, rename... });
 */
export async function withFileLock<T>(target: string, op: () => Promise<T>, timings: FileLockTimings = FILE_LOCK_TIMINGS): Promise<T> {
  const lock = lockPathOf(target);
  const me: LockHolder = { pid: process.pid, machine: THIS_MACHINE, at: Date.now(), token: randomBytes(8).toString('hex') };
  await acquire(lock, me, timings);
  const refresh = setInterval(() => {
    const now = new Date();
    void fs.utimes(lock, now, now).catch(() => {});
  }, timings.refreshMs);
  refresh.unref();
  try {
    return await op();
  } finally {
    clearInterval(refresh);
    const held = await readLock(lock);
    if (held?.holder?.token === me.token) await fs.rm(lock, { force: true });
  }
}

async function acquire(lock: string, me: LockHolder, t: FileLockTimings): Promise<void> {
  const start = Date.now();
  const text = JSON.stringify(me);
  for (let pause = 1; ; pause = Math.min(pause * 2, 20)) {
    try {
      const handle = await fs.open(lock, 'wx');
      try {
        await handle.writeFile(text, 'utf8');
      } finally {
        await handle.close();
      }
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // NOTE: Windows refuses to create a file whose name a removal still holds (EPERM, not EEXIST): a lock just let go.
      const removing = process.platform === 'win32' && code === 'EPERM' && Date.now() - start < 2_000;
      if (code !== 'EEXIST' && !removing) throw e;
    }
    const held = await readLock(lock);
    if (held && abandoned(held, t)) {
      await breakLock(lock, held, t);
      continue;
    }
    if (Date.now() - start > t.waitMs) throw new FileLockBusy(`${path.basename(lock)} has been held for over ${Math.round(t.waitMs / 1000)} s`);
    await new Promise((r) => setTimeout(r, pause + Math.random() * pause));
  }
}

export interface FoundLock {
  /** The lock file's identity: its inode, times and what it holds (a lock removed and taken again differs, and so does one touched). */
  id: string;
  mtimeMs: number;
  holder: LockHolder | undefined;
}

/** The lock file as it is now (its first 1 KiB: it holds a LockHolder), or undefined where there is none. */
export async function readLock(lock: string): Promise<FoundLock | undefined> {
  const st = await fs.lstat(lock).catch(() => undefined);
  if (!st) return undefined;
  let text = '';
  if (st.isFile()) {
    const handle = await fs.open(lock, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0)).catch(() => undefined);
    if (handle) {
      try {
        const buf = Buffer.alloc(1024);
        const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
        text = buf.subarray(0, bytesRead).toString('utf8');
      } finally {
        await handle.close();
      }
    }
  }
  let holder: LockHolder | undefined;
  try {
    const h = JSON.parse(text) as Partial<LockHolder>;
    if (typeof h.pid === 'number' && typeof h.machine === 'string' && typeof h.token === 'string') holder = h as LockHolder;
  } catch {
    // Being written (opened, not yet filled), or not ours: judged by its age alone.
  }
  const id = createHash('sha256').update([st.ino, st.birthtimeMs, st.ctimeMs, st.mtimeMs, st.size, text].join('\n')).digest('hex').slice(0, 16);
  return { id, mtimeMs: st.mtimeMs, holder };
}

function abandoned(found: FoundLock, t: FileLockTimings): boolean {
  if (found.holder?.machine === THIS_MACHINE && !processAlive(found.holder.pid)) return true;
  return Date.now() - found.mtimeMs > t.staleMs;
}

/**
 * Remove the lock `found`, if it is still that one. A waiter breaks it only holding its claim
 * (`<lock>.<id>.break`, exclusive): no other can remove it meanwhile, and its holder is gone,
 * so the lock checked again under the claim is the one removed. A claim left by a waiter that
 * died breaking is itself removed once `staleMs` old.
 */
export async function breakLock(lock: string, found: FoundLock, t: FileLockTimings): Promise<void> {
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
    if (now?.id === found.id) await fs.rm(lock, { force: true });
  } finally {
    await handle.close();
    await fs.rm(claim, { force: true });
  }
}

/** What a lock's holder or breaker may leave behind: `<target>.lock` and `<target>.lock.<id>.break`. */
export const LOCK_LEFTOVER = /\.lock(\.[0-9a-f]{16}\.break)?$/;

/**
 * Remove `file` (a LOCK_LEFTOVER) if it was left by a holder that crashed: a lock that a process
 * of this machine holds no more, a claim to break one older than `staleMs`. A file of that name
 * that is not a lock of ours (a `yarn.lock` beside a project) stays. Answers whether it went.
 * Host start (FileService.cleanupTempFiles).
 */
export async function clearAbandonedLock(file: string, t: FileLockTimings = FILE_LOCK_TIMINGS): Promise<boolean> {
  if (file.endsWith('.break')) {
    const st = await fs.lstat(file).catch(() => undefined);
    return !!st && Date.now() - st.mtimeMs > t.staleMs && (await fs.rm(file).then(() => true, () => false));
  }
  const found = await readLock(file);
  if (!found?.holder || found.holder.machine !== THIS_MACHINE || processAlive(found.holder.pid)) return false;
  await breakLock(file, found, t);
  return !(await fs.lstat(file).catch(() => undefined));
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
