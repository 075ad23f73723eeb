import { fail, intAttr, ok, ShapeCode, showAttr } from './shape-util';
import { defineOp } from './types';
import type { ImportFusion } from '../../base/onnx/import-fusion';

/**
 * Netwright's ONNX form read back: `Gather(weight, Cast(ids → int64))` on axis 0, the weight a
 * constant `[V, D]`. (torch.onnx gives `nn.Embedding` an int64 graph input, which the importer
 * does not read.)
 */
export const EMBEDDING_FUSION: ImportFusion = {
  anchor: 'Gather',
  match(gather, g) {
    const w = g.constant(gather.input[0]);
    const cast = g.producer(gather.input[1]);
    const axis = gather.attribute?.find((a) => a.name === 'axis')?.i ?? 0;
    const to = cast?.attribute?.find((a) => a.name === 'to')?.i;
    if (!w || w.dims.length !== 2 || Number(axis) !== 0 || cast?.op_type !== 'Cast' || Number(to) !== 7 || g.only(cast.output[0]) !== gather) return undefined;
    return {
      nodes: [cast, gather],
      op: 'Embedding',
      attrs: { numEmbeddings: w.dims[0], embeddingDim: w.dims[1] },
      input: cast.input[0],
      output: gather.output[0],
      params: { weight: w.values instanceof Float32Array ? w.values : Float32Array.from(w.values) },
    };
  },
};

/**
 * Token ids to learned vectors: `[N, …]` → `[N, …, D]`, as `torch.nn.Embedding(V, D)` (weight
 * `[V, D]`, initialised N(0, 1)). Ids arrive as float32 values (an Input's, like class labels):
 * an id is the value truncated toward zero; as ONNX Gather, one in [−V, −1] counts from the end;
 * one outside [−V, V − 1] (or NaN) is refused with E_ID_RANGE before the kernel (`id-range.ts`),
 * as onnxruntime refuses it and nn.Embedding raises (#83: it gave a row of zeros, and a word
 * vocabulary of 4,874 trained silently on a 128-row table).
 * No gradient flows to the ids (they are not differentiable); the selected rows get dy.
 */
export const embedding = defineOp({
  name: 'Embedding',
  category: 'layers',
  onnxFusions: [EMBEDDING_FUSION],
  onnx: {
    opType: 'Gather',
    note: 'Gather(weight, Cast(ids → int64)) on axis 0 (onnxruntime refuses ids outside [−V, V − 1], as Netwright does)',
    emit: (ctx) => ctx.node('Gather', [ctx.weight('weight')!, ctx.node('Cast', [ctx.inputs[0]], { to: { int: 7 } })], { axis: { int: 0 } }),
  },
  torch: {
    module: 'TokenEmbedding({numEmbeddings}, {embeddingDim})',
    helper: [
      'class TokenEmbedding(nn.Embedding):',
      '    """nn.Embedding on float ids: truncated toward zero, negative ones from the end (as Netwright',
      '    and ONNX Gather); an id out of range raises, as in nn.Embedding and Netwright."""',
      '',
      '    def forward(self, x):',
      '        k = x.long()',
      '        return super().forward(torch.where(k < 0, k + self.num_embeddings, k))',
    ].join('\n'),
    note: 'a subclass of nn.Embedding (its state_dict name, weight, is nn.Embedding\'s) taking the float ids Netwright feeds',
  },
  card: (a) => `${showAttr(a.numEmbeddings)} × ${showAttr(a.embeddingDim)}`,
  doc: 'Token ids to learned vectors: row id of a table of numEmbeddings × embeddingDim.',
  inputs: [{ name: 'ids', discrete: true }],
  idTable: { attr: 'numEmbeddings', noun: 'rows' },
  attrs: {
    numEmbeddings: { kind: 'int', default: 256, min: 1, max: 1 << 20, doc: 'Size of the vocabulary: ids run from 0 to numEmbeddings − 1.' },
    embeddingDim: { kind: 'int', default: 32, min: 1, max: 65536, doc: 'Length of each token’s vector.' },
  },
  inferShape({ inputs, attrs }) {
    const x = inputs[0];
    if (x.length < 2) return fail(ShapeCode.RANK, 'Embedding expects ids [N, …] (e.g. an Input of shape [T]); got a batch of scalars with no per-sample dims.');
    return ok([...x, intAttr(attrs, 'embeddingDim')]);
  },
  // NOTE: PyTorch's N(0, 1): he_normal's std √(2/fanIn) with fanIn 2.
  params: ({ attrs }) => [{ name: 'weight', shape: [intAttr(attrs, 'numEmbeddings'), intAttr(attrs, 'embeddingDim')], init: 'he_normal', fanIn: 2, fanOut: intAttr(attrs, 'embeddingDim'), decay: true }],
  flops: ({ output }) => output.slice(1).reduce((a, b) => a * b, 1),
});
