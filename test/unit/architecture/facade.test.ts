import { describe, expect, it } from 'vitest';
import { restricted } from './lint-probe';

/**
 * One door into the engine (docs/architecture.md): the renderer imports src-engine only through
 * src-engine/facade.ts and the protocol, and the facade re-exports only base and core. Each case
 * lints a probe file with the project's real ESLint config.
 */
describe('the renderer reaches the engine through one door', () => {
  it.each([
    ['src-renderer/src/editor/__probe__.ts', '../../../src-engine/base/ir/types'],
    ['src-renderer/src/editor/__probe__.ts', '../../../src-engine/core/ops/registry'],
    ['src-renderer/src/lessons/__probe__.ts', '../../../src-engine/app/lessons/inpainting'],
    ['src-renderer/src/components/training/__probe__.ts', '../../../../src-engine/node/cpu'],
    ['src-renderer/src/__probe__.tsx', '../../src-engine/facade/x'],
  ])('%s importing %s is refused', async (file, spec) => {
    const msgs = await restricted(file, spec);
    expect(msgs.length).toBe(1);
    expect(msgs[0]).toMatch(/only through src-engine\/facade/);
  });

  it.each([
    ['src-renderer/src/editor/__probe__.ts', '../../../src-engine/facade'],
    ['src-renderer/src/editor/__probe__.ts', '../../../src-engine/protocol'],
    ['src-renderer/src/gpu-host/__probe__.ts', '../../../src-engine/protocol/gpu-server'],
  ])('%s may import %s', async (file, spec) => {
    expect(await restricted(file, spec)).toEqual([]);
  });

  it.each([
    ['../app/lessons/inpainting', /base and core/],
    ['../protocol', /base and core/],
    ['../node/cpu', /imports nothing outside/],
  ])('the facade may not re-export %s', async (spec, message) => {
    const msgs = await restricted('src-engine/facade.ts', spec);
    expect(msgs.length).toBe(1);
    expect(msgs[0]).toMatch(message);
  });
});
