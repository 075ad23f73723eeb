/**
 * GpuContext's pipeline cache belongs to the device: a context made for the next run on the same
 * device (sharedGpuAcquirer makes one per run) reuses what the last one compiled, and a key that
 * names two different shaders is refused while the tests verify keys (test/unit/gpu/device.ts).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { GpuContext, GpuError } from '../../../src-engine/core/gpu/context';
import { testGpu } from './device';

let device: GpuContext['device'];
let adapter: GpuContext['adapter'];
beforeAll(async () => {
  const g = await testGpu();
  device = g.ctx.device;
  adapter = g.adapter;
});

const shader = (note: string) => `// ${note}\n@compute @workgroup_size(1) fn main() {}`;

describe('GpuContext pipelines', () => {
  it("a run's fresh context on the same device reuses the pipelines compiled before, also after the first is disposed", () => {
    const first = new GpuContext(device, adapter);
    const key = 'context.test:shared';
    const before = first.pipelineCount;
    const p = first.pipeline(key, () => shader('shared'));
    expect(first.pipelineCount).toBe(before + 1);
    first.dispose();
    const next = new GpuContext(device, adapter);
    expect(next.pipeline(key, () => shader('shared'))).toBe(p);
    expect(next.pipelineCount).toBe(before + 1);
  });

  it('a key that names two different shaders is refused (keys verified in the tests)', () => {
    expect(GpuContext.verifyPipelineKeys).toBe(true);
    const ctx = new GpuContext(device, adapter);
    ctx.pipeline('context.test:collide', () => shader('one'));
    expect(() => ctx.pipeline('context.test:collide', () => shader('two'))).toThrow(GpuError);
    expect(() => ctx.pipeline('context.test:collide', () => shader('two'))).toThrow(/names two different shaders/);
  });
});
