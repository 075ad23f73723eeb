import { describe, expect, it } from 'vitest';
import { restricted } from './lint-probe';

/**
 * The engine's tiers (docs/architecture.md) are lint errors when crossed upwards: base ← core ←
 * app, and the protocol imports nothing of the engine. Each case lints a probe file placed in a
 * tier with the project's real ESLint config.
 */
describe('engine tiers are lint errors when crossed upwards', () => {
  it.each([
    ['src-engine/base/ir/__probe__.ts', '../../core/ops/types', /base tier/],
    ['src-engine/base/__probe__.ts', '../app/session', /base tier/],
    ['src-engine/core/train/__probe__.ts', '../../app/probes', /core tier/],
    ['src-engine/core/ops/__probe__.ts', '../../protocol', /core tier/],
    ['src-engine/protocol/__probe__.ts', '../core/train', /contract/],
    ['src-engine/protocol/__probe__.ts', '../base/ir/types', /contract/],
    ['src-engine/app/session/__probe__.ts', '../../node/datasets', /imports nothing outside/],
    ['src-engine/catalog/transforms/__probe__.ts', '../../base/rng', /catalog/],
  ])('%s importing %s', async (file, spec, message) => {
    const msgs = await restricted(file, spec);
    expect(msgs.length).toBe(1);
    expect(msgs[0]).toMatch(message);
  });

  it.each([
    ['src-engine/core/train/__probe__.ts', '../../base/ir/types'],
    ['src-engine/app/session/__probe__.ts', '../../core/train'],
    ['src-engine/app/session/__probe__.ts', '../../protocol'],
    ['src-engine/node/__probe__.ts', '../app/service'],
    ['src-engine/protocol/__probe__.ts', '../base/schemas'],
    ['src-engine/protocol/__probe__.ts', '../catalog/transforms/registry'],
    ['src-engine/base/ir/__probe__.ts', '../../catalog/transforms/registry'],
  ])('%s may import %s', async (file, spec) => {
    expect(await restricted(file, spec)).toEqual([]);
  });
});
