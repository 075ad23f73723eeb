/**
 * `npx tsx bench/conv-layers.ts [threads] [filter]`: the CPU backend's Conv2d forward (eval, bias,
 * no epilogue) timed alone on mobilenet_v3_small's and resnet18's layer geometries at batch 16,
 * each layer's GFLOP/s (2·MACs / time, median of STEPS=N runs). BACKWARD=1: the backward too (dx,
 * except for a stem, where nothing reads it, dW and db; 4·MACs, or 2· without dx). For choosing which convolution
 * kernel to work on from a profile's op rows (bench/profile.ts merges layers of one output shape).
 * CLOCK=cpu times with this process's CPU time, as bench/profile.ts's CLOCK=cpu: on a shared machine
 * the wall clock counts the time other jobs held the core (at load ~4 on the 2-vCPU EPYC,
 * mobilenet_v3_small's 16→72 1×1 layer read 4.4–6.6 ms on the wall clock, 4.0–4.7 of CPU time). The
 * CPU time still moves with the load (the other vCPU may share the core).
 */
import { createCpuBackend, enableRelaxedSimd } from '../src-engine/node/cpu';
import { getOp } from '../src-engine/core/ops/registry';
import { attrsWithDefaults } from '../src-engine/core/import/onnx/map';
import { kernelFor } from '../src-engine/core/ops/kernel-set';
import { tensor } from '../src-engine/base/tensor';
import { Rng } from '../src-engine/base/rng';
import type { Attrs } from '../src-engine/core/ops/types';

const threads = Number(process.argv[2] ?? 1);
const filter = process.argv[3] ?? '';
const steps = Number(process.env.STEPS ?? 9);
const N = Number(process.env.BATCH ?? 16);
/** Milliseconds on the chosen clock (CLOCK=cpu: this process's CPU time; else the wall clock). */
const now =
  process.env.CLOCK === 'cpu'
    ? (): number => {
        const u = process.cpuUsage();
        return (u.user + u.system) / 1000;
      }
    : (): number => performance.now();
/** [label, C, H, W, outC, k, stride, groups] */
const LAYERS: [string, number, number, number, number, number, number, boolean][] = [
  ['mb stem 3→16 3×3 s2', 3, 224, 224, 16, 3, 2, false],
  ['mb dw 16 3×3 s2 @112', 16, 112, 112, 16, 3, 2, true],
  ['mb dw 72 3×3 s2 @56', 72, 56, 56, 72, 3, 2, true],
  ['mb dw 88 3×3 s1 @28', 88, 28, 28, 88, 3, 1, true],
  ['mb dw 96 5×5 s2 @28', 96, 28, 28, 96, 5, 2, true],
  ['mb dw 240 5×5 s1 @14', 240, 14, 14, 240, 5, 1, true],
  ['mb dw 120 5×5 s1 @14', 120, 14, 14, 120, 5, 1, true],
  ['mb dw 144 5×5 s1 @14', 144, 14, 14, 144, 5, 1, true],
  ['mb dw 288 5×5 s2 @14', 288, 14, 14, 288, 5, 2, true],
  ['mb dw 576 5×5 s1 @7', 576, 7, 7, 576, 5, 1, true],
  ['mb pw 16→72 @56', 16, 56, 56, 72, 1, 1, false],
  ['mb pw 72→24 @28', 72, 28, 28, 24, 1, 1, false],
  ['mb pw 40→240 @14', 40, 14, 14, 240, 1, 1, false],
  ['mb pw 96→576 @7', 96, 7, 7, 576, 1, 1, false],
  ['mb pw 576→96 @7', 576, 7, 7, 96, 1, 1, false],
  ['rn stem 3→64 7×7 s2', 3, 224, 224, 64, 7, 2, false],
  ['rn 64→64 3×3 @56', 64, 56, 56, 64, 3, 1, false],
  ['rn 128→128 3×3 @28', 128, 28, 28, 128, 3, 1, false],
  ['rn 256→256 3×3 @14', 256, 14, 14, 256, 3, 1, false],
  ['rn 512→512 3×3 @7', 512, 7, 7, 512, 3, 1, false],
  ['rn 64→128 3×3 s2 @56', 64, 56, 56, 128, 3, 2, false],
  ['rn 128→256 3×3 s2 @28', 128, 28, 28, 256, 3, 2, false],
  ['rn 256→512 3×3 s2 @14', 256, 14, 14, 512, 3, 2, false],
  ['rn 64→128 1×1 s2 @56', 64, 56, 56, 128, 1, 2, false],
  ['rn 128→256 1×1 s2 @28', 128, 28, 28, 256, 1, 2, false],
  ['rn 256→512 1×1 s2 @14', 256, 14, 14, 512, 1, 2, false],
];
const backward = process.env.BACKWARD === '1';
const be = await createCpuBackend({ threads, relaxedSimd: process.env.FMA !== '0' && enableRelaxedSimd() });
console.log(be.description, `batch ${N}`, process.env.CLOCK === 'cpu' ? 'CPU time' : 'wall clock');
const def = getOp('Conv2d')!;
const kernel = kernelFor(be.overrides ?? {}, 'Conv2d')!;
const rng = new Rng(1);
const alloc = (shape: number[]) => {
  const t = tensor(shape, be.alloc(shape.reduce((a, b) => a * b, 1)));
  for (let i = 0; i < t.data.length; i++) t.data[i] = rng.normal();
  return t;
};
for (const [label, C, H, W, outC, k, s, dw] of LAYERS) {
  if (!label.includes(filter)) continue;
  const pad = (k - 1) >> 1;
  const attrs: Attrs = { outChannels: outC, kernelSize: [k, k], stride: [s, s], padding: [pad, pad], groups: dw ? C : 1, bias: true, dilation: [1, 1] };
  const full = attrsWithDefaults('Conv2d', attrs);
  const shapeArgs = { inputs: [[N, C, H, W]], attrs: full };
  const inf = def.inferShape(shapeArgs);
  if (!inf.ok) throw new Error(inf.message);
  const params = Object.fromEntries((def.params?.(shapeArgs) ?? []).map((p) => [p.name, alloc([...p.shape])]));
  const workspace = Object.fromEntries((def.workspace?.({ ...shapeArgs, output: inf.shape }) ?? []).map((p) => [p.name, alloc([...p.shape])]));
  const ctx = { inputs: [alloc([N, C, H, W])], output: alloc([...inf.shape]), params, buffers: {}, workspace, attrs: full, training: false, rng, backend: be };
  /** Median time of `run` over `steps` runs after one warm-up. */
  const median = (run: () => void): number => {
    const ts: number[] = [];
    for (let i = 0; i < steps + 1; i++) {
      const t = now();
      run();
      ts.push(now() - t);
    }
    ts.shift();
    ts.sort((a, b) => a - b);
    return ts[ts.length >> 1];
  };
  const [, , oH, oW] = inf.shape;
  const macs = N * outC * oH * oW * k * k * (dw ? 1 : C);
  const ms = median(() => kernel.forward!(ctx as never));
  let line = `${label.padEnd(26)} ${ms.toFixed(3).padStart(8)} ms ${((2 * macs) / ms / 1e6).toFixed(1).padStart(6)} GFLOP/s`;
  if (backward) {
    // A stem's input is the data: no dx.
    const stem = label.includes('stem');
    const dParams = Object.fromEntries(Object.entries(params).map(([name, t]) => [name, alloc([...t.shape])]));
    const back = { ...ctx, training: true, dOutput: alloc([...inf.shape]), dInputs: [stem ? null : alloc([N, C, H, W])], dParams };
    const bms = median(() => kernel.backward!(back as never));
    line += `   backward ${bms.toFixed(3).padStart(8)} ms ${(((stem ? 2 : 4) * macs) / bms / 1e6).toFixed(1).padStart(6)} GFLOP/s`;
  }
  console.log(line);
}
be.dispose();
