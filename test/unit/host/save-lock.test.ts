/**
 * Issue #57: two hosts on one workspace (two web hosts, or the app and a web host) saving one
 * project over the same version at the same moment: exactly one is written, the other refused
 * with E_FILE_CHANGED — in real OS processes, and past a lock that a crashed host left behind.
 */
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, promises as fsPromises, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { breakLock, FILE_LOCK_TIMINGS, lockPathOf, readLock, THIS_MACHINE, withFileLock, type LockHolder } from '../../../src-main/host/file-lock';
import { FileService } from '../../../src-main/host/files';

type Answer = { round: number; saved?: boolean; code?: string };

const versionOf = (text: string) => createHash('sha256').update(text).digest('hex');
const tmp = () => mkdtempSync(path.join(tmpdir(), 'nw-save-lock-'));
/** The id of a process that has exited (one, for the whole file: starting processes is slow). */
let dead: number | undefined;
const deadPid = () => (dead ??= spawnSync(process.execPath, ['-e', '']).pid);
/**
 * A lock as a holder leaves it: a folder holding its record (`<token>.holder`), or with `legacy` a
 * lock file as earlier versions made; `ageMs` back-dates it (a holder that stopped touching it).
 */
function plantLock(target: string, holder: Partial<LockHolder>, ageMs = 0, legacy = false, lock = lockPathOf(target)): string {
  const h = { pid: process.pid, machine: THIS_MACHINE, at: Date.now(), token: 'f'.repeat(16), ...holder };
  const record = legacy ? lock : path.join(lock, `${h.token}.holder`);
  if (!legacy) mkdirSync(lock);
  writeFileSync(record, JSON.stringify(h));
  const t = new Date(Date.now() - ageMs);
  utimesSync(record, t, t);
  return lock;
}
const leftovers = (dir: string) => readdirSync(dir).filter((n) => /\.(lock|break|tmp|new|gone)$/.test(n));

describe('two hosts on one workspace, in two processes', () => {
  let workspace: string;
  let hosts: ChildProcess[] = [];
  const waiting = new Map<ChildProcess, Map<number, (a: Answer) => void>>();

  function startHost(): Promise<ChildProcess> {
    const child = fork(path.join(__dirname, 'save-racer.ts'), [workspace], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const answers = new Map<number, (a: Answer) => void>();
    waiting.set(child, answers);
    return new Promise((resolve, reject) => {
      child.on('message', (m: 'ready' | Answer) => (m === 'ready' ? resolve(child) : answers.get(m.round)?.(m)));
      child.once('exit', (code) => reject(new Error(`a host exited early (${code})`)));
    });
  }
  const ask = (host: ChildProcess, m: { round: number; [k: string]: unknown }) =>
    new Promise<Answer>((resolve) => {
      waiting.get(host)!.set(m.round, resolve);
      host.send(m);
    });

  beforeAll(async () => {
    workspace = tmp();
    hosts = await Promise.all([startHost(), startHost()]);
  }, 60_000);
  afterAll(() => {
    for (const h of hosts) h.kill('SIGKILL');
  });

  it('20 rounds of two saves over one version at the same moment (every other round past a crashed host\'s lock): one written, the other refused (E_FILE_CHANGED)', async () => {
    const file = 'shared.netwright.json';
    const target = path.join(workspace, file);
    const outcomes: string[] = [];
    for (let round = 0; round < 20; round++) {
      const base = `{"round":${round},"by":"base"}`;
      writeFileSync(target, base);
      if (round % 2 === 1) plantLock(target, { pid: deadPid() });
      const at = Date.now() + 40;
      const [a, b] = await Promise.all(hosts.map((h, i) => ask(h, { round, path: file, text: `{"round":${round},"by":${i}}`, ifVersion: versionOf(base), at })));
      outcomes.push(`${a.saved ? 'saved' : a.code}/${b.saved ? 'saved' : b.code}`);
      const won = a.saved ? 0 : 1;
      expect(readFileSync(target, 'utf8')).toBe(`{"round":${round},"by":${won}}`);
    }
    // Before the lock, both answered "saved" in 20 of 20 rounds here, one of them lost.
    expect(outcomes.filter((o) => o !== 'saved/E_FILE_CHANGED' && o !== 'E_FILE_CHANGED/saved')).toEqual([]);
    expect(new Set(outcomes).size).toBe(2); // each host won some
    expect(leftovers(workspace)).toEqual([]);
  }, 30_000);

  it('a host killed holding the lock: the other saves at once, its lock broken', async () => {
    const file = 'crash.netwright.json';
    const target = path.join(workspace, file);
    writeFileSync(target, 'before');
    await ask(hosts[1], { round: 100, hold: file });
    expect(existsSync(lockPathOf(target))).toBe(true);
    hosts[1].removeAllListeners('exit');
    const exited = new Promise((r) => hosts[1].once('exit', r));
    hosts[1].kill('SIGKILL');
    await exited;
    const t0 = Date.now();
    expect(await ask(hosts[0], { round: 101, path: file, text: 'after', ifVersion: versionOf('before'), at: 0 })).toMatchObject({ saved: true });
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(readFileSync(target, 'utf8')).toBe('after');
    expect(leftovers(workspace)).toEqual([]);
  }, 30_000);
});

describe('the save lock', () => {
  const quick = { staleMs: 2_000, refreshMs: 500, waitMs: 300 };

  it('a save waits for a live holder, then checks the version it wrote (E_FILE_CHANGED)', async () => {
    const ws = tmp();
    const target = path.join(ws, 'p.netwright.json');
    writeFileSync(target, 'v0');
    const files = new FileService({ workspaceDir: ws, stateDir: path.join(ws, '.netwright') });
    let saving!: Promise<unknown>;
    const t0 = Date.now();
    await withFileLock(target, async () => {
      saving = files.write('p.netwright.json', 'mine', { ifVersion: versionOf('v0') }).catch((e: unknown) => e);
      await new Promise((r) => setTimeout(r, 150));
      writeFileSync(target, 'theirs');
    });
    expect(await saving).toMatchObject({ code: 'E_FILE_CHANGED' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(150);
    expect(readFileSync(target, 'utf8')).toBe('theirs');
    expect(leftovers(ws)).toEqual([]);
  });

  it("a lock another machine's holder stopped touching is broken after staleMs; one it touches is waited for, then E_FILE_BUSY", async () => {
    const ws = tmp();
    const target = path.join(ws, 'p.netwright.json');
    writeFileSync(target, 'v0');
    const files = new FileService({ workspaceDir: ws, stateDir: path.join(ws, '.netwright'), saveLock: quick });
    plantLock(target, { machine: 'elsewhere', pid: 1 }, 5_000);
    await files.write('p.netwright.json', 'v1', { ifVersion: versionOf('v0') });
    expect(readFileSync(target, 'utf8')).toBe('v1');
    // Touched a moment ago (and an earlier version's lock file, or one it is still writing, not yet readable, alike): held.
    for (const content of [undefined, '{}', '']) {
      const lock = plantLock(target, { machine: 'elsewhere', pid: 1 }, 500, content !== undefined);
      if (content) writeFileSync(lock, content);
      await expect(files.write('p.netwright.json', 'v2', { ifVersion: versionOf('v1') })).rejects.toMatchObject({ code: 'E_FILE_BUSY', message: expect.stringContaining('another Netwright') });
      expect(readFileSync(target, 'utf8')).toBe('v1');
      expect(existsSync(lock)).toBe(true);
      rmSync(lock, { recursive: true });
    }
  });

  it('a waiter that found the abandoned lock late does not break the lock another took since', async () => {
    const ws = tmp();
    const target = path.join(ws, 'p.netwright.json');
    const lock = plantLock(target, { pid: deadPid() });
    const found = (await readLock(lock))!;
    await withFileLock(target, async () => {
      const mine = (await readLock(lock))!.holder!.token;
      // The other waiter breaks what it found (already gone: this one broke it and holds its own).
      await breakLock(lock, found, FILE_LOCK_TIMINGS);
      expect((await readLock(lock))?.holder?.token).toBe(mine);
    });
    expect(leftovers(ws)).toEqual([]);
  });

  it('ten writers at once over an abandoned lock, 5 times: one inside at a time, the lock left by none', async () => {
    const ws = tmp();
    const target = path.join(ws, 'p.netwright.json');
    let inside = 0;
    let most = 0;
    for (let round = 0; round < 5; round++) {
      plantLock(target, { pid: deadPid() });
      await Promise.all(
        Array.from({ length: 10 }, () =>
          withFileLock(target, async () => {
            most = Math.max(most, ++inside);
            await new Promise((r) => setTimeout(r, 1));
            inside--;
          }),
        ),
      );
    }
    expect(most).toBe(1);
    expect(leftovers(ws)).toEqual([]);
  });

  it('a lock listed while its holder releases it (renamed away, emptied) and the next takes the name: read as the next holder\'s, not as a folder of the user\'s', async () => {
    const ws = tmp();
    const target = path.join(ws, 'p.netwright.json');
    const lock = plantLock(target, { token: 'a'.repeat(16) });
    const realReaddir = fsPromises.readdir.bind(fsPromises) as (p: string) => Promise<string[]>;
    let listings = 0;
    // The listing opened the first holder's folder by the lock's name; before it read, that holder
    // released it (renamed away, then emptied) and the next holder's folder took the name.
    const spy = vi.spyOn(fsPromises, 'readdir').mockImplementation((async (p: string) => {
      if (p !== lock || listings++ > 0) return realReaddir(p);
      const gone = `${lock}.${'a'.repeat(16)}.gone`;
      renameSync(lock, gone);
      for (const name of readdirSync(gone)) rmSync(path.join(gone, name));
      plantLock(target, { token: 'b'.repeat(16) });
      const seen = await realReaddir(gone);
      rmSync(gone, { recursive: true });
      return seen;
    }) as unknown as typeof fsPromises.readdir);
    try {
      const found = await readLock(lock);
      expect(listings).toBeGreaterThan(1);
      expect(found).toMatchObject({ folder: true, holder: { token: 'b'.repeat(16) } });
      expect(found?.foreign).toBeUndefined();
    } finally {
      spy.mockRestore();
    }
  });

  it('host start removes the locks of crashed holders of this machine, not live ones, other machines\' or files not ours', async () => {
    const ws = tmp();
    const files = new FileService({ workspaceDir: ws, stateDir: path.join(ws, '.netwright'), saveLock: quick });
    const crashed = plantLock(path.join(ws, 'a.netwright.json'), { pid: deadPid() });
    const crashedEarlier = plantLock(path.join(ws, 'a2.netwright.json'), { pid: deadPid() }, 0, true);
    const live = plantLock(path.join(ws, 'b.netwright.json'), { pid: process.pid });
    const remote = plantLock(path.join(ws, 'c.netwright.json'), { machine: 'elsewhere', pid: deadPid() });
    const oldClaim = `${lockPathOf(path.join(ws, 'd.netwright.json'))}.${'0'.repeat(16)}.break`;
    writeFileSync(oldClaim, '');
    utimesSync(oldClaim, new Date(Date.now() - 10_000), new Date(Date.now() - 10_000));
    // A lock being made by a process that died, one by a live process, one renamed away to be removed.
    const deadNew = plantLock('', { pid: deadPid(), token: '1'.repeat(16) }, 0, false, `${lockPathOf(path.join(ws, 'e.netwright.json'))}.${'1'.repeat(16)}.new`);
    const liveNew = plantLock('', { pid: process.pid, token: '2'.repeat(16) }, 0, false, `${lockPathOf(path.join(ws, 'e.netwright.json'))}.${'2'.repeat(16)}.new`);
    const gone = plantLock('', { pid: process.pid }, 0, false, `${lockPathOf(path.join(ws, 'f.netwright.json'))}.${'3'.repeat(16)}.gone`);
    writeFileSync(path.join(ws, 'yarn.lock'), '# not ours');
    const usersFolder = path.join(ws, 'g.netwright.json.lock');
    mkdirSync(usersFolder);
    writeFileSync(path.join(usersFolder, 'notes.txt'), 'mine');
    expect((await files.cleanupTempFiles()).sort()).toEqual([crashed, crashedEarlier, oldClaim, deadNew, gone].sort());
    expect([live, remote, liveNew, path.join(ws, 'yarn.lock'), path.join(usersFolder, 'notes.txt')].every((p) => existsSync(p))).toBe(true);
  });
});
