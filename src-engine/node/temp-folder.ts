/**
 * This process's private temporary folder: what the engine writes to the OS's temporary folder (a
 * frozen backbone's feature cache past its memory budget, the GPU probe's log) goes in one folder
 * of its own, `<tmp>/netwright-<pid>-XXXXXX` (made by mkdtemp, so mode 0700 and a name no one
 * else can take first), holding an owner marker (`owner`: the pid and the process's start time).
 * The folder is removed when the process exits; one left by a process that was killed (kill -9,
 * a power cut) is removed by the next Netwright process that starts or makes its own
 * (`reapStaleTempFolders`), once its owner is gone: no process of that pid, or one started at
 * another time (the pid was reused). Only folders of this user are looked at; links are never
 * followed.
 */
import { closeSync, constants, lstatSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** `netwright-<pid>-` and mkdtemp's six characters. */
const FOLDER_NAME = /^netwright-(\d+)-[A-Za-z0-9]{6}$/;

/** The owner marker's name inside a private folder. */
const OWNER = 'owner';

/** What a private folder's owner marker holds: its process, and when that process started (null where the system does not say). */
interface Owner {
  pid: number;
  start: string | null;
}

let folder: { path: string; kept: Set<string> } | undefined;

/**
 * This process's private folder under `tmpdir()`, made on first use (stale folders of processes
 * that are gone are removed first) and removed at exit but for the files `keepAtExit` names.
 */
export function privateTempFolder(): string {
  if (folder) return folder.path;
  const root = tmpdir();
  reapStaleTempFolders(root);
  const path = mkdtempSync(join(root, `netwright-${process.pid}-`));
  try {
    const fd = openSync(join(path, OWNER), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      writeSync(fd, JSON.stringify({ pid: process.pid, start: processStart(process.pid) } satisfies Owner));
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    // A full disk: no folder left behind without its marker.
    rmSync(path, { recursive: true, force: true });
    throw e;
  }
  folder = { path, kept: new Set() };
  process.once('exit', removeAtExit);
  return path;
}

/**
 * Keep `file` (a name in the private folder) when the process exits, with the folder and its
 * owner marker: a log the user is pointed to when something failed. The next Netwright process
 * to start removes it with the folder once this process is gone.
 */
export function keepAtExit(file: string): void {
  folder?.kept.add(file);
}

/**
 * Create `name` in the private folder for writing, as a new file (O_EXCL) that is not a link
 * (O_NOFOLLOW), mode 0600; returns its path and descriptor.
 */
export function createPrivateFile(name: string): { path: string; fd: number } {
  const path = join(privateTempFolder(), name);
  return { path, fd: openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600) };
}

function removeAtExit(): void {
  const f = folder;
  folder = undefined;
  if (!f) return;
  try {
    if (f.kept.size === 0) {
      rmSync(f.path, { recursive: true, force: true });
      return;
    }
    for (const name of readdirSync(f.path)) if (name !== OWNER && !f.kept.has(name)) rmSync(join(f.path, name), { recursive: true, force: true });
  } catch {
    // The process is exiting: what is left is reaped by the next one.
  }
}

/**
 * Remove the private folders under `root` whose owner process is gone (see the module's note);
 * returns the names removed. A folder of another user, a link, or one whose owner is alive (this
 * process's own included) is left alone.
 */
export function reapStaleTempFolders(root: string = tmpdir()): string[] {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return [];
  }
  const uid = process.getuid?.();
  const removed: string[] = [];
  for (const name of names) {
    const m = FOLDER_NAME.exec(name);
    if (!m) continue;
    const path = join(root, name);
    try {
      const st = lstatSync(path);
      if (!st.isDirectory() || (uid !== undefined && st.uid !== uid)) continue;
      // A folder without its marker (its process stopped between mkdtemp and the marker) is its name's pid's.
      const owner = readOwner(path) ?? { pid: Number(m[1]), start: null };
      if (ownerAlive(owner)) continue;
      rmSync(path, { recursive: true, force: true });
      removed.push(name);
    } catch {
      // Gone meanwhile, or not ours to remove: left alone.
    }
  }
  return removed;
}

/** A folder's owner marker, read without following a link; undefined when missing or not one. */
function readOwner(dir: string): Owner | undefined {
  let fd: number;
  try {
    fd = openSync(join(dir, OWNER), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const buf = Buffer.alloc(256);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const o = JSON.parse(buf.subarray(0, n).toString('utf8')) as Partial<Owner>;
    if (!Number.isSafeInteger(o.pid) || (o.start !== null && typeof o.start !== 'string')) return undefined;
    return { pid: o.pid!, start: o.start ?? null };
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** Whether the owner's process still runs: a process of its pid, started when the marker says (where the system says). */
function ownerAlive(owner: Owner): boolean {
  if (owner.pid <= 0) return false;
  try {
    process.kill(owner.pid, 0);
  } catch (e) {
    // EPERM: a process of that pid runs, another user's (so not the owner, unless the start time says otherwise).
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const start = processStart(owner.pid);
  return owner.start === null || start === null || start === owner.start;
}

/**
 * When process `pid` started, in clock ticks since boot (field 22 of Linux's `/proc/<pid>/stat`),
 * as a string; null where there is no /proc (macOS, Windows) or the process is gone.
 */
export function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}
