import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

/**
 * What the renderer's UI bundles of the engine: the modules its entry (src-renderer/src/main.tsx)
 * reaches through the facade and the protocol, as esbuild resolves them (packages left out). The UI
 * shows op and optimizer metadata (names, attributes, settings, shapes, coverage); the ops' reference kernels
 * (core/ops/kernels), the GPU kernels and their WGSL run in the engine and stay out of the page's
 * chunks (#45), and the renderer never loads Node's CPU backend.
 */
describe('the UI bundle', () => {
  it('reaches no reference kernel, GPU kernel, WGSL or Node code of the engine', async () => {
    const result = await build({
      entryPoints: ['src-renderer/src/main.tsx'],
      bundle: true,
      write: false,
      metafile: true,
      format: 'esm',
      platform: 'browser',
      packages: 'external',
      loader: { '.css': 'empty', '.svg': 'empty', '.png': 'empty' },
      logLevel: 'silent',
    });
    const files = Object.keys(result.metafile.inputs);
    expect(files).toContain('src-engine/facade.ts');
    expect(files).toContain('src-engine/core/backend/coverage.ts');
    expect(files).toContain('src-engine/core/ops/registry.ts');
    expect(files.filter((f) => /^src-engine\/(core\/gpu|core\/ops\/kernels|node|app)\//.test(f))).toEqual([]);
    // An optimizer's one file (core/optim/<kind>.ts) declares its settings beside its CPU, GPU and
    // PyTorch updates, a schedule's (core/optim/schedule-kinds/) beside its steps; the UI reads the
    // settings from the printed catalogs, and of core/optim only the hyperparameter checks the live
    // analysis runs (base, schedule-base, types).
    expect(files).toContain('src-engine/catalog/optimizers/generated.ts');
    expect(files).toContain('src-engine/catalog/schedules/generated.ts');
    expect(files.filter((f) => f.startsWith('src-engine/core/optim/') && !/\/(base|schedule-base|types)\.ts$/.test(f))).toEqual([]);
    const text = result.outputFiles.map((f) => f.text).join('\n');
    expect(text).not.toMatch(/@compute|@workgroup_size/);
  });
});
