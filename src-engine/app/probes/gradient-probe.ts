import type { ParamEntry } from '../../core/autodiff/executor';
import { compact, l2Distance, l2Norm, meanAbs } from './summary';

/** Gradient-flow figures of one parameter tensor. */
export interface GradientStats {
  nodeId: string;
  name: string;
  gradNorm: number;
  gradMeanAbs: number;
  weightNorm: number;
  /** ‖W_after − W_before‖₂ / ‖W_after‖₂ of the optimizer step (0 when not measured). */
  updateRatio: number;
}

/**
 * Per-parameter gradient norm, mean |grad| and update-to-weight ratio.
 *
 * The gradients are those of the training step itself (train mode, the training batch): the
 * probe costs no extra backward pass and shows exactly what the optimizer used. To measure the
 * update, the session calls `beforeUpdate()` just before `optimizer.step()` (copying the weights
 * into buffers allocated once, here) and `measure()` just after; on a GPU run the step itself
 * reads its weights before the update back into those buffers (`armForDevice`).
 */
export class GradientProbe {
  private readonly before: Float32Array[];
  private armed = false;

  constructor(private readonly params: readonly ParamEntry[]) {
    this.before = params.map((p) => new Float32Array(p.value.data.length));
  }

  /** Remember the weights (and read the gradients) before the optimizer step. */
  beforeUpdate(): void {
    for (let i = 0; i < this.params.length; i++) this.before[i].set(this.params[i].value.data);
    this.armed = true;
  }

  /**
   * For a step that runs on a device (the GPU): the arrays `beforeUpdate` would fill, for the
   * device to fill with its weights before the update (`DeviceCapture.before`); the next
   * `measure` then reports update ratios as after `beforeUpdate`.
   */
  armForDevice(): readonly Float32Array[] {
    this.armed = true;
    return this.before;
  }

  /** Figures per parameter; call after `optimizer.step()` (the gradients are still in place). */
  measure(): GradientStats[] {
    const out: GradientStats[] = [];
    for (let i = 0; i < this.params.length; i++) {
      const p = this.params[i];
      const w = p.value.data;
      const weightNorm = l2Norm(w);
      let ratio = 0;
      if (this.armed) {
        ratio = weightNorm > 0 ? l2Distance(w, this.before[i]) / weightNorm : 0;
      }
      out.push({
        nodeId: p.nodeId,
        name: p.name,
        gradNorm: compact(l2Norm(p.grad.data)),
        gradMeanAbs: compact(meanAbs(p.grad.data)),
        weightNorm: compact(weightNorm),
        updateRatio: compact(ratio),
      });
    }
    this.armed = false;
    return out;
  }
}
