import type { CompiledGraph } from '../../core/autodiff/executor';
import type { DecisionBoundary } from '../../protocol';
import type { GraphBinding } from '../../core/train/binding';
import { Predictor, argmax } from '../../core/train/predictor';
import { compact } from './summary';

/**
 * The predicted class over a grid covering a 2-D dataset (its bounding box plus a 10% margin),
 * for classifiers whose features are two numbers. Runs one eval-mode forward of `side × side`
 * points on its own plan; the grid inputs are written once, at construction.
 */
export class DecisionBoundaryProbe {
  readonly x: [number, number];
  readonly y: [number, number];
  /** The grid's plan (`side × side` samples). */
  readonly plan: CompiledGraph;

  /**
   * @param base any plan of the compiled graph (the grid plan shares its weights)
   * @param features the training features, `[n, 2]` row-major (only their range is used)
   */
  private readonly predictor: Predictor;

  constructor(
    base: CompiledGraph,
    private readonly binding: Pick<GraphBinding, 'featureInput' | 'targetInput' | 'predictionNode' | 'scores'>,
    features: Float32Array,
    readonly side: number,
  ) {
    let x0 = Infinity;
    let x1 = -Infinity;
    let y0 = Infinity;
    let y1 = -Infinity;
    for (let i = 0; i + 1 < features.length; i += 2) {
      x0 = Math.min(x0, features[i]);
      x1 = Math.max(x1, features[i]);
      y0 = Math.min(y0, features[i + 1]);
      y1 = Math.max(y1, features[i + 1]);
    }
    if (!(x1 > x0)) [x0, x1] = [x0 - 1, x0 + 1];
    if (!(y1 > y0)) [y0, y1] = [y0 - 1, y0 + 1];
    const mx = (x1 - x0) * 0.1;
    const my = (y1 - y0) * 0.1;
    this.x = [compact(x0 - mx), compact(x1 + mx)];
    this.y = [compact(y0 - my), compact(y1 + my)];
    this.plan = base.withBatchSize(side * side);
    this.predictor = new Predictor(this.plan, binding);
    this.writeGrid();
  }

  /** Cell (col, row) centre → input; row 0 is the top (largest y), as an image is drawn. */
  writeGrid(): void {
    const s = this.side;
    const xs = this.plan.input(this.binding.featureInput).data;
    for (let r = 0; r < s; r++) {
      const yv = this.y[1] - ((r + 0.5) / s) * (this.y[1] - this.y[0]);
      for (let c = 0; c < s; c++) {
        const k = (r * s + c) * 2;
        xs[k] = this.x[0] + ((c + 0.5) / s) * (this.x[1] - this.x[0]);
        xs[k + 1] = yv;
      }
    }
    if (this.binding.targetInput) this.plan.input(this.binding.targetInput).data.fill(0);
  }

  measure(): DecisionBoundary {
    // Another plan of the same graph may share the Input storage when sizes coincide; rewrite.
    this.writeGrid();
    this.predictor.predict();
    return this.read();
  }

  /** The grid's classes from the plan's last forward (after `writeGrid`: `measure` without the forward, for a device plan). */
  read(): DecisionBoundary {
    const n = this.side * this.side;
    const rows = this.predictor.rows(n);
    const classes = new Int32Array(n);
    const confidence = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const p = this.predictor.probabilities(i, rows);
      const best = argmax(p);
      classes[i] = best;
      confidence[i] = p[best];
    }
    return { x: this.x, y: this.y, width: this.side, height: this.side, classes, confidence };
  }
}
