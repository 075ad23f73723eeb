import type { OptimParam, Optimizer, OptimizerState } from './types';
import { optimError, paramKey } from './types';

/**
 * Shared bookkeeping for the optimizers: learning rate, step count, per-parameter buffers
 * (allocated once, at construction) and checkpoint state. Subclasses hold only the update math.
 */
export abstract class OptimizerBase implements Optimizer {
  abstract readonly kind: string;
  lr: number;
  protected steps = 0;
  protected readonly params: readonly OptimParam[];
  /** `slots[i][name]`: buffer `name` of parameter i, same length as the parameter. */
  protected readonly slots: Record<string, Float32Array>[];

  /** `alloc` (a backend's, so a WebAssembly kernel can update in place) allocates the buffers; default: plain arrays. */
  constructor(params: readonly OptimParam[], lr: number, slotNames: readonly string[], alloc?: (length: number) => Float32Array) {
    checkHyper('lr', lr, lr >= 0);
    for (const [i, p] of params.entries()) {
      if (p.value.data.length !== p.grad.data.length) {
        throw optimError(
          'OPTIM_GRAD_SIZE',
          `Parameter ${paramKey(p, i)} has ${p.value.data.length} values but its gradient has ${p.grad.data.length}.`,
        );
      }
    }
    this.params = params;
    this.lr = lr;
    const make = alloc ?? ((length: number) => new Float32Array(length));
    this.slots = params.map((p) => Object.fromEntries(slotNames.map((n) => [n, make(p.value.data.length)])));
  }

  get stepCount(): number {
    return this.steps;
  }

  step(lr?: number): void {
    if (lr !== undefined) this.lr = lr;
    this.steps++;
    for (let i = 0; i < this.params.length; i++) this.update(i, this.params[i], this.slots[i]);
  }

  /** Update parameter `i` in place; `this.steps` already counts this step (1 on the first). */
  protected abstract update(i: number, p: OptimParam, slots: Record<string, Float32Array>): void;

  zeroGrad(): void {
    for (const p of this.params) p.grad.data.fill(0);
  }

  state(view = false): OptimizerState {
    const slots: OptimizerState['slots'] = {};
    this.params.forEach((p, i) => {
      slots[paramKey(p, i)] = Object.fromEntries(Object.entries(this.slots[i]).map(([n, b]) => [n, view ? b : b.slice()]));
    });
    return { kind: this.kind, lr: this.lr, step: this.steps, slots };
  }

  loadState(state: OptimizerState): void {
    if (state.kind !== this.kind) {
      throw optimError('OPTIM_STATE_MISMATCH', `Saved optimizer state is for ${state.kind}, this run uses ${this.kind}.`);
    }
    // Check everything before changing anything, so a bad checkpoint leaves the optimizer intact.
    this.params.forEach((p, i) => {
      const key = paramKey(p, i);
      const saved = state.slots[key];
      if (!saved) throw optimError('OPTIM_STATE_MISMATCH', `Saved optimizer state has no entry for parameter ${key}.`);
      for (const [name, buf] of Object.entries(this.slots[i])) {
        const src = saved[name];
        if (!src || src.length !== buf.length) {
          throw optimError(
            'OPTIM_STATE_MISMATCH',
            `Saved optimizer buffer ${key}/${name} has ${src ? src.length : 'no'} values, the parameter has ${buf.length}.`,
          );
        }
      }
    });
    this.params.forEach((p, i) => {
      const saved = state.slots[paramKey(p, i)];
      for (const [name, buf] of Object.entries(this.slots[i])) buf.set(saved[name]);
    });
    this.lr = state.lr;
    this.steps = state.step;
  }
}

/** Validate a hyperparameter, throwing `OPTIM_BAD_HYPERPARAM` with the rule it broke. */
export function checkHyper(name: string, value: number, ok: boolean, rule = 'must be ≥ 0'): void {
  if (!Number.isFinite(value) || !ok) {
    throw optimError('OPTIM_BAD_HYPERPARAM', badHyperMessage(name, value, rule));
  }
}

/** `OPTIM_BAD_HYPERPARAM`'s message: setting `name` of value `value` breaks `rule` (`must be ≥ 0`). */
export function badHyperMessage(name: string, value: unknown, rule: string): string {
  return `Optimizer setting ${name} = ${String(value)} is invalid: it ${rule}.`;
}
