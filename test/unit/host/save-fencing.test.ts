/**
 * Issue #81 H4 and L5: a save's lock is also its fencing token.
 *
 * H4: two hosts on one workspace; host A is stopped (SIGSTOP) right after its version check,
 * holding the save lock, for longer than the lock lives untouched; host B breaks the lock and saves;
 * A resumes. Before, A then saved over B, both told "saved" (3 of 3). Now A's commit finds nothing
 * to rename (file-lock.ts): A is told E_FILE_CHANGED and B's save stays.
 *
 * L5: a folder at `<project>.lock` made every save fail for good (E_FILE_IO … EISDIR).
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type * as AtomicWrite from '../../../src-main/host/atomic-write';
import { lockPathOf } from '../../../src-main/host/file-lock';
import { FileService } from '../../../src-main/host/files';

/** Set by a test: run once, inside host A's save, right after its version check. */
const hook = vi.hoisted(() => ({ afterCheck: undefined as (() => void) | undefined }));
vi.mock('../../../src-main/host/atomic-write', async (load) => {
  const real = await load<typeof AtomicWrite>();
  return {
    ...real,
    currentBytes: (...a: Parameters<typeof real.currentBytes>) => {
      const found = real.currentBytes(...a);
      const then = hook.afterCheck;
      hook.afterCheck = undefined;
      then?.();
      return found;
    },
  };
});

const versionOf = (text: string) => createHash('sha256').update(text).digest('hex');
const tmp = () => mkdtempSync(path.join(tmpdir(), 'nw-save-fence-'));
const racer = path.join(__dirname, 'save-racer.ts');
const leftovers = (dir: string) => readdirSync(dir).filter((n) => /\.(lock|break|tmp|new|gone)$/.test(n));

/**
 * What 32 s stopped does to a holder's lock: it was not touched since. Back-dates the lock (the
 * folder's holder record; a lock file as earlier versions made it) by `ms`.
 */
function ageLock(target: string, ms: number): void {
  const lock = lockPathOf(target);
  const t = new Date(Date.now() - ms);
  const files = statSync(lock).isDirectory() ? readdirSync(lock).map((n) => path.join(lock, n)) : [lock];
  for (const f of files) utimesSync(f, t, t);
}

describe('H4: a host stopped after its version check, its lock broken meanwhile', () => {
  it('through the file service: the stopped host is told E_FILE_CHANGED, never "saved", and the other host\'s save stays', async () => {
    const ws = tmp();
    const file = 'shared.netwright.json';
    const target = path.join(ws, file);
    writeFileSync(target, 'v0');
    const a = new FileService({ workspaceDir: ws, stateDir: path.join(ws, '.netwright') });
    let b: { saved?: boolean; code?: string } = {};
    let tookB = 0;
    // A has checked v0 and holds the lock; it stops here for 32 s (its lock untouched), and host B,
    // a process of its own with the default timings (a lock untouched for 30 s is abandoned), saves.
    hook.afterCheck = () => {
      ageLock(target, 32_000);
      const t0 = Date.now();
      try {
        b = JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', racer, ws, '--save', file, 'saved by B', versionOf('v0')], { encoding: 'utf8' })) as typeof b;
      } catch (e) {
        // Said in the failure rather than lost inside A's save.
        const err = e as { status?: number; stdout?: string; stderr?: string; message?: string };
        b = { code: `host B exited ${err.status ?? '?'}: ${err.stdout ?? ''} ${err.stderr ?? err.message ?? ''}`.slice(0, 2000) };
      }
      tookB = Date.now() - t0;
    };
    const answer = await a.write(file, 'saved by A', { ifVersion: versionOf('v0') }).then(
      () => 'saved',
      (e: { code?: string; message?: string }) => ({ code: e.code, message: e.message }),
    );
    expect(b).toEqual({ saved: true });
    expect(tookB).toBeLessThan(20_000);
    expect(answer).toMatchObject({ code: 'E_FILE_CHANGED', message: expect.stringContaining('was not saved') });
    expect(readFileSync(target, 'utf8')).toBe('saved by B');
    expect(leftovers(ws)).toEqual([]);
  }, 60_000);
});

describe('H4 in real processes: host A stopped with SIGSTOP after its check', () => {
  const timings = { staleMs: 1_000, refreshMs: 200, waitMs: 10_000 };
  let workspace: string;
  let hosts: ChildProcess[] = [];
  const waiting = new Map<ChildProcess, Map<number, (a: Record<string, unknown>) => void>>();

  function startHost(): Promise<ChildProcess> {
    const child = fork(racer, [workspace, JSON.stringify(timings)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const answers = new Map<number, (a: Record<string, unknown>) => void>();
    waiting.set(child, answers);
    return new Promise((resolve, reject) => {
      child.on('message', (m: 'ready' | { round: number }) => (m === 'ready' ? resolve(child) : answers.get(m.round)?.(m)));
      child.once('exit', (code) => reject(new Error(`a host exited early (${code})`)));
    });
  }
  const answer = (host: ChildProcess, round: number) => new Promise<Record<string, unknown>>((resolve) => waiting.get(host)!.set(round, resolve));

  beforeAll(async () => {
    workspace = tmp();
    hosts = await Promise.all([startHost(), startHost()]);
  }, 60_000);
  afterAll(() => {
    for (const h of hosts) h.kill('SIGKILL');
  });

  it('3 rounds: B breaks the stopped host\'s lock and saves; A, resumed, cannot commit; B\'s save stays', async () => {
    const [a, b] = hosts;
    const file = 'shared.netwright.json';
    const target = path.join(workspace, file);
    for (let round = 0; round < 3; round++) {
      writeFileSync(target, `v${round}`);
      const checked = answer(a, round);
      a.send({ round, stage: file, text: `A${round}`, ifVersion: versionOf(`v${round}`) });
      expect(await checked).toMatchObject({ checked: true });
      const done = answer(a, round);
      a.kill('SIGSTOP');
      const t0 = Date.now();
      const bSaved = answer(b, 100 + round);
      b.send({ round: 100 + round, path: file, text: `B${round}`, ifVersion: versionOf(`v${round}`), at: 0 });
      expect(await bSaved).toMatchObject({ saved: true });
      // B waited for the stopped host's lock to go stale (1 s here, 30 s by default), counted from A's last touch (at most refreshMs before the stop).
      expect(Date.now() - t0).toBeGreaterThanOrEqual(timings.staleMs - timings.refreshMs - 50);
      a.kill('SIGCONT');
      a.send({ round, commit: true });
      expect(await done).toMatchObject({ code: 'FileLockLost' });
      expect(readFileSync(target, 'utf8')).toBe(`B${round}`);
    }
    expect(leftovers(workspace)).toEqual([]);
  }, 60_000);
});

describe('L5: something else under the save lock\'s name', () => {
  it('a folder at <project>.lock: each save is refused with E_FILE_LOCK_BLOCKED naming it, at once, and the folder is left as it is; without it, the save goes through', async () => {
    const ws = tmp();
    const file = 'p.netwright.json';
    const target = path.join(ws, file);
    writeFileSync(target, 'v0');
    const files = new FileService({ workspaceDir: ws, stateDir: path.join(ws, '.netwright'), saveLock: { staleMs: 300, refreshMs: 100, waitMs: 2_000 } });
    const folder = lockPathOf(target);
    for (const inside of [['notes.txt'], []]) {
      mkdirSync(folder);
      for (const n of inside) writeFileSync(path.join(folder, n), 'mine');
      // Old enough to count as abandoned, were it a lock.
      utimesSync(folder, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
      const t0 = Date.now();
      await expect(files.write(file, 'v1', { ifVersion: versionOf('v0') })).rejects.toMatchObject({ code: 'E_FILE_LOCK_BLOCKED', message: expect.stringMatching(/folder named p\.netwright\.json\.lock .*Move or rename/) });
      expect(Date.now() - t0).toBeLessThan(1_000);
      expect(await files.cleanupTempFiles()).toEqual([]);
      expect(readdirSync(folder)).toEqual(inside);
      expect(readFileSync(target, 'utf8')).toBe('v0');
      rmSync(folder, { recursive: true });
    }
    await files.write(file, 'v1', { ifVersion: versionOf('v0') });
    expect(readFileSync(target, 'utf8')).toBe('v1');
    expect(leftovers(ws)).toEqual([]);
  });
});
