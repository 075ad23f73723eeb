import { intAttr } from '../shape-util';
import type { Attrs } from '../types';
import { embedding } from '../embedding';
import { defineKernel } from './kernel';
import { checkIds } from '../id-range';

/** The row `x` selects among `rows`: `x` truncated toward zero, negative ones from the end; −1 when out of range (the forward refuses those first). */
function rowOf(x: number, rows: number): number {
  let k = Math.trunc(x);
  if (k < 0) k += rows;
  return k >= 0 && k < rows ? k : -1;
}

/** Calls `fn(i, row, D)` for every id `ids[i]`, with the row it selects (−1: none). */
function eachId(ids: Float32Array, attrs: Attrs, fn: (i: number, row: number, d: number) => void): void {
  const v = intAttr(attrs, 'numEmbeddings');
  const d = intAttr(attrs, 'embeddingDim');
  for (let i = 0; i < ids.length; i++) fn(i, rowOf(ids[i], v), d);
}

/** Embedding's reference kernels (the op's declaration: ops/embedding.ts). */
export const embeddingKernel = defineKernel(embedding, {
  forward({ inputs, output, params, attrs }) {
    checkIds(inputs[0].data, intAttr(attrs, 'numEmbeddings'), 'Embedding', 'rows');
    const w = params.weight.data;
    const y = output.data;
    eachId(inputs[0].data, attrs, (i, k, d) => (k < 0 ? y.fill(0, i * d, (i + 1) * d) : y.set(w.subarray(k * d, (k + 1) * d), i * d)));
  },
  backward({ inputs, dOutput, dParams, attrs }) {
    const dw = dParams.weight.data;
    const dy = dOutput.data;
    eachId(inputs[0].data, attrs, (i, k, d) => {
      for (let j = 0; k >= 0 && j < d; j++) dw[k * d + j] += dy[i * d + j];
    });
  },
});
