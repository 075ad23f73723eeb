import type { OptimizerDeclaration } from '../../catalog/optimizers/types';
import type { Backend, FusedUpdateItem } from '../backend/types';
import { stepScalars, updateKernelName, type StepAt, type UpdateForm } from '../elementwise/update';
import { updateLoop } from '../elementwise/update-js';
import { OptimizerBase } from './base';
import type { OptimParam } from './types';

/** Settings with every declared parameter present (its default where the config leaves it out). */
export type ResolvedSettings<S> = { [N in keyof S]-?: Exclude<S[N], undefined> };

/** `settings` with the declaration's defaults filled in. */
export function resolveSettings<S extends object>(d: Pick<OptimizerDeclaration, 'params'>, settings: S): ResolvedSettings<S> {
  const out = { ...settings } as Record<string, unknown>;
  for (const [name, p] of Object.entries(d.params)) out[name] ??= p.default;
  return out as ResolvedSettings<S>;
}

/** The form an optimizer runs: its name, its statements and the resolved settings its scalars read. */
export interface RunningForm<S> {
  name: string;
  form: UpdateForm<S>;
  settings: S;
}

/**
 * An optimizer that runs its declared update (update.ts): per step, each parameter's scalars
 * computed on the host (the rate, the bias corrections, its weight decay; `stepScalars`), then the
 * backend's fused kernel for the form over every parameter at once where it has one (the CPU
 * backend's, generated from the same statements), else the form's reference loop per parameter.
 */
export class DeclaredOptimizer<S> extends OptimizerBase {
  private readonly items: FusedUpdateItem[];
  private readonly fused?: (items: readonly FusedUpdateItem[]) => void;
  private readonly at: { lr: number; t: number; decay: boolean } = { lr: 0, t: 0, decay: false };

  constructor(
    readonly kind: string,
    params: readonly OptimParam[],
    lr: number,
    private readonly running: RunningForm<S>,
    backend?: Backend,
  ) {
    const fused = backend?.fusedUpdate?.(updateKernelName(kind, running.name));
    super(params, lr, running.form.state, fused ? backend!.alloc : undefined);
    this.fused = fused;
    this.items = params.map((p, i) => ({
      arrays: [p.value.data, p.grad.data, ...running.form.state.map((n) => this.slots[i][n])],
      scalars: new Float64Array(running.form.scalars.length),
    }));
  }

  override step(lr?: number): void {
    if (lr !== undefined) this.lr = lr;
    this.steps++;
    for (let i = 0; i < this.params.length; i++) this.prepare(i);
    if (this.fused) this.fused(this.items);
    else for (const it of this.items) updateLoop(this.running.form, this.kind)(it.arrays, it.scalars);
  }

  protected update(i: number): void {
    this.prepare(i);
    updateLoop(this.running.form, this.kind)(this.items[i].arrays, this.items[i].scalars);
  }

  /** Parameter i's arrays (read afresh, in case an owner swapped them) and this step's scalars. */
  private prepare(i: number): void {
    const p = this.params[i];
    const it = this.items[i];
    it.arrays[0] = p.value.data;
    it.arrays[1] = p.grad.data;
    const at: StepAt = Object.assign(this.at, { lr: this.lr, t: this.steps, decay: p.decay });
    stepScalars(this.running.form, this.running.settings, at, it.scalars);
  }
}
