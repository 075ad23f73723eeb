import { thinMinMax } from '../../base/series';
import { compactOrNull } from '../probes';

/**
 * Every step's loss between two progress events, so the batch-loss curve shows each step rather
 * than one point per report. Fixed storage, no allocation per step: when more steps than
 * `capacity` come before a report (a tiny model at thousands of steps a second), the buffer is
 * halved with a min/max downsample, which keeps every spike.
 */
export class StepLossBuffer {
  private readonly steps: Float64Array;
  private readonly losses: Float64Array;
  private length = 0;

  constructor(readonly capacity: number) {
    if (capacity < 4) throw new RangeError('StepLossBuffer needs a capacity of at least 4');
    this.steps = new Float64Array(capacity);
    this.losses = new Float64Array(capacity);
  }

  get size(): number {
    return this.length;
  }

  push(step: number, loss: number): void {
    if (this.length === this.capacity) {
      this.length = thinMinMax(this.length, (i) => this.losses[i], (to, from) => {
        this.steps[to] = this.steps[from];
        this.losses[to] = this.losses[from];
      });
    }
    this.steps[this.length] = step;
    this.losses[this.length] = loss;
    this.length++;
  }

  /** What the buffer holds as the progress event's `stepLosses` (NaN/Inf as null), and empty it; undefined when empty. */
  take(): { steps: number[]; values: (number | null)[] } | undefined {
    if (this.length === 0) return undefined;
    const steps = Array.from(this.steps.subarray(0, this.length));
    const values = Array.from(this.losses.subarray(0, this.length), compactOrNull);
    this.length = 0;
    return { steps, values };
  }
}
