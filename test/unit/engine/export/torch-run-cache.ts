/**
 * Python runs kept between test runs on this machine, keyed by what they read: a run whose inputs
 * are byte for byte those of a run before it answers that run's status, output and files, without
 * Python. The key is the command line and environment added, the contents of every folder and file
 * it names that the tests make or the checkout holds (its working folder, the exported project in
 * it, a case folder, the script, MNIST's folder; paths in a `-c` script count), the fork server's
 * script, the lockfile, the Python and its torch, numpy, Pillow and torchvision (their files'
 * paths and times: a package upgrade changes them), and the machine (its CPU picks torch's kernels).
 * A hit writes back the files the run wrote or changed in the folders it was given (its working
 * folder's `one.pt`, a split's `.npy` files) and removes those it removed; paths in its output are
 * the new run's. Keyed by contents, an edit that leaves an exported project as it was (anywhere
 * outside the exporters and the training that made its weights) keeps the hit.
 *
 * What a run reads by a path that none of its arguments names is keyed by that path alone: an
 * export's own files naming a streamed folder (a temp folder of its own each test run, so never
 * found again), MNIST's files named in train.py (the package's version: the lockfile), Debian's
 * Fashion-MNIST (taken as fixed).
 *
 * Only runs that exit 0 are kept: a failure is shown as it happens, and a run stopped by its
 * timeout says nothing about the next. A clean clone (CI) runs everything; `ACCURACY_CACHE=0` runs
 * again (as test/accuracy/cache.ts).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { arch, cpus, tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import type { PythonRun } from './torch-harness';

const ROOT = join(import.meta.dirname, '..', '..', '..', '..');
const DIR = join(ROOT, 'node_modules', '.cache', 'netwright-torch-runs');
const USE = process.env.ACCURACY_CACHE !== '0';
const TMP = tmpdir();

/** A Python runner as torchProcess is one. */
export type TorchRunner = (argv: readonly string[], cwd: string, env?: Record<string, string>, timeoutMs?: number) => Promise<PythonRun>;

/** The hash of each file under `place` (a file: ''), by path relative to it; a link by its target. */
function snapshot(place: string): Map<string, string> {
  const out = new Map<string, string>();
  const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
  const visit = (path: string, rel: string): void => {
    const st = lstatSync(path);
    if (st.isSymbolicLink()) out.set(rel, `link:${readlinkSync(path)}`);
    else if (st.isFile()) out.set(rel, sha(readFileSync(path)));
    // Python's bytecode caches follow their sources (and hold their times): neither input nor output.
    else if (st.isDirectory()) for (const name of readdirSync(path).sort()) if (name !== '__pycache__') visit(join(path, name), rel ? `${rel}/${name}` : name);
  };
  visit(place, '');
  return out;
}

const under = (path: string, root: string) => path === root || path.startsWith(root + sep);
/** A file or folder the tests made (under the temp folder, `nw-…`): a run's output is kept and written back there only. */
const isMade = (path: string) => under(path, TMP) && relative(TMP, path).split(sep)[0].startsWith('nw-');

/** A file or folder the tests made, or one in the checkout: what a run's key reads. */
function isPlace(path: string): boolean {
  if (!existsSync(path)) return false;
  const st = lstatSync(path);
  if (!st.isFile() && !st.isDirectory()) return false;
  return isMade(path) || under(path, ROOT);
}

/** Absolute paths written in `text` (a `-c` script's f-strings end them at `{`). */
const PATHS = /\/(?:[\w.@+-]+\/)*[\w.@+-]+/g;

/**
 * The command line as the key reads it: a torchrun's rendezvous port (`--master_port N`, a free one
 * picked for each run) is where its ranks meet, not an input of what they compute or print, so
 * every port keys as one (else a torchrun never answered from the cache).
 */
const keyedArgv = (argv: readonly string[]) => argv.map((a, i) => (i > 0 && argv[i - 1] === '--master_port' ? '<port>' : a));

let identity: string | undefined;
/** The Python and the packages a run imports: versions by their files' paths and times. */
function pythonIdentity(python: string): string {
  identity ??= spawnSync(
    python,
    [
      '-c',
      "import os, sys, importlib.util as u\nprint(sys.version)\nfor n in ('torch', 'numpy', 'PIL', 'torchvision', 'onnx'):\n    s = u.find_spec(n)\n    print(n, s and s.origin, s and os.stat(s.origin).st_mtime_ns)",
    ],
    { encoding: 'utf8' },
  ).stdout;
  return identity;
}

/**
 * `run`, answering from the cache where a run of the same inputs answered before (see above).
 * `python`: the interpreter `run` starts (part of the key).
 */
export function torchRunCache(python: string, run: TorchRunner): TorchRunner {
  return async (argv, cwd, env = {}, timeoutMs) => {
    if (!USE) return run(argv, cwd, env, timeoutMs);
    // The places the run reads: its working folder, then every path named in its arguments, once.
    const places = [cwd];
    for (const a of argv) for (const m of a.matchAll(PATHS)) if (!places.includes(m[0]) && isPlace(m[0])) places.push(m[0]);
    // Longest first, so that a path inside another is written as its own placeholder.
    const byLength = places.map((p, i) => ({ p, i })).sort((x, y) => y.p.length - x.p.length);
    const toKey = (s: string) => byLength.reduce((t, { p, i }) => t.split(p).join(`\0P${i}\0`), s);
    const fromKey = (s: string) => places.reduce((t, p, i) => t.split(`\0P${i}\0`).join(p), s);
    const before = places.map(snapshot);
    const server = readFileSync(join(import.meta.dirname, 'torch_fork_server.py'));
    const key = createHash('sha256')
      .update(
        JSON.stringify({
          argv: keyedArgv(argv).map(toKey),
          env,
          places: before.map((s) => [...s]),
          python: pythonIdentity(python),
          server: createHash('sha256').update(server).digest('hex'),
          lockfile: createHash('sha256').update(readFileSync(join(ROOT, 'package-lock.json'))).digest('hex'),
          machine: `${arch()} ${cpus()[0]?.model ?? ''}`,
        }),
      )
      .digest('hex')
      .slice(0, 40);
    const file = join(DIR, `${key}.json`);
    if (existsSync(file)) {
      const entry = JSON.parse(readFileSync(file, 'utf8')) as StoredRun;
      if (![...entry.written, ...entry.removed].every((o) => isMade(places[o.place]))) throw new Error(`${file}: writes outside the tests' temp folders`);
      for (const o of entry.written) {
        const path = join(places[o.place], o.rel);
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, Buffer.from(o.data, 'base64'));
      }
      for (const o of entry.removed) rmSync(join(places[o.place], o.rel), { force: true });
      console.log(`python3 ${argv[0] === '-c' ? '-c …' : keyedArgv(argv).map(toKey).join(' ').replace(/\0P(\d+)\0/g, '<$1>').slice(0, 80)}: answered from ${relative(ROOT, file)} (a run of the same inputs; ACCURACY_CACHE=0 runs it again)`);
      return { status: entry.status, signal: null, stdout: fromKey(entry.stdout), stderr: fromKey(entry.stderr) };
    }
    const r = await run(argv, cwd, env, timeoutMs);
    if (r.status !== 0) return r;
    const written: StoredRun['written'] = [];
    const removed: StoredRun['removed'] = [];
    places.forEach((place, i) => {
      if (!isMade(place) || !existsSync(place) || !lstatSync(place).isDirectory()) return;
      const after = snapshot(place);
      for (const [rel, h] of after) if (before[i].get(rel) !== h && !h.startsWith('link:')) written.push({ place: i, rel, data: readFileSync(join(place, rel)).toString('base64') });
      for (const rel of before[i].keys()) if (!after.has(rel)) removed.push({ place: i, rel });
    });
    const entry: StoredRun = { status: r.status, stdout: toKey(r.stdout), stderr: toKey(r.stderr), written, removed };
    mkdirSync(DIR, { recursive: true });
    // Created exclusively under a name of this process's, then renamed over the entry (another test
    // process may store the same run at the same time: either's is the same).
    const tmp = `${file}.${process.pid}.${createHash('sha256').update(`${Date.now()}${Math.random()}`).digest('hex').slice(0, 8)}.tmp`;
    writeFileSync(tmp, JSON.stringify(entry), { flag: 'wx' });
    renameSync(tmp, file);
    return r;
  };
}

interface StoredRun {
  status: number;
  stdout: string;
  stderr: string;
  /** Files the run wrote or changed: in which place (index), where in it, and their bytes (base64). */
  written: { place: number; rel: string; data: string }[];
  removed: { place: number; rel: string }[];
}
