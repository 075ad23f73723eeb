/**
 * Issue #31: attention trains inside a graph. A tiny causal language model (Embedding → learned
 * positions → LayerNorm → MultiHeadAttention → residual Add → Linear → TokenCrossEntropyLoss)
 * takes the same SGD steps as the same model built from nn.Embedding, nn.LayerNorm,
 * nn.MultiheadAttention and nn.Linear under PyTorch 1.13 from the same weights (the losses and the
 * weights after each step agree), and trains the same on the reference and CPU backends; the
 * sequence probe's attention maps are its softmax(q·kᵀ/√d), computed here independently.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import { Rng } from '../../../src-engine/base/rng';
import { checkedOrThrow } from '../../../src-engine/core/analysis/checked';
import { compileGraph, type CompiledGraph } from '../../../src-engine/core/autodiff/executor';
import { createReferenceBackend } from '../../../src-engine/core/backend/reference';
import type { Backend } from '../../../src-engine/core/backend/types';
import { createCpuBackend, type CpuBackend } from '../../../src-engine/node/cpu';
import { torchProcess } from './export/torch-harness';
import { sgdStep } from './harness';
import { SequenceProbe } from '../../../src-engine/app/probes/sequence-probe';
import { AttentionMap } from '../../../src-engine/protocol';

const V = 7;
const T = 6;
const E = 8;
const N = 4;
const STEPS = 5;
const LR = 0.3;

const LM: GraphIR = {
  format: 'netwright.graph',
  version: 2,
  name: 'tiny causal LM',
  nodes: [
    { id: 'ids', op: 'Input', attrs: { shape: [T], source: 'features' }, inputs: [] },
    { id: 'next', op: 'Input', attrs: { shape: [T], source: 'target' }, inputs: [] },
    { id: 'emb', op: 'Embedding', attrs: { numEmbeddings: V, embeddingDim: E }, inputs: ['ids'] },
    { id: 'pos', op: 'PositionalEmbedding', attrs: {}, inputs: ['emb'] },
    { id: 'ln', op: 'LayerNorm', attrs: {}, inputs: ['pos'] },
    { id: 'att', op: 'MultiHeadAttention', attrs: { numHeads: 2, causal: true }, inputs: ['ln'] },
    { id: 'res', op: 'Add', attrs: {}, inputs: ['pos', 'att'] },
    { id: 'head', op: 'Linear', attrs: { outFeatures: V }, inputs: ['res'] },
    { id: 'loss', op: 'TokenCrossEntropyLoss', attrs: {}, inputs: ['head', 'next'] },
  ],
  outputs: { logits: 'head', loss: 'loss' },
};

/** A batch of token sequences and their next tokens (a fixed rule: the next token is (id · 3 + 1) mod V). */
function batch(): { ids: number[]; next: number[] } {
  const rng = new Rng(11);
  const ids = Array.from({ length: N * T }, () => rng.int(V));
  return { ids, next: ids.map((v) => (v * 3 + 1) % V) };
}

/** `STEPS` SGD steps on the batch; the loss before each and the weights after the last. */
function train(backend: Backend): { losses: number[]; g: CompiledGraph } {
  const g = compileGraph(checkedOrThrow(LM), { batchSize: N, backend, seed: 7 });
  const { ids, next } = batch();
  g.input('ids').data.set(ids);
  g.input('next').data.set(next);
  const losses: number[] = [];
  for (let s = 0; s < STEPS; s++) {
    losses.push(g.forward(true));
    g.backward();
    sgdStep(g.params, LR);
  }
  return { losses, g };
}

const weights = (g: CompiledGraph) => Object.fromEntries(g.params.map((p) => [`${p.nodeId}.${p.name}`, Array.from(p.value.data)]));

/** The same model in PyTorch (float32), its weights `w` by Netwright's names; prints the losses and the final weights. */
const TORCH_LM = `
import json, sys
import torch
from torch import nn
import torch.nn.functional as F
cfg = json.loads(sys.stdin.read())
V, T, E, N, steps, lr = cfg['V'], cfg['T'], cfg['E'], cfg['N'], cfg['steps'], cfg['lr']
w = {k: torch.tensor(v, dtype=torch.float32) for k, v in cfg['w'].items()}
emb = nn.Embedding(V, E); ln = nn.LayerNorm(E); att = nn.MultiheadAttention(E, 2, batch_first=True); head = nn.Linear(E, V)
pos = nn.Parameter(w['pos.weight'].reshape(T, E).clone())
with torch.no_grad():
    emb.weight.copy_(w['emb.weight'].reshape(V, E)); ln.weight.copy_(w['ln.weight']); ln.bias.copy_(w['ln.bias'])
    att.in_proj_weight.copy_(w['att.in_proj_weight'].reshape(3 * E, E)); att.in_proj_bias.copy_(w['att.in_proj_bias'])
    att.out_proj.weight.copy_(w['att.out_proj_weight'].reshape(E, E)); att.out_proj.bias.copy_(w['att.out_proj_bias'])
    head.weight.copy_(w['head.weight'].reshape(V, E)); head.bias.copy_(w['head.bias'])
named = {'emb.weight': emb.weight, 'pos.weight': pos, 'ln.weight': ln.weight, 'ln.bias': ln.bias,
         'att.in_proj_weight': att.in_proj_weight, 'att.in_proj_bias': att.in_proj_bias,
         'att.out_proj_weight': att.out_proj.weight, 'att.out_proj_bias': att.out_proj.bias,
         'head.weight': head.weight, 'head.bias': head.bias}
opt = torch.optim.SGD(list(named.values()), lr=lr)
ids = torch.tensor(cfg['ids']).reshape(N, T); nxt = torch.tensor(cfg['next']).reshape(N, T)
mask = torch.triu(torch.full((T, T), float('-inf')), 1)
losses = []
for _ in range(steps):
    h = emb(ids) + pos
    a = ln(h)
    logits = head(h + att(a, a, a, need_weights=False, attn_mask=mask)[0])
    loss = F.cross_entropy(logits.reshape(-1, V), nxt.reshape(-1))
    losses.append(loss.item())
    opt.zero_grad(); loss.backward(); opt.step()
print(json.dumps({'losses': losses, 'w': {k: v.detach().flatten().tolist() for k, v in named.items()}}))
`;

let cpu: CpuBackend;
beforeAll(async () => {
  cpu = await createCpuBackend({ threads: 2 });
});
afterAll(() => cpu?.dispose());

describe('a tiny causal attention language model', () => {
  it('takes the same SGD steps as PyTorch 1.13 from the same weights (losses and weights)', async () => {
    const start = compileGraph(checkedOrThrow(LM), { batchSize: N, backend: createReferenceBackend(), seed: 7 });
    const { losses, g } = train(createReferenceBackend());
    const out = JSON.parse(await runTorch({ V, T, E, N, steps: STEPS, lr: LR, w: weights(start), ...batch() })) as { losses: number[]; w: Record<string, number[]> };
    for (let s = 0; s < STEPS; s++) expect(Math.abs(losses[s] - out.losses[s]), `loss before step ${s + 1}: ${losses[s]} vs PyTorch ${out.losses[s]}`).toBeLessThan(1e-5 * Math.max(1, out.losses[s]));
    let worst = 0;
    for (const [k, v] of Object.entries(weights(g))) for (let i = 0; i < v.length; i++) worst = Math.max(worst, Math.abs(v[i] - out.w[k][i]));
    expect(worst, 'max |Netwright − PyTorch| over the weights after the last step').toBeLessThan(1e-5);
    // The loss falls: the rule is learnable from the current token alone.
    expect(losses[STEPS - 1]).toBeLessThan(0.8 * losses[0]);
    console.info(`attention LM, ${STEPS} SGD steps: losses ${losses.map((l) => l.toFixed(5)).join(' ')}; max weight difference from PyTorch ${worst.toExponential(2)}`);
  });

  it('the sequence probe shows each head’s weights: softmax(q·kᵀ/√d) of the first sample, causal, labelled by its tokens (reference and CPU)', () => {
    for (const backend of [createReferenceBackend(), cpu]) {
      const { g } = train(backend);
      g.forward(false);
      const { ids } = batch();
      const [map] = new SequenceProbe(LM, g, ids.slice(0, T)).attention();
      expect(AttentionMap.parse(map)).toEqual(map);
      expect(map).toMatchObject({ nodeId: 'att', op: 'MultiHeadAttention', steps: T, of: T, causal: true, tokens: ids.slice(0, T) });
      expect(map.heads).toHaveLength(2);
      // Independently: q and k of sample 0 from the LayerNorm's output and the in-projection.
      const x = g.output('ln').data;
      const w = g.params.find((p) => p.name === 'in_proj_weight')!.value.data;
      const b = g.params.find((p) => p.name === 'in_proj_bias')!.value.data;
      const d = E / 2;
      const proj = (t: number, row: number) => {
        let v = b[row];
        for (let j = 0; j < E; j++) v += x[t * E + j] * w[row * E + j];
        return v;
      };
      for (let head = 0; head < 2; head++) {
        for (let q = 0; q < T; q++) {
          const scores = Array.from({ length: T }, (_, k) => {
            if (k > q) return -Infinity;
            let dot = 0;
            for (let j = 0; j < d; j++) dot += proj(q, head * d + j) * proj(k, E + head * d + j);
            return dot / Math.sqrt(d);
          });
          const top = Math.max(...scores);
          const e = scores.map((v) => Math.exp(v - top));
          const sum = e.reduce((a, v) => a + v, 0);
          const row = map.heads[head].slice(q * T, (q + 1) * T);
          row.forEach((v, k) => expect(Math.abs(v - (e[k] / sum) * 255), `head ${head} q ${q} k ${k}`).toBeLessThanOrEqual(0.51));
          for (let k = q + 1; k < T; k++) expect(row[k]).toBe(0);
          expect(Math.abs(row.reduce((a, v) => a + v, 0) - 255)).toBeLessThanOrEqual(T / 2);
        }
      }
    }
  });

  it('trains the same on the reference and CPU backends', () => {
    const ref = train(createReferenceBackend()).losses;
    const onCpu = train(cpu).losses;
    for (let s = 0; s < STEPS; s++) expect(Math.abs(onCpu[s] - ref[s]), `step ${s}`).toBeLessThan(1e-5 * Math.max(1, ref[s]));
  });
});

/** TORCH_LM on `cfg`, in a process forked from the interpreter that has imported torch (torchProcess): its stdout. */
async function runTorch(cfg: object): Promise<string> {
  const r = await torchProcess(['-c', `import sys, io; sys.stdin = io.StringIO(${JSON.stringify(JSON.stringify(cfg))})\n${TORCH_LM}`], import.meta.dirname);
  if (r.status !== 0) throw new Error(`TORCH_LM failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}
