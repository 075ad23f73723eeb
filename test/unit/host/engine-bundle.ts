/**
 * The engine child as the host tests start it: src-engine/node/main.ts bundled into one file by
 * esbuild (its packages left as imports), built once for each version of the engine's sources and
 * kept under node_modules/.cache (python-fixtures.ts does the same for what PyTorch writes). Run
 * from source by tsx, every start loaded the engine's ~450 modules one by one: measured (fork, then
 * `engine.hello` answered; the whole process tree's CPU, load 14) 2.1–2.4 s of CPU and 3.7–4.7 s
 * of wall time a start, against 0.5 s and 0.6–0.8 s for the bundle; the host tests start it 9
 * times, and their deadlines wait on it. The build (~0.7 s of CPU) runs in the first test process
 * that needs it; the others read it.
 *
 * The key is every file under src-engine/ (names and contents), esbuild's version and the
 * lockfile; a build whose inputs reach outside src-engine/ fails, naming them, rather than being
 * kept under a key that misses them. What the bundle runs is the source's code: the production
 * build (electron-vite: out/main/engine.js) bundles the same entry.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { buildSync } from 'esbuild';

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');
const ENGINE = path.join(ROOT, 'src-engine');
const CACHE = path.join(ROOT, 'node_modules', '.cache', 'netwright-engine-bundle');
const DAY_MS = 24 * 3600 * 1000;

/** Every file under `dir`, sorted. */
function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => path.join(dir, f))
    .filter((f) => statSync(f).isFile())
    .sort();
}

function sourceKey(): string {
  const h = createHash('sha256');
  const esbuild = createRequire(import.meta.url)('esbuild/package.json') as { version: string };
  h.update(`esbuild ${esbuild.version}\0`);
  for (const f of [...files(ENGINE), path.join(ROOT, 'package-lock.json')]) {
    h.update(path.relative(ROOT, f));
    h.update('\0');
    h.update(readFileSync(f));
    h.update('\0');
  }
  return h.digest('hex').slice(0, 16);
}

let bundle: string | undefined;

/** The bundled engine child's path (built on first use in this process when no test process has built it). */
export function engineBundle(): string {
  if (bundle) return bundle;
  const key = sourceKey();
  const dir = path.join(CACHE, key);
  const file = path.join(dir, 'engine.mjs');
  if (existsSync(file)) {
    // Marked as used, so that another version's build leaves it for a day (below).
    utimesSync(dir, new Date(), new Date());
    return (bundle = file);
  }
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const r = buildSync({
    entryPoints: [path.join(ENGINE, 'node', 'main.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile: path.join(tmp, 'engine.mjs'),
    absWorkingDir: ROOT,
    metafile: true,
    logLevel: 'error',
  });
  const outside = Object.keys(r.metafile.inputs).filter((f) => !path.resolve(ROOT, f).startsWith(ENGINE + path.sep));
  if (outside.length) throw new Error(`engine-bundle.ts: the engine imports files outside src-engine/, which its cache key does not read: ${outside.join(', ')}`);
  // Other versions go once unused for a day, not at once: a worktree sharing these node_modules
  // (another version of src-engine/) may be starting its engine from its own bundle now.
  for (const old of existsSync(CACHE) ? readdirSync(CACHE) : []) {
    const at = path.join(CACHE, old);
    if (old !== key && !old.includes('.tmp-') && Date.now() - statSync(at).mtimeMs > DAY_MS) rmSync(at, { recursive: true, force: true });
  }
  try {
    renameSync(tmp, dir);
  } catch (e) {
    // Another test process built it first: theirs is the same.
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(file)) throw e;
  }
  return (bundle = file);
}
