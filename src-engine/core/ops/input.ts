import { fail, ShapeCode } from './shape-util';
import { defineOp } from './types';

/**
 * A graph input. Its id is the input's name; the executor exposes its storage
 * (`compiled.input(id)`) and the trainer writes each batch there. `source` says what the trainer
 * feeds it: the dataset's features, or the target a loss compares against.
 */
export const input = defineOp({
  name: 'Input',
  category: 'input',
  onnx: { none: 'a graph input (ONNX graph.input), not a node' },
  torch: { none: 'an argument of forward(), not a module' },
  card: (a) => {
    const shape = (a.shape as readonly number[] | undefined) ?? [];
    // A target of shape [] holds one class label per sample: say so, it is what CrossEntropyLoss takes.
    return `${a.source !== 'target' ? 'features' : shape.length === 0 ? 'target · class labels' : 'target'} · [${shape.join(', ')}]`;
  },
  doc: 'A batch of samples from the dataset (features) or of targets for a loss.',
  inputs: [],
  attrs: {
    shape: { kind: 'ints', default: [1], min: 1, doc: 'Per-sample shape, without the batch dim (e.g. [1, 28, 28] or [784]). Class-label targets: [] .' },
    source: { kind: 'enum', default: 'features', values: ['features', 'target'], doc: 'What the trainer feeds: the dataset features, or the targets (labels or clean features).' },
  },
  differentiable: false,
  inferShape({ attrs }) {
    const shape = attrs.shape as readonly number[];
    if (shape.some((d) => !Number.isInteger(d) || d < 1)) {
      return fail(ShapeCode.ATTR_RANGE, `Input shape must be positive whole numbers; got [${shape.join(', ')}].`);
    }
    return { ok: true, shape: [-1, ...shape] };
  },
});
