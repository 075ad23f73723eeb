/**
 * chooseGpu's decision table with a stand-in acquirer (no device needed): what `auto` asks for
 * (a real adapter only), when it does not ask at all (a model the GPU cannot run), and forced
 * `gpu` accepting a fallback adapter. The real acquirer is exercised in service.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import { GpuError, type GpuContext } from '../../../src-engine/core/gpu/context';
import { chooseGpu, type AcquireGpu } from '../../../src-engine/core/gpu/select';
import { optimizerDefinition } from '../../../src-engine/core/optim/registry';
import { twoMoonsGraph } from '../session/fixtures';
import { withoutGpuKernel } from './hide-kernel';

const device = { name: 'stand-in' } as unknown as GpuContext;

function acquirer(available: 'real' | 'fallback' | 'none'): AcquireGpu & { calls: boolean[] } {
  const calls: boolean[] = [];
  const f = (allowFallback: boolean) => {
    calls.push(allowFallback);
    if (available === 'real' || (available === 'fallback' && allowFallback)) return Promise.resolve(device);
    return Promise.reject(new GpuError('E_GPU_UNAVAILABLE', available === 'none' ? 'no adapter' : 'only a fallback adapter'));
  };
  return Object.assign(f, { calls });
}

/** With a Softplus node (whose kernel the tests hide: every op has one now). */
function withSoftplus(): GraphIR {
  const g = twoMoonsGraph();
  g.nodes.push({ id: 'sp', op: 'Softplus', attrs: {}, inputs: ['fc3'] });
  return g;
}

describe('chooseGpu', () => {
  it('auto: the GPU with a real adapter, the CPU with a fallback one or none, never asking for a fallback', async () => {
    for (const [available, want] of [['real', device], ['fallback', null], ['none', null]] as const) {
      const a = acquirer(available);
      expect(await chooseGpu(twoMoonsGraph(), 'auto', a), available).toBe(want);
      expect(a.calls).toEqual([false]);
    }
    expect(await chooseGpu(twoMoonsGraph(), 'auto', undefined)).toBeNull();
  });

  it('auto on a model the GPU cannot run: the CPU without touching the device', async () => {
    const a = acquirer('real');
    expect(await withoutGpuKernel('Softplus', () => chooseGpu(withSoftplus(), 'auto', a))).toBeNull();
    expect(await chooseGpu(withSoftplus(), 'auto', acquirer('real'))).toBe(device);
    expect(a.calls).toEqual([]);
    // Gradient clipping, RMSprop and optimizer groups (a GAN's) run on the GPU: nothing to refuse.
    const clipped = twoMoonsGraph({ gradClip: { kind: 'norm', maxNorm: 1 }, optimizer: { kind: 'rmsprop', lr: 0.01 } });
    expect(await chooseGpu(clipped, 'auto', a)).toBe(device);
    const grouped = twoMoonsGraph();
    grouped.training!.groups = [{ name: 'd', params: { nodes: ['fc1'] }, loss: 'loss' }];
    expect(await chooseGpu(grouped, 'auto', a)).toBe(device);
  });

  it('Adagrad runs on the GPU; an optimizer declared without a GPU update: auto trains on the CPU, a forced GPU refuses naming it', async () => {
    const a = acquirer('real');
    const adagrad = twoMoonsGraph({ optimizer: { kind: 'adagrad', lr: 0.01 } });
    expect(await chooseGpu(adagrad, 'auto', a)).toBe(device);
    const def = optimizerDefinition('adagrad') as { update?: unknown };
    const update = def.update;
    delete def.update;
    try {
      const b = acquirer('real');
      expect(await chooseGpu(adagrad, 'auto', b)).toBeNull();
      expect(b.calls).toEqual([]);
      await expect(chooseGpu(adagrad, 'gpu', b)).rejects.toMatchObject({ code: 'E_GPU_NO_KERNEL', message: expect.stringMatching(/the adagrad optimizer \(no GPU update\)/) });
    } finally {
      def.update = update;
    }
  });

  it('cpu never asks; gpu accepts a fallback adapter and refuses a model it cannot run, naming why', async () => {
    const a = acquirer('fallback');
    expect(await chooseGpu(twoMoonsGraph(), 'cpu', a)).toBeNull();
    expect(a.calls).toEqual([]);
    expect(await chooseGpu(twoMoonsGraph(), 'gpu', a)).toBe(device);
    expect(a.calls).toEqual([true]);
    await expect(withoutGpuKernel('Softplus', () => chooseGpu(withSoftplus(), 'gpu', a))).rejects.toMatchObject({ code: 'E_GPU_NO_KERNEL', message: expect.stringContaining('Softplus (sp)') });
    await expect(chooseGpu(twoMoonsGraph(), 'gpu', acquirer('none'))).rejects.toMatchObject({ code: 'E_GPU_UNAVAILABLE' });
    await expect(chooseGpu(twoMoonsGraph(), 'gpu', undefined)).rejects.toMatchObject({ code: 'E_GPU_UNAVAILABLE' });
  });
});
