/// <reference types="@webgpu/types" />
/**
 * The optimizers' updates on the GPU: each optimizer declares its update once (`update` in
 * core/optim/<kind>.ts, in the update language); its form's WGSL is printed here
 * (kernels/update.ts), one elementwise dispatch per parameter. The scalars that change per step
 * (learning rate, bias corrections) are computed on the CPU by the same declarations and function
 * the CPU optimizers run (`stepScalars`: float64, rounded to float32 once) and written to each
 * dispatch's uniforms before the step is submitted; the elementwise math runs in float32.
 *
 * The state's layout and names are the CPU optimizers' (`slots()` of the declaration, keyed by
 * `paramKey`), so a snapshot read back from the GPU loads into a CPU optimizer: a run can go on on
 * the CPU after the device is lost.
 */
import type { OptimizerConfig } from '../../base/ir/types';
import { stepScalars, type StepAt, type UpdateForm } from '../elementwise/update';
import { checkHyper } from '../optim/base';
import { resolveSettings } from '../optim/declared';
import { optimizerDefinition } from '../optim/registry';
import { paramKey, type OptimizerState } from '../optim/types';
import { GpuError, type GpuContext, type GpuTensor } from './context';
import type { GpuDispatch } from './gemm';
import { bindUniformBlock, grid1d } from './kernels/dispatch';
import { updateUniforms, updateWgsl } from './kernels/update';

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
  /** The dispatches every `prepareStep` returns (the same each step), to encode ahead of it. */
  readonly dispatches: readonly GpuDispatch[];
  /** The state as the CPU optimizers save it (reads the slots back). */
  state(): Promise<OptimizerState>;
  /**
   * Take a state the CPU optimizers saved (a checkpoint): queues the slots' upload.
   *
   * @throws GpuError `E_GPU_BAD_ARGS` when it is another optimizer's or a buffer is missing.
   */
  loadState(state: OptimizerState): void;
}

/** Why `cfg`'s optimizer cannot run on the GPU (it has no update declared), or undefined when it can. */
export function gpuOptimizerGap(cfg: OptimizerConfig): string | undefined {
  return optimizerDefinition(cfg.kind).update ? undefined : `the ${cfg.kind} optimizer (no GPU update)`;
}

/**
 * A GPU optimizer for `cfg` over `params`, its slots allocated (zeroed) now: the WGSL of the form its
 * declaration's `update` picks (core/optim/<kind>.ts), one dispatch per parameter.
 *
 * @throws `OPTIM_BAD_HYPERPARAM` for a setting the CPU optimizer refuses too; GpuError
 *   `E_GPU_NO_KERNEL` for an optimizer without an update.
 */
export function createGpuOptimizer(ctx: GpuContext, cfg: OptimizerConfig, params: readonly GpuOptimParam[]): GpuOptimizer {
  checkHyper('lr', cfg.lr, cfg.lr >= 0);
  const def = optimizerDefinition(cfg.kind);
  if (!def.update) throw new GpuError('E_GPU_NO_KERNEL', `The ${cfg.kind} optimizer has no GPU update.`);
  // The CPU optimizer over no parameters: the same checks of the settings, in one place.
  def.create([], cfg as never);
  const settings = resolveSettings(def, cfg);
  const formName = def.update.pick(settings as never);
  const form = def.update.forms[formName] as UpdateForm<unknown>;
  const slotNames = def.slots(cfg as never);
  const slots = params.map((p) => Object.fromEntries(slotNames.map((n) => [n, ctx.createTensor(p.value.length, `${p.nodeId}.${p.name}.${n}`)])));
  let steps = 0;
  const opt = { kind: cfg.kind, lr: cfg.lr } as { kind: OptimizerConfig['kind']; lr: number };
  const key = `update:${cfg.kind}:${formName}`;
  const scalars = new Float64Array(form.scalars.length);

  // Each parameter's uniforms: its sizes and offsets, then the step's scalars (from word `at`),
  // which depend only on whether it decays: computed twice a step, not once per parameter.
  const each = params.map((p, i) => {
    const { workgroups, rowStride } = grid1d(ctx, p.value.length);
    const offsets = [p.value.offset, p.grad.offset, ...form.state.map((n) => slots[i][n].offset)];
    const words = updateUniforms(p.value.length, rowStride, offsets, new Float64Array(form.scalars.length));
    return { buffers: [p.value.buffer, p.grad.buffer, ...form.state.map((n) => slots[i][n].buffer)], workgroups, words, floats: new Float32Array(words.buffer), at: 2 + offsets.length, decay: p.decay };
  });
  const allWords = each.map((e) => e.words);
  const byDecay = [new Float32Array(form.scalars.length), new Float32Array(form.scalars.length)];
  const uniforms = (): Uint32Array[] => {
    // A dispatch is first bound before any step (step 0): its scalars then are step 1's.
    const t = Math.max(1, steps);
    byDecay.forEach((into, k) => into.set(stepScalars(form, settings, { lr: opt.lr, t, decay: k === 1 } satisfies StepAt, scalars)));
    for (const e of each) e.floats.set(byDecay[e.decay ? 1 : 0], e.at);
    return allWords;
  };
  // Every parameter's uniforms in one buffer: one write a step.
  const block = bindUniformBlock(ctx, key, () => updateWgsl(form, key), each, uniforms());

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
    dispatches: block.dispatches,
    prepareStep(lr) {
      if (lr !== undefined) opt.lr = lr;
      steps++;
      block.update(uniforms());
      return block.dispatches;
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
