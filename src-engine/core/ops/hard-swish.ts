import * as E from '../elementwise/expr';
import { elementwise } from '../elementwise/js';
import { sameShape, perSample } from './shape-util';
import { defineOp } from './types';
import { simple } from '../../base/onnx/import-rule';

/** x·ReLU6(x + 3)/6 elementwise, as `torch.nn.Hardswish` (MobileNetV3's activation). */
export const hardSwish = defineOp({
  name: 'HardSwish',
  category: 'activations',
  onnx: { opType: 'HardSwish', note: 'ONNX HardSwish (opset 14): x · max(0, min(1, x/6 + 1/2))' },
  onnxImport: { HardSwish: simple('HardSwish') },
  torch: { module: 'nn.Hardswish()' },
  // NOTE: the gradient as PyTorch's hardswish_backward: 0 below −3, x/3 + 1/2 on [−3, 3) (so −1/2
  // at −3, the inner piece's slope), 1 from 3 on (the outer piece's).
  ...elementwise({
    forms: { main: { forward: E.div(E.mul(E.x, E.clamp(E.add(E.x, 3), 0, 6)), 6), backward: E.select(E.lt(E.x, -3), 0, E.select(E.lt(E.x, 3), E.add(E.div(E.x, 3), 0.5), 1)) } },
    cost: 2,
  }),
  // Below −3 the output is exactly 0 and passes no gradient: a unit there for every sample is dead.
  output: { deadAtZero: true },
  doc: 'x·ReLU6(x + 3)/6: SiLU made of straight pieces (0 below −3, x above 3), cheap on phones.',
  inputs: [{ name: 'x' }],
  attrs: {},
  // NOTE (kernel bound): x/3 + 1/2 crosses 0 at x = −1.5 (float32 sum: ~ulp(1/2)·|dy| absolute).
  testDomain: { kernel: { rel: 2.5e-7, gradRel: 2.5e-7, gradFloor: (_x, dy) => 6e-8 * Math.abs(dy) } },
  inferShape: sameShape,
  flops: ({ output }) => 4 * perSample(output),
});
