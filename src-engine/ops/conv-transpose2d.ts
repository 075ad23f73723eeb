import { biasInit, boolAttr, convGeometry, expectImage, fail, fmt, intAttr, ok, pairAttr, ShapeCode, WEIGHT_INIT_ATTR } from './shape-util';
import type { Attrs, InitKind, OpDef } from './types';

interface Plan {
  n: number;
  inC: number;
  h: number;
  w: number;
  outC: number;
  k: [number, number];
  s: [number, number];
  p: [number, number];
  op: [number, number];
  outH: number;
  outW: number;
}

function plan(inputShape: readonly number[], attrs: Attrs): Plan {
  const [n, inC, h, w] = inputShape;
  const k = pairAttr(attrs, 'kernelSize');
  const s = pairAttr(attrs, 'stride');
  const p = pairAttr(attrs, 'padding');
  const op = pairAttr(attrs, 'outputPadding');
  return {
    n, inC, h, w, k, s, p, op,
    outC: intAttr(attrs, 'outChannels'),
    outH: (h - 1) * s[0] - 2 * p[0] + k[0] + op[0],
    outW: (w - 1) * s[1] - 2 * p[1] + k[1] + op[1],
  };
}

/**
 * Transposed 2-D convolution as `torch.nn.ConvTranspose2d` with groups = 1 and dilation = 1:
 * weight `[inC, outC, kH, kW]`, output size `(H−1)·stride − 2·padding + kernel + outputPadding`.
 * It is the adjoint of Conv2d: forward is gemm + `col2im`, backward is `im2col` + gemm.
 */
export const convTranspose2d: OpDef = {
  name: 'ConvTranspose2d',
  category: 'layers',
  doc: 'Transposed convolution (learned upsampling) over [N, C, H, W] images.',
  inputs: [{ name: 'x' }],
  attrs: {
    outChannels: { kind: 'int', default: 16, min: 1, max: 1 << 16, doc: 'Number of output channels.' },
    kernelSize: { kind: 'ints', default: [2, 2], length: 2, min: 1, doc: 'Kernel height and width.' },
    stride: { kind: 'ints', default: [2, 2], length: 2, min: 1, doc: 'Upsampling step (height, width).' },
    padding: { kind: 'ints', default: [0, 0], length: 2, min: 0, doc: 'Rows/columns cropped from each side of the output.' },
    outputPadding: { kind: 'ints', default: [0, 0], length: 2, min: 0, doc: 'Extra rows/columns added on one side to reach an exact size; must be smaller than stride.' },
    bias: { kind: 'bool', default: true, doc: 'Learn a per-channel bias.' },
    init: WEIGHT_INIT_ATTR,
  },
  inferShape({ inputs, attrs }) {
    const bad = expectImage('ConvTranspose2d', inputs[0]);
    if (bad) return bad;
    const c = plan(inputs[0], attrs);
    if (c.op[0] >= c.s[0] || c.op[1] >= c.s[1]) {
      return fail(ShapeCode.ATTR_RANGE, `ConvTranspose2d outputPadding ${c.op[0]}×${c.op[1]} must be smaller than stride ${c.s[0]}×${c.s[1]}.`);
    }
    if (c.outH < 1 || c.outW < 1) {
      return fail(ShapeCode.EMPTY, `ConvTranspose2d padding ${c.p[0]}×${c.p[1]} crops the whole output for input ${fmt(inputs[0])}; reduce padding.`);
    }
    return ok([c.n, c.outC, c.outH, c.outW]);
  },
  params({ inputs, attrs }) {
    const c = plan(inputs[0], attrs);
    const rf = c.k[0] * c.k[1];
    // PyTorch computes fans from weight [inC, outC, kH, kW]: fanIn = outC·kH·kW, fanOut = inC·kH·kW.
    const fanIn = c.outC * rf;
    const fanOut = c.inC * rf;
    const init = attrs.init as InitKind;
    const specs = [{ name: 'weight', shape: [c.inC, c.outC, c.k[0], c.k[1]], init, fanIn, fanOut, decay: true }];
    if (boolAttr(attrs, 'bias')) specs.push({ name: 'bias', shape: [c.outC], init: biasInit(init), fanIn, fanOut, decay: false });
    return specs;
  },
  workspace({ inputs, attrs }) {
    const c = plan(inputs[0], attrs);
    return [{ name: 'cols', shape: [c.outC * c.k[0] * c.k[1], c.h * c.w] }];
  },
  flops({ inputs, attrs }) {
    const c = plan(inputs[0], attrs);
    return 2 * c.inC * c.h * c.w * c.outC * c.k[0] * c.k[1];
  },
  forward({ inputs, output, params, workspace, attrs, backend }) {
    const x = inputs[0];
    const c = plan(x.shape, attrs);
    const rows = c.outC * c.k[0] * c.k[1];
    const hw = c.h * c.w;
    const outSpatial = c.outH * c.outW;
    // The output image plays the role of Conv2d's input: windows of the output map to input pixels.
    const g = convGeometry(c.outC, c.outH, c.outW, c.k, c.s, c.p, [1, 1], c.h, c.w);
    const cols = workspace.cols.data;
    output.data.fill(0);
    for (let n = 0; n < x.shape[0]; n++) {
      const img = x.data.subarray(n * c.inC * hw, (n + 1) * c.inC * hw);
      backend.gemm({ transA: true, transB: false, m: rows, n: hw, k: c.inC, a: params.weight.data, b: img, c: cols, accumulate: false });
      const out = output.data.subarray(n * c.outC * outSpatial, (n + 1) * c.outC * outSpatial);
      backend.col2im(cols, g, out);
      const bias = params.bias?.data;
      if (bias) {
        for (let o = 0; o < c.outC; o++) {
          const bv = bias[o];
          for (let i = o * outSpatial; i < (o + 1) * outSpatial; i++) out[i] += bv;
        }
      }
    }
  },
  backward({ inputs, dOutput, dInputs, params, dParams, workspace, attrs, backend }) {
    const x = inputs[0];
    const c = plan(x.shape, attrs);
    const rows = c.outC * c.k[0] * c.k[1];
    const hw = c.h * c.w;
    const outSpatial = c.outH * c.outW;
    const g = convGeometry(c.outC, c.outH, c.outW, c.k, c.s, c.p, [1, 1], c.h, c.w);
    const cols = workspace.cols.data;
    const dx = dInputs[0];
    const db = dParams.bias?.data;
    for (let n = 0; n < x.shape[0]; n++) {
      const dyImg = dOutput.data.subarray(n * c.outC * outSpatial, (n + 1) * c.outC * outSpatial);
      backend.im2col(dyImg, g, cols);
      const img = x.data.subarray(n * c.inC * hw, (n + 1) * c.inC * hw);
      // dW [inC, rows] += x [inC, hw] · colsᵀ [hw, rows]
      backend.gemm({ transA: false, transB: true, m: c.inC, n: rows, k: hw, a: img, b: cols, c: dParams.weight.data, accumulate: true });
      if (dx) {
        // dx [inC, hw] += W [inC, rows] · cols [rows, hw]
        backend.gemm({ transA: false, transB: false, m: c.inC, n: hw, k: rows, a: params.weight.data, b: cols, c: dx.data.subarray(n * c.inC * hw, (n + 1) * c.inC * hw), accumulate: true });
      }
      if (db) {
        for (let o = 0; o < c.outC; o++) {
          let s = 0;
          for (let i = o * outSpatial; i < (o + 1) * outSpatial; i++) s += dyImg[i];
          db[o] += s;
        }
      }
    }
  },
};
