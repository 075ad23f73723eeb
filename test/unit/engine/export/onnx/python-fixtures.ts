/** What a fixture script writes under PyTorch, made once per version of its inputs (torchvision-fixtures.ts does the same for its 200 MB). */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { PYTHON, python } from './harness';

const CACHE = join(import.meta.dirname, '..', '..', '..', '..', '..', 'node_modules', '.cache', 'netwright-python-fixtures');

let versions: string | undefined;
/** The python and the versions of the packages the fixture scripts use (read without importing torch). */
function pythonVersions(): string {
  versions ??= spawnSync(
    PYTHON,
    ['-c', "import sys, importlib.metadata as m\nprint(sys.version)\nfor p in ('torch', 'onnx', 'numpy'):\n    try: print(p, m.version(p))\n    except Exception as e: print(p, repr(e))"],
    { encoding: 'utf8' },
  ).stdout;
  return versions;
}

/**
 * The folder `python3 script DIR ...args` wrote into DIR: run once for each version of the script's
 * text, its arguments, the python and its torch, onnx and numpy, and kept under
 * node_modules/.cache (a repeat `npm test` spends no PyTorch import on it; a fresh checkout pays
 * once). What torch writes for a fixed seed is the same each run, so the tests read what a fresh
 * run would give them. Older versions of the same script and arguments are removed.
 */
export function pythonFixtures(script: string, args: readonly string[], modules: readonly string[]): string {
  const source = readFileSync(script, 'utf8');
  const name = `${basename(script, '.py')}-${createHash('sha256').update(JSON.stringify(args)).digest('hex').slice(0, 8)}`;
  const key = createHash('sha256').update(JSON.stringify([source, args, pythonVersions()])).digest('hex').slice(0, 16);
  const dir = join(CACHE, `${name}-${key}`);
  const done = join(dir, '.complete');
  if (existsSync(done)) return dir;
  mkdirSync(CACHE, { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  python(source, [tmp, ...args], modules);
  writeFileSync(join(tmp, '.complete'), '');
  for (const old of readdirSync(CACHE)) if (old.startsWith(`${name}-`) && old !== `${name}-${key}` && !old.includes('.tmp-')) rmSync(join(CACHE, old), { recursive: true, force: true });
  try {
    renameSync(tmp, dir);
  } catch (e) {
    // Another test process made it first: theirs is the same.
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(done)) throw e;
  }
  return dir;
}
