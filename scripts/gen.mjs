#!/usr/bin/env node
// `npm run gen`: every generator of a committed file, run in order, each in a process of its own (so
// a generator reads what the ones before it wrote, never a module cached before that). On a fresh
// tree it changes nothing; test/unit/architecture/generated-fresh.test.ts builds every file below in
// memory and names the one that is stale.
//   npm run gen                  the code generators (GENERATORS, in order)
//   npm run gen -- --goldens     also the golden fixtures PyTorch computes (GOLDENS: Debian's
//                                /usr/bin/python3 with python3-torch), before the code generators
// A new generator is one entry in GENERATORS: the freshness test fails on a file that says it is
// generated and that no entry writes, and on a *-gen.ts no entry runs.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** `{ absolute path: text }` → `{ repo-relative path: text }`. */
const relative = (files) => Object.fromEntries(Object.entries(files).map(([p, t]) => [p.startsWith(root) ? p.slice(root.length + 1) : p, t]));

/**
 * The code generators, in the order they must run: each entry's `script` writes `outputs` (paths from
 * the repository root) and is run as `command`; `build()` returns what it would write (`{ path: text }`)
 * without writing, for the freshness test (it imports TypeScript: call it under vitest or tsx).
 * Order: the catalogs and train.py's module read only declarations and sources; the `.wat` printers
 * read the op and optimizer declarations; build-kernels.mjs compiles every `.wat`, so it runs after them.
 */
export const GENERATORS = [
  {
    script: 'src-engine/node/catalog-gen.ts',
    outputs: ['src-engine/catalog/optimizers/generated.ts', 'src-engine/catalog/schedules/generated.ts'],
    build: async () => {
      const m = await import('../src-engine/node/catalog-gen.ts');
      return relative(Object.fromEntries(m.CATALOGS.map((c) => [c.path, m.catalogText(c)])));
    },
  },
  {
    script: 'scripts/build-train-py.mjs',
    outputs: ['src-engine/core/export/generated/train-py.ts'],
    build: async () => {
      const m = await import('./build-train-py.mjs');
      return relative({ [m.TRAIN_PY_MODULE]: m.buildTrainPyModule() });
    },
  },
  {
    script: 'src-engine/node/cpu/kernels/activations-gen.ts',
    outputs: ['src-engine/node/cpu/kernels/activations.wat'],
    build: async () => {
      const m = await import('../src-engine/node/cpu/kernels/activations-gen.ts');
      return relative({ [m.ACTIVATIONS_WAT_PATH]: m.activationsWat() });
    },
  },
  {
    script: 'src-engine/node/cpu/kernels/broadcast-gen.ts',
    outputs: ['src-engine/node/cpu/kernels/broadcast.wat'],
    build: async () => {
      const m = await import('../src-engine/node/cpu/kernels/broadcast-gen.ts');
      return relative({ [m.BROADCAST_WAT_PATH]: m.broadcastWat() });
    },
  },
  {
    script: 'src-engine/node/cpu/kernels/losses-gen.ts',
    outputs: ['src-engine/node/cpu/kernels/losses.wat'],
    build: async () => {
      const m = await import('../src-engine/node/cpu/kernels/losses-gen.ts');
      return relative({ [m.LOSSES_WAT_PATH]: m.lossesWat() });
    },
  },
  {
    script: 'src-engine/node/cpu/kernels/optim-gen.ts',
    outputs: ['src-engine/node/cpu/kernels/optim.wat'],
    build: async () => {
      const m = await import('../src-engine/node/cpu/kernels/optim-gen.ts');
      return relative({ [m.OPTIM_WAT_PATH]: m.optimWat() });
    },
  },
  {
    script: 'src-engine/node/cpu/kernels/polyphase-gen.ts',
    outputs: ['src-engine/node/cpu/kernels/polyphase.wat'],
    build: async () => {
      const m = await import('../src-engine/node/cpu/kernels/polyphase-gen.ts');
      return relative({ [m.POLYPHASE_WAT_PATH]: m.polyphaseWat() });
    },
  },
  {
    // Rewrites only the generated F(4×4, 3×3) section of winograd.wat; the rest is written by hand.
    script: 'src-engine/node/cpu/kernels/winograd4-gen.ts',
    outputs: ['src-engine/node/cpu/kernels/winograd.wat'],
    build: async () => {
      const { readFileSync } = await import('node:fs');
      const m = await import('../src-engine/node/cpu/kernels/winograd4-gen.ts');
      return relative({ [m.WINOGRAD_WAT_PATH]: m.withSection(readFileSync(m.WINOGRAD_WAT_PATH, 'utf8')) });
    },
  },
  {
    script: 'scripts/build-kernels.mjs',
    outputs: ['src-engine/node/cpu/generated/kernels.ts', 'src-engine/node/cpu/generated/kernel-table.ts'],
    build: async () => relative(await (await import('./build-kernels.mjs')).buildGeneratedFiles()),
  },
  {
    script: 'scripts/make-housing-csv.mjs',
    outputs: ['src-engine/core/data/housing.ts'],
    build: async () => {
      const m = await import('./make-housing-csv.mjs');
      return relative({ [m.HOUSING_PATH]: m.housingModule() });
    },
  },
].map((g) => ({ ...g, command: `${g.script.endsWith('.ts') ? 'npx tsx' : 'node'} ${g.script}` }));

/**
 * The golden fixtures PyTorch computes (test/golden/*.py), run with `--goldens` only: they need
 * Debian's python3-torch, take minutes, and write test/golden/{ops,graphs,optim,special}/. Not
 * here: gen_torchvision_onnx.py (the tests run it into a cache) and check_scalar_cast.py (a check
 * that writes nothing). NOTE: PyTorch's float64 convolutions are not bit-reproducible from run to
 * run here: a rerun rewrote 6 fixtures (the conv layers', the two graphs') in their last digits
 * (≤ 6e-15 relative); keep such a diff out of a commit unless a fixture is meant to change. New
 * cases go after the existing ones, so those stay as they were.
 */
export const GOLDENS = ['test/golden/gen_activations_losses.py', 'test/golden/gen_layers.py', 'test/golden/gen_sequences.py', 'test/golden/gen_graphs.py', 'test/golden/gen_optim.py'];

/** Run one command from the repository root, echoing its output; exit with its status if it fails. */
function step(label, cmd, args) {
  console.log(`gen: ${label}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`gen: ${label} failed (${r.error ? r.error.message : `exit ${r.status ?? r.signal}`})`);
    process.exit(r.status || 1);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const unknown = process.argv.slice(2).filter((a) => a !== '--goldens');
  if (unknown.length) {
    console.error(`usage: npm run gen [-- --goldens] (unknown: ${unknown.join(' ')})`);
    process.exit(2);
  }
  if (process.argv.includes('--goldens')) for (const g of GOLDENS) step(`/usr/bin/python3 ${g}`, '/usr/bin/python3', [join(root, g)]);
  const tsx = join(root, 'node_modules/.bin/tsx');
  for (const g of GENERATORS) step(g.command, g.script.endsWith('.ts') ? tsx : process.execPath, [join(root, g.script)]);
}
