/**
 * The processes of this machine as the run store and the job files tell them apart: whether a pid
 * is alive, and when it started (a pid the OS handed out again is another process).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * When process `pid` started (ms since 1970) as the OS reports it, so that a reader and the
 * writer (which both ask the OS) agree: Linux `/proc/<pid>/stat` (start in clock ticks after
 * boot) and `/proc/stat`'s boot time; macOS `ps -o lstart=`. Undefined elsewhere, or when the
 * process is gone: callers then go by the pid alone.
 */
export function processStartTime(pid: number): number | undefined {
  try {
    if (process.platform === 'linux') {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces and parentheses): state is field 3, starttime field 22.
      const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
      const boot = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
      // NOTE: the clock tick is 100 Hz on every Linux Node runs on (USER_HZ); Node cannot ask sysconf.
      return Number.isFinite(ticks) && Number.isFinite(boot) ? boot * 1000 + ticks * 10 : undefined;
    }
    if (process.platform === 'darwin') {
      const text = execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8', timeout: 2000, env: { ...process.env, LC_ALL: 'C' } }).trim();
      const t = Date.parse(text);
      return Number.isFinite(t) ? t : undefined;
    }
  } catch {
    // Gone, or no permission to look.
  }
  return undefined;
}

/**
 * Whether process `pid` exists and runs (one of another user counts: EPERM). A zombie does not:
 * it has ended and only waits for its parent to read its exit status, which never happens when
 * the parent was killed and the machine's first process does not reap (a container whose init is
 * a shell or `sleep`, as on CI): `kill(pid, 0)` still answers for it, so Linux's
 * `/proc/<pid>/stat` state is read (Z zombie, X dead).
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return !(process.platform === 'linux' && ended(pid));
}

/** Whether Linux reports `pid` as a zombie or dead (false when it cannot tell). */
function ended(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state === 'Z' || state === 'X';
  } catch (e) {
    // Gone between the two looks; else (no /proc, no permission) the signal's answer stands.
    return (e as NodeJS.ErrnoException).code === 'ENOENT';
  }
}
