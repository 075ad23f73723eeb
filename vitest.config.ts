import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The GPU test files run again across the GPU wire: those whose cases (not marked `itDirectOnly`)
 * send every kind of wire message the whole set sends (test/unit/gpu/wire-cases.ts); with
 * NETWRIGHT_GPU_WIRE_ALL=1 also the files whose traffic those repeat (DIRECT_ONLY_FILES there),
 * and every case.
 */
const WIRE_FILES = ['probes', 'device-lost', ...(process.env.NETWRIGHT_GPU_WIRE_ALL === '1' ? ['executor', 'service', 'executor-ops', 'train-loop'] : [])];

/**
 * Engine test files that run one after another in a shared process (vitest's `isolate: false`):
 * each file's imports are not evaluated again. Measured on these 80 files back to back (2 workers,
 * a shared machine at load ~5): 217 s and 243 s of CPU isolated, 157 s and 191 s shared. They keep no state
 * between files (no mocks, fake timers, environment or V8 flags, renderer stores): the renderer,
 * host and GPU files stay isolated, and so does a file that sets a V8 flag for its own process.
 */
const SHARED = [
  ...['architecture', 'protocol', 'probes', 'runs', 'lessons', 'bench'].map((d) => `test/unit/${d}/**/*.test.ts`),
  // export-writer.test.ts mocks node:fs (a rename that fails mid-replace), import-validates-once.test.ts
  // the validator (it counts the checks), training-settings.test.ts the optimizer registry (a kind
  // registered for the test), predict-bounds.test.ts the CSV parser (it counts the parses), temp-folder.test.ts
  // node:fs and node:child_process (a full disk, a GPU probe's child), confined-reads.test.ts node:fs (a folder
  // swapped for a link as a file is opened): isolated, so what they import sees the mock whichever file loaded it first.
  // train-data-memory.test.ts measures its process's array buffers: alone in it, where no other file's work goes on
  // (shared, it read 2.8 MB more than it made once, in CI).
  'test/unit/engine/**/!(export-writer|import-validates-once|training-settings|predict-bounds|temp-folder|confined-reads|train-data-memory).test.ts',
  // relaxed-simd.test.ts turns a V8 flag on for its process (the kernels it selects would follow).
  'test/unit/cpu-backend/!(relaxed-simd).test.ts',
  // The engine's sessions through their protocol (no mocks, no renderer stores; validate-once.test.ts
  // mocks the validator, pace-and-step-losses.test.ts times the steps it spaces: isolated). Those that
  // run PyTorch share the test process's torch server too (torch-harness.ts: ~2 s of CPU to start).
  'test/unit/session/!(validate-once|pace-and-step-losses).test.ts',
  // The main process's host without a server: files, locks, menus, packaging, the CLI's commands
  // (netwright-cli.test.ts restores the environment it stubs, in a finally). Isolated: supervisor.test.ts
  // (fake timers, switched back only when its test passes), atomic-write.test.ts (node:crypto mocked: a
  // fixed temp name), save-fencing.test.ts (atomic-write mocked: a hook inside a save's version check;
  // shared, the mock missed a module another file had loaded first and the hook never ran), and the
  // web server's files (saves, web-*), whose engines restart on deadlines: under load ~20, shared, two of them missed one.
  'test/unit/host/!(supervisor|saves|web-*|atomic-write|save-fencing).test.ts',
];

/**
 * Renderer test files of pure modules (layout, reducers, charts, static markup) that run one after
 * another in a shared process: no renderer store, mock, fake timer or registry they change. A
 * process each cost ~1 s of CPU to start and import (17 of them back to back: 26 s of CPU
 * isolated, 12 s shared). Files that use a store (useEditor, useRun, …), register menu handlers
 * (menu-commands) or keep the last export (training/export.ts: export-name) stay isolated.
 */
const UI_SHARED = [
  `test/unit/editor/{${['attrs-connect-layout', 'block-templates', 'flow', 'groups', 'layout-direction', 'panels', 'project', 'project-fuzz', 'reducer', 'tiny-graph', 'training-summary'].join(',')}}.test.ts`,
  `test/unit/training-ui/{${['charts', 'compare-views', 'dataset-settings', 'gan-columns', 'in-view', 'lr-finder-chart', 'preview', 'step-metrics', 'sweep-ranking'].join(',')}}.test.ts`,
  'test/unit/training-ui/{damaged-runs,early-stopping-field}.test.tsx',
];

/**
 * The other renderer files (stores, menu handlers, the last export): one after another in a shared
 * process too, each importing the app's modules anew (test/unit/fresh-modules.ts empties the module
 * registry before each file), so a store is the file's own as in a process of its own. What a
 * process each cost is starting it and loading vitest and the packages (React, zustand, the
 * engine's dependencies): these 26 files, 3 workers, load ~16, CPU of vitest and its workers: 42 s
 * isolated, 20 s here (two shuffled orders; 15 s shared without the fresh imports, whose stores leak).
 * vi.resetModules() leaves vi.mock's registry as it is: a renderer file that mocks a module goes in
 * the unit project (exclude it here), as export-writer.test.ts does among the engine's.
 */
const UI_FRESH = ['test/unit/{editor,training-ui}/*.test.{ts,tsx}'];

/**
 * Kernel modules whose relaxed-SIMD build is their plain SIMD build (generated/kernels.ts
 * `relaxed: null`: scripts/build-kernels.mjs found no `acc + x·y` in them to fuse).
 */
const UNFUSED_MODULES = new Set(
  [...readFileSync(fileURLToPath(new URL('./src-engine/node/cpu/generated/kernels.ts', import.meta.url)), 'utf8').matchAll(/^ {2}(\w+): \{\n {4}simd: '[^']*',\n {4}relaxed: null,$/gm)].map((m) => m[1]),
);

/**
 * CPU backend files whose kernels have no fused (relaxed-SIMD) variant, so the cpu-fma project would
 * run the very same WebAssembly again: Add's `accumulate` (elementwise.wat), im2col/col2im
 * (conv.wat, no GEMM), the kernel table and the generated files' freshness; and int8.test.ts, which
 * runs the int8 kernels alone (int8.wat, beside TypeScript: kind 'WebAssembly SIMD', no float
 * island) for as long as int8.wat has no fused variant (~3 s of CPU a run, quiet). Its file runs in
 * cpu-fma again once its module gets one.
 */
const FMA_SAME = ['add', 'conv', 'kernel', 'kernels-fresh', ...(UNFUSED_MODULES.has('int8') ? ['int8'] : [])];

/**
 * GPU test files that run one after another in a shared process: they share its device (testGpu)
 * and so the pipelines compiled on it (GpuContext). On SwiftShader a compile is ~0.1 s of CPU, and
 * the GPU files compiled the same 161 shaders 1,006 times, one process per file: about half of
 * their time. Not shared: the files that lose or destroy the device, drive Chromium or the
 * renderer's stores, patch globals, or run across the GPU wire.
 */
const GPU_ISOLATED = ['device-lost', 'service', 'device-choice-ui', 'wire-chromium', 'wire', 'poll-pacing'];
const GPU_SHARED = `test/unit/gpu/!(${GPU_ISOLATED.join('|')}).test.ts`;

/**
 * The order the test files are handed to the workers. vitest queues the projects one after another
 * in name order (cpu-fma, gpu-shared, gpu-wire, ui-shared, unit, unit-shared), each project's
 * files longest first (from its results cache; without one, largest first): the longest file of
 * all, torchvision.test.ts (unit-shared, ~7 min under `npm test`'s load), started last and ran on
 * alone while the other worker had nothing left. Here (in group 1, after gpu-shared:
 * GPU_SHARED_FIRST) the projects whose files are longest come first, and the projects of many
 * short files last, so the last files to start are short ones. ui-shared holds one long file among
 * its short ones (project-fuzz.test.ts, ~40 s under load): queued fourth, it started with ~40 s of
 * the run left and ran on alone for the last 12 (`npm test`, warm: unit files ended at 498 s, it
 * at 510 s); queued second, it starts while the unit project's many short files remain. The same
 * for gpu-wire and cpu-fma (a probe file of ~17 s; ~15 short files one after another in one
 * shared worker, ~17 s): queued after the unit project, both started once its last short files
 * had been handed out and ran on alone for the last ~20 s (`npm test`, warm: 535 → 554 s).
 * ui-fresh (45 short renderer files) went after the unit project, whose GPU and web-server files
 * run longer; but one of its files, node-latency-view.test.tsx, mostly waits (9.5 s of its tests,
 * 3.1 s of CPU alone: the figures' measuring debounces), and queued last it ran on alone for the
 * last 10 s with a core idle (`npm test`, clean: the other files ended by 469.6 s, it at 474.5
 * s). Now ui-fresh goes before the unit project, that file first (LONGEST), so that its waits fall
 * among other files' work and the last files to start are the unit project's short ones (its GPU
 * files, first in their project, still start well before the end). A project's files stay
 * together: a worker of a shared project (`isolate: false`) is kept for the next file only when
 * the next file in the queue is of the same project (otherwise it is stopped, and the GPU files'
 * compiled pipelines with it).
 */
const PROJECT_ORDER = ['unit-shared', 'ui-shared', 'gpu-wire', 'cpu-fma', 'ui-fresh', 'unit'];

/**
 * Within a project, these first (in this order), then vitest's own order: the longest files,
 * measured (CPU and wall seconds under load), for a run without a results cache (CI's first run).
 */
const LONGEST = [
  ...['engine/export/onnx/torchvision', 'engine/export/train-py', 'engine/attention-train', 'cpu-backend/winograd', 'engine/train/loop-identity'],
  ...['gpu/train-loop', 'gpu/gemm', 'gpu/gan-train', 'gpu/op-suite', 'gpu/probes', 'gpu/executor-ops', 'gpu/conv2d', 'gpu/executor'],
  ...['gpu/service', 'gpu/wire-chromium', 'gpu/device-lost', 'host/web-large-messages', 'editor/project-fuzz', 'editor/node-latency-view.test.tsx'],
].map((f) => `test/unit/${f.endsWith('.tsx') ? f : `${f}.test.ts`}`);

/** A file's place in `files` (path endings), or `files.length` when it is not listed: a sequencer's rank (vitest.accuracy.config.ts too). */
export function rankIn(files: readonly string[]): (s: TestSpecification) => number {
  return (s) => {
    const i = files.findIndex((f) => s.moduleId.endsWith(f));
    return i < 0 ? files.length : i;
  };
}

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const project = (s: TestSpecification) => {
      const i = PROJECT_ORDER.indexOf(s.project.name);
      return i < 0 ? PROJECT_ORDER.length : i;
    };
    const known = rankIn(LONGEST);
    // Array.prototype.sort is stable: vitest's order stays within each rank.
    return sorted.sort((a, b) => project(a) - project(b) || known(a) - known(b));
  }
}

/**
 * vitest's default is one worker fewer than the cores: one worker on a 2-core machine (CI), where
 * the slow files (SwiftShader, the WebAssembly backend, PyTorch in a child process) then run one
 * after another. One more worker than cores: files wait too (torchrun's gloo teardown, a host's
 * restart back-off, a child process starting), and a third file fills those waits. The whole
 * `npm test` on 2 cores, quiet: 10 min 33 s with two workers (148 % of the cores), 9 min 50 s
 * with three (165 %), both green. Four (with GPU_SHARED_FIRST): 9 min 50 s against three's 9 min
 * 53 s, no better.
 */
const WORKERS = Math.max(3, availableParallelism() + 1);

/**
 * GPU_SHARED_FIRST: the gpu-shared files run first (vitest's group 0), all in one process, while
 * the build, the checks and the e2e suite start beside them; then every other project (group 1) on
 * WORKERS workers. Spread over three processes, each compiled the pipelines its files need: 406
 * SwiftShader compiles of 176 distinct pipelines, 122 s of CPU in vkCreateComputePipelines (a
 * compile takes 0.1–1.2 s on SwiftShader). The gpu-shared project alone, 2 cores, quiet
 * (`npx vitest run --project gpu-shared`): 220 s of CPU on three workers, 170 s in one process;
 * the whole `npm test`, warm, back to back: 10 min 41 s before, 9 min 53 s after. (vitest runs
 * projects with another worker count in another group: one after another.)
 */
// Unit tests: fast, deterministic, no browser. End-to-end tests live in test/e2e (Playwright) and
// the long accuracy runs in vitest.accuracy.config.ts.
export default defineConfig({
  test: {
    environment: 'node',
    testTimeout: 60_000,
    pool: 'forks',
    // Transformed modules kept on disk between runs (node_modules/.experimental-vitest-cache), each
    // keyed by vitest by its file's contents and the configuration: a file unchanged since the last
    // run is not transformed again. The 26 ui-fresh files, 3 workers, load 5-13: 16.7 and 17.3 s of
    // CPU without, 18.3 s filling the cache, 14.6 s with it (transform 20 s → 4 s of the workers' wait).
    experimental: { fsModuleCache: true },
    maxWorkers: WORKERS,
    sequence: { sequencer: LongestFirst, groupOrder: 1 },
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts', 'test/unit/**/*.test.tsx'], exclude: [...SHARED, ...UI_SHARED, ...UI_FRESH, GPU_SHARED] } },
      { extends: true, test: { name: 'ui-shared', include: UI_SHARED, isolate: false } },
      { extends: true, test: { name: 'ui-fresh', include: UI_FRESH, exclude: UI_SHARED, isolate: false, setupFiles: ['test/unit/fresh-modules.ts'] } },
      // First, in one process (GPU_SHARED_FIRST).
      { extends: true, test: { name: 'gpu-shared', include: [GPU_SHARED], isolate: false, maxWorkers: 1, sequence: { sequencer: LongestFirst, groupOrder: 0 } } },
      { extends: true, test: { name: 'unit-shared', include: SHARED, isolate: false } },
      // The CPU backend's files again with fused multiply-adds, as the app's engine runs them where
      // the runtime has relaxed SIMD (test/unit/cpu-backend/fma-setup.ts; relaxed-simd.test.ts
      // already runs with them).
      {
        extends: true,
        test: {
          name: 'cpu-fma',
          include: ['test/unit/cpu-backend/*.test.ts'],
          exclude: ['relaxed-simd', ...FMA_SAME].map((f) => `test/unit/cpu-backend/${f}.test.ts`),
          setupFiles: ['test/unit/cpu-backend/fma-setup.ts'],
          isolate: false,
        },
      },
      // GPU probe and lost-device tests again, on a device across the GPU wire (Electron's path to
      // the GPU window; test/unit/gpu/device.ts): WIRE_FILES above.
      {
        extends: true,
        test: {
          name: 'gpu-wire',
          include: WIRE_FILES.map((f) => `test/unit/gpu/${f}.test.ts`),
          env: { NETWRIGHT_GPU_TEST_WIRE: '1' },
        },
      },
    ],
  },
});
