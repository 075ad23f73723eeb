/**
 * An int8 model as a QDQ ONNX file (#85 deliverable 2): the format onnxruntime's `quantize_static`
 * writes, which runtimes turn into integer kernels (QLinearConv, QLinearMatMul) and any ONNX reader
 * can run as float. Weights are int8 initializers read through a DequantizeLinear per output
 * channel (axis 0), biases int32 at the input scale × weight scale; each activation is quantised by
 * a QuantizeLinear to uint8 and dequantised before the next Gemm or Conv; max pools and flattens run
 * on the uint8 values themselves. An op without an int8 kernel (ConvTranspose2d, HardSwish, Concat,
 * Add…) runs in float between a DequantizeLinear per input and a QuantizeLinear, written as the float
 * export writes the op (its registry mapping); onnxruntime's QDQ pass leaves such islands in float,
 * as Netwright's `runInt8` runs them. The float model's normalisation leads (Sub, Div) and a
 * regression's target standardisation is undone at the end (Mul, Add), as in the float export.
 */
import { ENGINE_VERSION } from '../../base/version';
import { exportOnnx } from '../export/onnx';
import { decodeModel } from '../export/onnx/proto';
import { ATTR, DTYPE, floatTensor, int64Tensor, type OnnxModel, type OnnxNode, type OnnxTensor } from '../../base/onnx/model';
import { encodeModel } from '../export/onnx/proto';
import { normalizationMetadata } from '../export/safetensors';
import { BATCH_DIM, normalizationTensors, withoutHostPaths } from '../export/onnx/export';
import { MODEL_CARD_KEY, modelCard, type ModelCardContext } from '../export/model-card';
import type { ActivationParams } from './calibrate';
import type { Int8Model } from './int8';
import { islandInput, type FloatStep } from './plan';

/** ONNX's 8-bit element types (TensorProto.DataType). */
const UINT8 = 2;
const INT8 = 3;
/** The opset the QDQ file is written for (per-axis DequantizeLinear is from 13). */
export const QDQ_OPSET = 17;

/** Keys of the metadata the QDQ file adds. */
export const QDQ_META = { quantization: 'netwright.quantization' } as const;

function bytesTensor(name: string, dims: readonly number[], type: number, values: ArrayLike<number>): OnnxTensor {
  const raw = type === DTYPE.INT32 ? new Uint8Array(Int32Array.from(values).buffer) : type === INT8 ? new Uint8Array(Int8Array.from(values).buffer) : Uint8Array.from(values);
  return { name, dims: [...dims], data_type: type, raw_data: raw };
}

/**
 * The QDQ ONNX file of `m`. `card`: what the model card adds (the quantisation's side-by-side figures).
 *
 * @example
 * ```ts
 * const bytes = int8Onnx(quantizeModel(model, x, 256, 'entropy'));
 * ```
 */
export function int8Onnx(m: Int8Model, card: ModelCardContext = {}): Uint8Array {
  const src = m.source;
  const plan = m.plan;
  const nodes: OnnxNode[] = [];
  const inits: OnnxTensor[] = [];
  const node = (name: string, op: string, input: string[], attribute: OnnxNode['attribute'] = []) => {
    nodes.push({ name, op_type: op, input, output: [name], attribute, doc_string: '' });
    return name;
  };
  const ints = (name: string, v: number[]) => ({ name, type: ATTR.INTS, ints: v });
  const int = (name: string, v: number) => ({ name, type: ATTR.INT, i: v });
  const qparams = (name: string, p: ActivationParams) => {
    inits.push(floatTensor(`${name}.scale`, [], [p.scale]), bytesTensor(`${name}.zero_point`, [], UINT8, [p.zeroPoint]));
    return [`${name}.scale`, `${name}.zero_point`];
  };
  const quantize = (name: string, x: string, p: ActivationParams) => node(`${name}/q`, 'QuantizeLinear', [x, ...qparams(name, p)]);
  // `q` dequantised with the params of activation `name` (a pool or reshape keeps its input's); once per value, whoever reads it.
  const dequantizedOf = new Map<string, string>();
  const dequantize = (name: string, q: string) => {
    let v = dequantizedOf.get(q);
    if (v === undefined) dequantizedOf.set(q, (v = node(`${q}/dq`, 'DequantizeLinear', [q, `${name}.scale`, `${name}.zero_point`])));
    return v;
  };
  // By value id: the ONNX name of its uint8 tensor, and the activation whose params quantise it.
  const qOf = new Map<string, string>();
  const paramsName = new Map<string, string>();

  let x = plan.input;
  const norm = src.normalization;
  if (norm) {
    // An image's statistics per channel as [C, 1, 1], broadcast by Sub and Div to the same float32 values (as the float export writes them).
    const stats = normalizationTensors(norm, plan.inputShape);
    inits.push(floatTensor(`${plan.input}.mean`, stats.dims, stats.mean), floatTensor(`${plan.input}.std`, stats.dims, stats.std));
    x = node(`${plan.input}/normalize`, 'Div', [node(`${plan.input}/normalize/sub`, 'Sub', [x, `${plan.input}.mean`]), `${plan.input}.std`]);
  }
  qOf.set(plan.input, quantize(plan.input, x, m.input));
  paramsName.set(plan.input, plan.input);
  plan.steps.forEach((step, k) => {
    const cur = qOf.get(step.inputs[0])!;
    const curName = paramsName.get(step.inputs[0])!;
    const done = (q: string, params: string) => {
      qOf.set(step.id, q);
      paramsName.set(step.id, params);
    };
    const d = m.dense.get(k);
    if (d) {
      const xdq = dequantize(curName, cur);
      const s = d.step;
      const t = s.transposed;
      const wDims = t ? [t.inC, s.out, t.k[0], t.k[1]] : s.conv ? [s.out, s.conv.inC / s.conv.groups, s.conv.k[0], s.conv.k[1]] : [s.out, s.per];
      inits.push(
        bytesTensor(`${s.id}.weight_quantized`, wDims, INT8, t ? transposedWeight(d.weight, t.inC, s.out, t.k[0] * t.k[1]) : d.weight),
        floatTensor(`${s.id}.weight_scale`, [s.out], d.weightScale),
        bytesTensor(`${s.id}.bias_quantized`, [s.out], DTYPE.INT32, d.bias),
        floatTensor(`${s.id}.bias_scale`, [s.out], d.biasScale),
      );
      // Symmetric weights and int32 biases: their zero points are 0, DequantizeLinear's default when none is given
      // (a tensor of zeros per channel each, 1.5 KiB of the U-Net's 74.6 KiB file).
      // A ConvTranspose's output channels are its weight's axis 1.
      const w = node(`${s.id}.weight`, 'DequantizeLinear', [`${s.id}.weight_quantized`, `${s.id}.weight_scale`], [int('axis', t ? 1 : 0)]);
      const b = node(`${s.id}.bias`, 'DequantizeLinear', [`${s.id}.bias_quantized`, `${s.id}.bias_scale`], [int('axis', 0)]);
      const c = s.conv;
      let y = t
        ? node(s.id, 'ConvTranspose', [xdq, w, b], [ints('kernel_shape', t.k), ints('strides', t.s), ints('pads', [t.p[0], t.p[1], t.p[0], t.p[1]]), ints('dilations', t.d), ints('output_padding', t.op), int('group', 1)])
        : c
        ? node(s.id, 'Conv', [xdq, w, b], [ints('kernel_shape', c.k), ints('strides', c.s), ints('pads', [c.p[0], c.p[1], c.p[0], c.p[1]]), ints('dilations', c.d), int('group', c.groups)])
        : node(s.id, 'Gemm', [xdq, w, b], [int('transB', 1)]);
      if (s.relu) y = node(`${s.id}/relu`, 'Relu', [y]);
      done(quantize(s.id, y, d.output), s.id);
    } else if (step.kind === 'float') {
      const ins = step.inputs.map((id) => dequantize(paramsName.get(id)!, qOf.get(id)!));
      const island = floatIsland(step, ins);
      nodes.push(...island.nodes);
      inits.push(...island.initializers);
      done(quantize(step.id, island.output, m.params[k]), step.id);
    } else if (step.kind === 'pool') {
      const pl = step.pool;
      done(node(step.id, 'MaxPool', [cur], [ints('kernel_shape', pl.k), ints('strides', pl.s), ints('pads', [pl.p[0], pl.p[1], pl.p[0], pl.p[1]]), int('ceil_mode', pl.ceil ? 1 : 0)]), curName);
    } else if (step.kind === 'relu') {
      const y = node(step.id, 'Relu', [dequantize(curName, cur)]);
      done(node(`${step.id}/q`, 'QuantizeLinear', [y, `${curName}.scale`, `${curName}.zero_point`]), curName);
    } else {
      inits.push(int64Tensor(`${step.id}.shape`, [step.outShape.length + 1], [-1, ...step.outShape]));
      done(node(step.id, 'Reshape', [cur, `${step.id}.shape`]), curName);
    }
  });
  const lastId = plan.steps.at(-1)!.id;
  const cur = qOf.get(lastId)!;
  const curName = paramsName.get(lastId)!;
  const t = src.targetNormalization;
  const outName = plan.outputName;
  let out = node(t ? `${plan.output}/dequantized` : outName, 'DequantizeLinear', [cur, `${curName}.scale`, `${curName}.zero_point`]);
  if (t) {
    const dims = t.mean.length === 1 ? [] : plan.steps.at(-1)!.outShape;
    inits.push(floatTensor(`${plan.output}.target_std`, dims, t.std), floatTensor(`${plan.output}.target_mean`, dims, t.mean));
    out = node(`${plan.output}/restore/mul`, 'Mul', [out, `${plan.output}.target_std`]);
    nodes.push({ name: `${plan.output}/restore`, op_type: 'Add', input: [out, `${plan.output}.target_mean`], output: [outName], attribute: [], doc_string: '' });
  }
  const shape = (s: readonly number[]) => ({ dim: [{ dim_param: BATCH_DIM }, ...s.map((v) => ({ dim_value: v }))] });
  const activations = Object.fromEntries([...m.paramsOf].filter(([id]) => paramsName.get(id) === id).map(([k, v]) => [k, { scale: v.scale, zeroPoint: v.zeroPoint }]));
  const metadata = [
    { key: 'netwright.graph', value: JSON.stringify(withoutHostPaths(src.graph)) },
    { key: 'netwright.export', value: JSON.stringify({ opset: QDQ_OPSET, precision: 'int8', ...(norm ? { normalization: 'nodes' } : {}) }) },
    { key: QDQ_META.quantization, value: JSON.stringify({ format: 'qdq', weights: 'int8 symmetric per channel', activations: 'uint8 asymmetric per tensor', method: m.method, samples: m.samples, folded: plan.steps.flatMap((s) => (s.kind === 'dense' ? s.merged : [])), ...(plan.keptFloat?.length ? { keptFloat: plan.keptFloat } : {}), params: activations }) },
    // As the float export writes it (runs of equal statistics compressed): an image's per-pixel statistics are not written out as JSON numbers.
    ...(norm ? [{ key: 'netwright.normalization', value: normalizationMetadata(norm) }] : []),
    ...(src.classNames?.length ? [{ key: 'netwright.classNames', value: JSON.stringify(src.classNames) }] : []),
    ...(t ? [{ key: 'netwright.targetNormalization', value: JSON.stringify(t) }] : []),
    { key: MODEL_CARD_KEY, value: modelCard(src, card) },
  ];
  const model: OnnxModel = {
    ir_version: 8,
    opset_import: [{ domain: '', version: QDQ_OPSET }],
    producer_name: 'Netwright',
    producer_version: ENGINE_VERSION,
    doc_string: `${src.graph.name ?? 'netwright'}: int8 (QDQ), calibrated (${m.method}) on ${m.samples} samples`,
    graph: {
      name: src.graph.name ?? 'netwright',
      doc_string: 'Inputs take raw features; int8 weights per output channel, uint8 activations per tensor (QuantizeLinear/DequantizeLinear pairs).',
      node: nodes,
      initializer: inits,
      input: [{ name: plan.input, type: { tensor_type: { elem_type: DTYPE.FLOAT, shape: shape(plan.inputShape) } } }],
      output: [{ name: outName, type: { tensor_type: { elem_type: DTYPE.FLOAT, shape: shape(plan.steps.at(-1)!.outShape) } } }],
      value_info: [],
    },
    metadata_props: metadata,
  };
  return encodeModel(model);
}

/**
 * A float step's ONNX nodes and initializers as the float export writes its op alone (the op's own
 * mapping in the registry, read by `exportOnnx`), its inputs renamed to `inputs` (the dequantised
 * values); `output` names the op's float output (the step's id).
 */
function floatIsland(step: FloatStep, inputs: readonly string[]): { nodes: OnnxNode[]; initializers: OnnxTensor[]; output: string } {
  const alone = decodeModel(exportOnnx(step.model).bytes).graph;
  const renamed = new Map(inputs.map((v, i) => [islandInput(step.id, i), v]));
  const nodes = alone.node.map((n) => ({ ...n, input: n.input.map((i) => renamed.get(i) ?? i) }));
  const w = step.weight;
  const name = `${step.id}.weight`;
  if (!w || !alone.initializer.some((t) => t.name === name)) return { nodes, initializers: alone.initializer, output: alone.output[0].name };
  // The weight in int8, read through a DequantizeLinear along its channel axis: the float values the op saw in Netwright.
  const channels = w.dims[w.axis];
  const initializers = [
    ...alone.initializer.filter((t) => t.name !== name),
    bytesTensor(`${name}_quantized`, w.dims, INT8, w.values),
    floatTensor(`${name}_scale`, [channels], w.scale),
  ];
  // Symmetric: its zero point is 0, DequantizeLinear's default.
  const dequantize: OnnxNode = { name, op_type: 'DequantizeLinear', input: [`${name}_quantized`, `${name}_scale`], output: [name], attribute: [{ name: 'axis', type: ATTR.INT, i: w.axis }], doc_string: '' };
  return { nodes: [dequantize, ...nodes], initializers, output: alone.output[0].name };
}

/** A ConvTranspose's int8 weight rows `[out, (ci, tap)]` (`DenseStep.transposed`) in ONNX's `[inC, outC, kH, kW]` order. */
function transposedWeight(rows: Int8Array, inC: number, outC: number, taps: number): Int8Array {
  const w = new Int8Array(rows.length);
  for (let o = 0; o < outC; o++) for (let ci = 0; ci < inC; ci++) for (let j = 0; j < taps; j++) w[(ci * outC + o) * taps + j] = rows[(o * inC + ci) * taps + j];
  return w;
}
