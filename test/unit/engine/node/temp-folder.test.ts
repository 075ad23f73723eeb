/**
 * Issue #81 M3–M5: what the engine writes to the temporary folder goes in a private folder of its
 * process (node/temp-folder.ts). Before, a 1.1 GiB feature cache stayed in TMPDIR for good after
 * a kill -9 (M3); a full TMPDIR failed the run with a raw ENOSPC and left the partial cache (M4);
 * the GPU probe's log was written through a link planted at its predictable path and one log was
 * left per engine start (M5).
 */
import { spawn, spawnSync } from 'node:child_process';
import type * as fs from 'node:fs';
import type * as childProcess from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { EventEmitter } from 'node:events';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

/** What the mocked `writeSync` does before the real one: the test's injected failure. */
const inject = vi.hoisted(() => ({ writeSync: null as null | ((fd: number) => void), spawn: null as null | (() => unknown) }));

vi.mock('node:fs', async (original) => {
  const real = await original<typeof fs>();
  const writeSync = ((fd: number, ...rest: unknown[]) => {
    inject.writeSync?.(fd);
    return (real.writeSync as (...a: unknown[]) => number)(fd, ...rest);
  }) as typeof real.writeSync;
  return { ...real, default: { ...real, writeSync }, writeSync };
});
vi.mock('node:child_process', async (original) => {
  const real = await original<typeof childProcess>();
  const spawnMock = ((...args: unknown[]) => (inject.spawn ? inject.spawn() : (real.spawn as (...a: unknown[]) => unknown)(...args))) as typeof real.spawn;
  return { ...real, default: { ...real, spawn: spawnMock }, spawn: spawnMock };
});

const root = mkdtempSync(join(tmpdir(), 'nw-temp-folder-'));
const savedTmp = process.env.TMPDIR;
const ROOT = join(import.meta.dirname, '..', '..', '..', '..');
const MODULE = join(ROOT, 'src-engine', 'node', 'temp-folder.ts');

let scripts = 0;

/**
 * Run `body` (an ES module in TypeScript: `t` the temp-folder module, `fs` node:fs) in a child
 * process with TMPDIR `tmp`; resolves with its stdout once it exits, or is killed (SIGKILL) after
 * its first line with `killAfterLine`.
 */
function child(tmp: string, body: string, killAfterLine = false): Promise<string> {
  const file = join(root, `child-${++scripts}.mts`);
  writeFileSync(file, `import * as t from ${JSON.stringify(MODULE)};\nimport * as fs from 'node:fs';\n${body}\n`);
  // One process (node with tsx's loader), so that SIGKILL reaches the one that made the folder.
  const p = spawn(process.execPath, ['--import', 'tsx', file], { env: { ...process.env, TMPDIR: tmp }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  return new Promise((resolve) => {
    p.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (killAfterLine && out.includes('\n')) p.kill('SIGKILL');
    });
    p.on('close', () => resolve(out));
  });
}

/** The private folders in `dir` (tsx keeps its own cache folder in TMPDIR too). */
const privateFolders = (dir: string) => readdirSync(dir).filter((n) => n.startsWith('netwright-'));

const deadPid = (): number => {
  const p = spawnSync(process.execPath, ['-e', '0']);
  return p.pid!;
};

beforeAll(() => {
  process.env.TMPDIR = root;
});
afterAll(() => {
  if (savedTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmp;
  rmSync(root, { recursive: true, force: true });
});

describe('the private temporary folder (node/temp-folder.ts)', () => {
  it('a folder whose owner is gone (no such pid; a live pid started at another time; no marker and a dead pid in its name) is reaped; a live owner\'s, another name, and a link are kept', async () => {
    const { reapStaleTempFolders, processStart } = await import('../../../../src-engine/node/temp-folder');
    const dir = mkdtempSync(join(root, 'reap-'));
    const make = (name: string, owner?: object) => {
      mkdirSync(join(dir, name), { mode: 0o700 });
      writeFileSync(join(dir, name, 'features.f32'), Buffer.alloc(4096));
      if (owner) writeFileSync(join(dir, name, 'owner'), JSON.stringify(owner));
    };
    const dead = deadPid();
    make(`netwright-${dead}-aaaaaa`, { pid: dead, start: '1' });
    make(`netwright-${process.pid}-bbbbbb`, { pid: process.pid, start: processStart(process.pid) });
    make(`netwright-${process.pid}-cccccc`, { pid: process.pid, start: 'not-its-start' });
    make(`netwright-${dead}-dddddd`);
    make(`netwright-${process.pid}-eeeeee`);
    make('netwright-other', { pid: dead, start: null });
    // A link of the right name to a folder elsewhere: neither followed nor removed.
    const elsewhere = mkdtempSync(join(root, 'elsewhere-'));
    writeFileSync(join(elsewhere, 'keep.txt'), 'x');
    symlinkSync(elsewhere, join(dir, `netwright-${dead}-ffffff`));

    expect(reapStaleTempFolders(dir).sort()).toEqual([`netwright-${dead}-aaaaaa`, `netwright-${dead}-dddddd`, `netwright-${process.pid}-cccccc`].sort());
    expect(readdirSync(dir).sort()).toEqual([`netwright-${dead}-ffffff`, `netwright-${process.pid}-bbbbbb`, `netwright-${process.pid}-eeeeee`, 'netwright-other'].sort());
    expect(readdirSync(elsewhere)).toEqual(['keep.txt']);
  });

  it('is made under TMPDIR with mode 0700 and an owner marker; removed at exit; after a kill -9 it stays until the next start reaps it (the old spill folder stayed for good)', async () => {
    const tmp = mkdtempSync(join(root, 'exit-'));
    // Exits normally: nothing left.
    const made = (await child(tmp, "const d = t.privateTempFolder(); fs.writeFileSync(d + '/features.f32', 'x'); console.log(d);")).trim();
    expect(dirname(made)).toBe(tmp);
    expect(basename(made)).toMatch(/^netwright-\d+-[A-Za-z0-9]{6}$/);
    expect(privateFolders(tmp)).toEqual([]);
    // Killed (SIGKILL) with a cache in it: left, with its marker, mode 0700.
    const killed = (await child(tmp, "const d = t.privateTempFolder(); fs.writeFileSync(d + '/features.f32', Buffer.alloc(65536)); console.log(d); setInterval(() => {}, 1000);", true)).trim();
    expect(privateFolders(tmp)).toEqual([basename(killed)]);
    expect(statSync(killed).mode & 0o777).toBe(0o700);
    const owner = JSON.parse(readFileSync(join(killed, 'owner'), 'utf8')) as { pid: number; start: string | null };
    expect(basename(killed)).toBe(`netwright-${owner.pid}-${basename(killed).slice(-6)}`);
    if (process.platform === 'linux') expect(owner.start).toMatch(/^\d+$/);
    // The next process to make its folder reaps it first.
    const next = (await child(tmp, 'console.log(t.privateTempFolder());')).trim();
    expect(next).not.toBe(killed);
    expect(privateFolders(tmp)).toEqual([]);
  }, 30_000);
});

describe('the feature cache on a full disk (M4)', () => {
  it('ENOSPC while the cache is written fails the run with E_FEATURE_CACHE_DISK_FULL, the partial cache removed', async () => {
    const { fileFeatureSpill } = await import('../../../../src-engine/node/feature-spill');
    const { privateTempFolder } = await import('../../../../src-engine/node/temp-folder');
    const spill = fileFeatureSpill();
    const store = spill.open(1 << 16);
    const cacheDir = readdirSync(privateTempFolder()).filter((n) => n.startsWith('features-'));
    expect(cacheDir).toHaveLength(1);
    store.write(0, new Float32Array(1024).fill(1));
    inject.writeSync = () => {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
    };
    let thrown: unknown;
    try {
      store.write(1024, new Float32Array(1024).fill(2));
    } catch (e) {
      thrown = e;
    } finally {
      inject.writeSync = null;
    }
    expect(thrown).toMatchObject({ code: 'E_FEATURE_CACHE_DISK_FULL', message: expect.stringMatching(/do not fit on the disk of the temporary folder \(it is full\): the partial cache was removed/) });
    expect(readdirSync(privateTempFolder()).filter((n) => n.startsWith('features-'))).toEqual([]);
    store.close();

    // A disk already full when the file's size is set: the same code, no folder left.
    inject.writeSync = () => {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    };
    try {
      expect(() => spill.open(1 << 16)).toThrow(expect.objectContaining({ code: 'E_FEATURE_CACHE_DISK_FULL' }));
    } finally {
      inject.writeSync = null;
    }
    expect(readdirSync(privateTempFolder()).filter((n) => n.startsWith('features-'))).toEqual([]);
  });

  it('through a training run: the loop ends with the code, nothing of the cache left on disk', async () => {
    const { fileFeatureSpill } = await import('../../../../src-engine/node/feature-spill');
    const { privateTempFolder } = await import('../../../../src-engine/node/temp-folder');
    const { frozenCnn } = await import('../train/frozen-cnn');
    const { compileGraph } = await import('../../../../src-engine/core/autodiff/executor');
    const { prepareData } = await import('../../../../src-engine/core/data');
    const { TrainingLoop } = await import('../../../../src-engine/core/train');
    const { createCpuBackend } = await import('../../../../src-engine/node/cpu');
    const { loadDataset } = await import('../../../../src-engine/node/datasets');
    const g = frozenCnn({ epochs: 2 });
    const c = g.training!;
    const data = prepareData(loadDataset(c.dataset, c.seed), c.dataset, c.seed);
    const backend = await createCpuBackend({ threads: 1 });
    let writes = 0;
    inject.writeSync = () => {
      // The file's size is set by the first write; the third batch's rows find the disk full.
      if (++writes === 4) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    };
    const loop = new TrainingLoop(g, data, backend, { compile: compileGraph, featureCache: true, featureCacheBytes: 1000, featureSpill: fileFeatureSpill(), validate: false, test: false });
    let failure: unknown;
    try {
      await loop.run();
    } catch (e) {
      failure = e;
    } finally {
      inject.writeSync = null;
      backend.dispose?.();
    }
    expect(writes).toBeGreaterThanOrEqual(4);
    expect(failure).toMatchObject({ code: 'E_FEATURE_CACHE_DISK_FULL' });
    expect(readdirSync(privateTempFolder()).filter((n) => n.startsWith('features-'))).toEqual([]);
  }, 60_000);
});

describe('the GPU probe\'s log (M5)', () => {
  /** A child process as spawn gives it that prints `stdout`, writes `stderr` and exits with `code`. */
  const fakeChild = (stdout: string, stderr: string, code: number) => () => {
    const c = Object.assign(new EventEmitter(), { stdout: new PassThrough(), stderr: new PassThrough(), kill: () => true });
    setImmediate(() => {
      c.stdout.end(stdout);
      c.stderr.end(stderr);
      setImmediate(() => c.emit('close', code));
    });
    return c;
  };

  it('is a new file in the private 0700 folder: a link planted at the old predictable path or at the next log\'s name is not followed', async () => {
    const { probeAdapter } = await import('../../../../src-engine/node/gpu/probe');
    const victim = join(root, 'victim.txt');
    writeFileSync(victim, 'precious\n');
    symlinkSync(victim, join(root, `netwright-gpu-probe-${process.pid}.log`));
    inject.spawn = fakeChild('null', 'Warning: vkCreateInstance: Found no drivers!\n', 0);
    let first;
    try {
      first = await probeAdapter();
    } finally {
      inject.spawn = null;
    }
    expect(first.adapter).toBeNull();
    expect(first.reason).toMatch(/Found no drivers!\); Dawn's messages: /);
    const log = first.log!;
    expect(dirname(dirname(log))).toBe(root);
    expect(basename(dirname(log))).toMatch(new RegExp(`^netwright-${process.pid}-[A-Za-z0-9]{6}$`));
    expect(statSync(dirname(log)).mode & 0o777).toBe(0o700);
    expect(lstatSync(log).isFile()).toBe(true);
    expect(statSync(log).mode & 0o777).toBe(0o600);
    expect(readFileSync(log, 'utf8')).toContain('Found no drivers!');
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');

    // A link where the next log would go (only this user can plant one there: the folder is 0700) is refused, not written through.
    symlinkSync(victim, join(dirname(log), basename(log).replace(/\d+\.log$/, (m) => `${Number(m.slice(0, -4)) + 1}.log`)));
    inject.spawn = fakeChild('null', 'Warning: again\n', 0);
    let second;
    try {
      second = await probeAdapter();
    } finally {
      inject.spawn = null;
    }
    expect(second.adapter).toBeNull();
    expect(second.log).toBeUndefined();
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
  });

  it('is removed at exit when the probe found an adapter; kept (in the private folder) when it found none, until the next start reaps it', async () => {
    const tmp = mkdtempSync(join(root, 'probe-exit-'));
    const PROBE = join(ROOT, 'src-engine', 'node', 'gpu', 'probe.ts');
    // The child's own probe, its Dawn replaced by a script that writes a warning and answers `answer`.
    const probeIn = (answer: string) =>
      child(
        tmp,
        `import cp from 'node:child_process'; import { syncBuiltinESMExports } from 'node:module';
const real = cp.spawn; cp.spawn = (exe, args, o) => real(exe, ['-e', ${JSON.stringify(`process.stderr.write('Warning: noise\\n'); process.stdout.write(${JSON.stringify(answer)})`)}], o); syncBuiltinESMExports();
const { probeAdapter } = await import(${JSON.stringify(PROBE)}); const r = await probeAdapter(); console.log(JSON.stringify(r));`,
      );
    const found = JSON.parse((await probeIn(JSON.stringify({ vendor: 'v', architecture: 'a', device: 'd', description: 'x', isFallbackAdapter: false }))).trim()) as { adapter: object | null; log?: string };
    expect(found.adapter).not.toBeNull();
    expect(found.log).toMatch(/gpu-probe-1\.log$/);
    expect(privateFolders(tmp)).toEqual([]);
    const none = JSON.parse((await probeIn('null')).trim()) as { adapter: object | null; log: string };
    expect(none.adapter).toBeNull();
    expect(privateFolders(tmp)).toEqual([basename(dirname(none.log))]);
    expect(readdirSync(dirname(none.log)).sort()).toEqual([basename(none.log), 'owner']);
    // The next start reaps it (its owner is gone).
    expect((await child(tmp, 'console.log(t.reapStaleTempFolders().length);')).trim()).toBe('1');
    expect(privateFolders(tmp)).toEqual([]);
  }, 30_000);
});
