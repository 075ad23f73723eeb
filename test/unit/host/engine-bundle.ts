/**
 * The engine child as the host tests start it: src-engine/node/main.ts bundled into one file by
 * esbuild (its packages left as imports), built once for each version of the engine's sources and
 * kept under node_modules/.cache (python-fixtures.ts does the same for what PyTorch writes). Run
 * from source by tsx, every start loaded the engine's ~450 modules one by one: measured (fork, then
 * `engine.hello` answered; the whole process tree's CPU, load 14) 2.1–2.4 s of CPU and 3.7–4.7 s
 * of wall time a start, against 0.5 s and 0.6–0.8 s for the bundle; the host tests start it 9
 * times, and their deadlines wait on it. The build (~0.7 s of CPU) runs in the first test process
 * that needs it; the others read it. A command-line tool bundles the same way (runs/tf-events.test.ts
 * kills a `train-cli.mjs` mid-run); the tests that check the CLI as `npm run train` starts it
 * (tsx, from source) keep starting it so.
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

const bundles = new Map<string, string>();

/**
 * The bundled engine script's path: `entry` under src-engine/ (the engine child by default, or a
 * command-line tool such as node/train-cli.ts, which starts itself by its file's name: train-cli.mjs),
 * built on first use when no test process has built it for these sources.
 */
export function engineBundle(entry = 'node/main.ts'): string {
  const known = bundles.get(entry);
  if (known) return known;
  const key = sourceKey();
  const dir = path.join(CACHE, key);
  const file = path.join(dir, `${path.basename(entry, '.ts')}.mjs`);
  if (existsSync(file)) {
    // Marked as used, so that another version's build leaves it for a day (below).
    utimesSync(dir, new Date(), new Date());
    bundles.set(entry, file);
    return file;
  }
  mkdirSync(dir, { recursive: true });
  const tmp = `${file}.tmp-${process.pid}.mjs`;
  const r = buildSync({
    entryPoints: [path.join(ENGINE, entry)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile: tmp,
    absWorkingDir: ROOT,
    metafile: true,
    logLevel: 'error',
  });
  const outside = Object.keys(r.metafile.inputs).filter((f) => !path.resolve(ROOT, f).startsWith(ENGINE + path.sep));
  if (outside.length) {
    rmSync(tmp, { force: true });
    throw new Error(`engine-bundle.ts: ${entry} imports files outside src-engine/, which the cache key does not read: ${outside.join(', ')}`);
  }
  // Another test process may have built the same file meanwhile: the same bytes, replaced whole.
  renameSync(tmp, file);
  // Other versions go once unused for a day, not at once: a worktree sharing these node_modules
  // (another version of src-engine/) may be starting its engine from its own bundle now.
  for (const old of readdirSync(CACHE)) {
    const at = path.join(CACHE, old);
    if (old !== key && Date.now() - statSync(at).mtimeMs > DAY_MS) rmSync(at, { recursive: true, force: true });
  }
  bundles.set(entry, file);
  return file;
}
