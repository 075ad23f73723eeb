import { positionalEmbedding } from '../positional-embedding';
import { defineKernel } from './kernel';

/** PositionalEmbedding's reference kernels (the op's declaration: ops/positional-embedding.ts). */
export const positionalEmbeddingKernel = defineKernel(positionalEmbedding, {
  forward({ inputs, output, params }) {
    const x = inputs[0].data;
    const p = params.weight.data;
    const y = output.data;
    for (let i = 0; i < x.length; i++) y[i] = x[i] + p[i % p.length];
  },
  backward({ dOutput, dInputs, dParams }) {
    const dy = dOutput.data;
    const dp = dParams.weight.data;
    const dx = dInputs[0]?.data;
    for (let i = 0; i < dy.length; i++) {
      dp[i % dp.length] += dy[i];
      if (dx) dx[i] += dy[i];
    }
  },
});
