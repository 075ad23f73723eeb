/// <reference types="@webgpu/types" />
/**
 * The optimizers' updates on the GPU: each optimizer declares its own (`gpu` in
 * core/optim/<kind>.ts: a WGSL kernel and its uniforms, PyTorch's update rule); this file binds one
 * elementwise dispatch per parameter and drives them. The hyperparameters that change per step
 * (learning rate, bias corrections) are computed on the CPU in float64, as the CPU optimizers do,
 * and written to each dispatch's uniforms before the step is submitted; the elementwise math runs
 * in float32.
 *
 * The state's layout and names are the CPU optimizers' (`slots()` of the declaration, keyed by
 * `paramKey`), so a snapshot read back from the GPU loads into a CPU optimizer: a run can go on on
 * the CPU after the device is lost.
 */
import type { OptimizerConfig } from '../../base/ir/types';
import { checkHyper } from '../optim/base';
import { optimizerDefinition } from '../optim/registry';
import { paramKey, type OptimizerState } from '../optim/types';
import { GpuError, type GpuContext, type GpuTensor } from './context';
import type { GpuDispatch } from './gemm';
import { bindUpdatableDispatch, grid1d } from './kernels/dispatch';

/** One trainable tensor on the device (the GPU executor's `params` fit this shape). */
export interface GpuOptimParam {
  nodeId: string;
  name: string;
  value: GpuTensor;
  grad: GpuTensor;
  decay: boolean;
}

/** An optimizer whose update runs on the device, inside the step's command buffer. */
export interface GpuOptimizer {
  readonly kind: OptimizerConfig['kind'];
  lr: number;
  readonly stepCount: number;
  /**
   * Count one step, write its hyperparameters (`lr` replaces `this.lr` when given) and return its
   * dispatches, to encode after the backward pass of the same step.
   */
  prepareStep(lr?: number): readonly GpuDispatch[];
  /** The state as the CPU optimizers save it (reads the slots back). */
  state(): Promise<OptimizerState>;
  /**
   * Take a state the CPU optimizers saved (a checkpoint): queues the slots' upload.
   *
   * @throws GpuError `E_GPU_BAD_ARGS` when it is another optimizer's or a buffer is missing.
   */
  loadState(state: OptimizerState): void;
}

/** Why `cfg`'s optimizer cannot run on the GPU (it has no GPU update), or undefined when it can. */
export function gpuOptimizerGap(cfg: OptimizerConfig): string | undefined {
  return optimizerDefinition(cfg.kind).gpu ? undefined : `the ${cfg.kind} optimizer (no GPU update)`;
}

/**
 * A GPU optimizer for `cfg` over `params`, its slots allocated (zeroed) now: the declaration's
 * `gpu` update (core/optim/<kind>.ts), one dispatch per parameter.
 *
 * @throws `OPTIM_BAD_HYPERPARAM` for a setting the CPU optimizer refuses too; GpuError
 *   `E_GPU_NO_KERNEL` for an optimizer without a GPU update.
 */
export function createGpuOptimizer(ctx: GpuContext, cfg: OptimizerConfig, params: readonly GpuOptimParam[]): GpuOptimizer {
  checkHyper('lr', cfg.lr, cfg.lr >= 0);
  const def = optimizerDefinition(cfg.kind);
  if (!def.gpu) throw new GpuError('E_GPU_NO_KERNEL', `The ${cfg.kind} optimizer has no GPU update.`);
  // The CPU optimizer over no parameters: the same checks of the settings, in one place.
  def.create([], cfg as never);
  const update = def.gpu(cfg as never);
  const slotNames = def.slots(cfg as never);
  const slots = params.map((p) => Object.fromEntries(slotNames.map((n) => [n, ctx.createTensor(p.value.length, `${p.nodeId}.${p.name}.${n}`)])));
  let steps = 0;
  const opt = { kind: cfg.kind, lr: cfg.lr } as { kind: OptimizerConfig['kind']; lr: number };

  const dispatches = params.map((p, i) => {
    const { workgroups, rowStride } = grid1d(ctx, p.value.length);
    const slotOff = Object.fromEntries(slotNames.map((n) => [n, slots[i][n].offset]));
    const uniforms = () => update.uniforms({ n: p.value.length, rowStride, wOff: p.value.offset, gOff: p.grad.offset, slotOff, lr: opt.lr, step: steps, decay: p.decay });
    const bufs = [p.value.buffer, p.grad.buffer, ...slotNames.map((n) => slots[i][n].buffer)];
    return { d: bindUpdatableDispatch(ctx, update.key, update.wgsl, bufs, uniforms(), workgroups), uniforms };
  });

  return {
    get kind() {
      return opt.kind;
    },
    get lr() {
      return opt.lr;
    },
    set lr(v: number) {
      opt.lr = v;
    },
    get stepCount() {
      return steps;
    },
    prepareStep(lr) {
      if (lr !== undefined) opt.lr = lr;
      steps++;
      for (const { d, uniforms } of dispatches) d.update(uniforms());
      return dispatches.map((x) => x.d.dispatch);
    },
    async state() {
      const out: OptimizerState['slots'] = {};
      for (const [i, p] of params.entries()) {
        const entry: Record<string, Float32Array> = {};
        for (const n of slotNames) entry[n] = await ctx.read(slots[i][n]);
        out[paramKey(p, i)] = entry;
      }
      return { kind: opt.kind, lr: opt.lr, step: steps, slots: out };
    },
    loadState(state) {
      if (state.kind !== opt.kind) throw new GpuError('E_GPU_BAD_ARGS', `Saved optimizer state is for ${state.kind}, this run uses ${opt.kind}.`);
      const arrays = params.map((p, i) => {
        const saved = state.slots[paramKey(p, i)] ?? {};
        return slotNames.map((n) => {
          const a = saved[n];
          if (!a || a.length !== p.value.length) throw new GpuError('E_GPU_BAD_ARGS', `Saved optimizer buffer ${paramKey(p, i)}/${n} is missing or of another size.`);
          return a instanceof Float32Array ? a : Float32Array.from(a);
        });
      });
      arrays.forEach((list, i) => list.forEach((a, j) => ctx.write(slots[i][slotNames[j]], a)));
      opt.lr = state.lr;
      steps = state.step;
    },
  };
}
