import type { OpTestDomain } from './test-domain';
import type { ElementwiseDecl } from '../elementwise/expr';
import type { PointwiseLossDecl } from '../elementwise/loss';
import type { AttrValue, Attrs } from '../../base/ir/types';
import type { BackendPrimitives } from '../backend/primitives';
import type { Tensor } from '../../base/tensor';
import type { Rng } from '../../base/rng';
import type { ImportRule } from '../../base/onnx/import-rule';
import type { ImportFusion } from '../../base/onnx/import-fusion';
import type { AttrSpec } from '../../catalog/attr-spec';

/** Palette groups, in display order. */
export const OP_CATEGORIES = [
  'input',
  'layers',
  'activations',
  'normalization',
  'regularization',
  'structure',
  'losses',
] as const;
export type OpCategory = (typeof OP_CATEGORIES)[number];

// Attribute values are part of the IR format (base tier); ops read them.
export type { AttrValue, Attrs };

/** How a parameter or buffer is initialised. `fanIn`/`fanOut` come from the ParamSpec. */
export type InitKind =
  | 'zeros'
  | 'ones'
  | 'he_uniform'
  | 'he_normal'
  | 'xavier_uniform'
  | 'xavier_normal'
  /** PyTorch's default for Linear/Conv weights: kaiming_uniform(a=√5) = U(±1/√fanIn). */
  | 'torch_default'
  /** PyTorch's default for Linear/Conv bias: U(±1/√fanIn). */
  | 'torch_bias';

export interface ParamSpec {
  name: string;
  shape: number[];
  init: InitKind;
  fanIn: number;
  fanOut: number;
  /** Whether weight decay applies (weights yes; biases and norm scales no, by default). */
  decay: boolean;
}

/** Non-trainable persistent state (BatchNorm running stats). */
export interface BufferSpec {
  name: string;
  shape: number[];
  init: 'zeros' | 'ones';
}

/** Per-batch scratch storage an op keeps from forward for backward (masks, argmax, x̂). */
export interface WorkspaceSpec {
  name: string;
  shape: number[];
}

/** Outcome of a shape rule: the output shape, or a user-facing reason it cannot be computed. */
export type ShapeResult = { ok: true; shape: number[] } | { ok: false; code: string; message: string };

/** Input shapes with dim 0 = batch (`-1` while the batch size is unknown). */
export interface ShapeArgs {
  inputs: readonly (readonly number[])[];
  attrs: Attrs;
}

export interface OpForwardContext {
  inputs: readonly Tensor[];
  output: Tensor;
  params: Readonly<Record<string, Tensor>>;
  buffers: Readonly<Record<string, Tensor>>;
  workspace: Readonly<Record<string, Tensor>>;
  attrs: Attrs;
  /** Train mode (Dropout active, BatchNorm uses batch stats and updates running stats). */
  training: boolean;
  rng: Rng;
  backend: BackendPrimitives;
  /**
   * The samples (`[first, end)` of dim 0) of the output that are read after this forward (the
   * executor's `OpDef.samplesRead` analysis of a loss selection); undefined: all of them. An
   * implementation may compute only those; the others keep what they held.
   */
  rows?: readonly [number, number];
}

export interface OpBackwardContext extends OpForwardContext {
  /** Gradient of the loss w.r.t. this op's output. */
  dOutput: Tensor;
  /**
   * Gradients w.r.t. each input; the op ADDS into them (fan-out accumulates). `null` where no
   * gradient is needed (graph inputs, targets).
   */
  dInputs: readonly (Tensor | null)[];
  /** Gradients w.r.t. each parameter; the op ADDS into them. */
  dParams: Readonly<Record<string, Tensor>>;
  /**
   * Set only for implementations that declare `assignsFreshGradients`: `dInputsFresh[i]` true
   * means nothing has written `dInputs[i]` this step (it holds stale values) and this op is its
   * only writer, so the op must ASSIGN its whole gradient there instead of adding. The executor
   * then skips zeroing that tensor (a memset, and a read in the op, saved).
   */
  dInputsFresh?: readonly boolean[];
  /**
   * `false`: nothing reads this node's parameter gradients after this backward (an optimizer
   * group's step that does not update them: a GAN's generator step back through the
   * discriminator), so an implementation that declares `skipsUnwantedParamGradients` computes
   * none and leaves `dParams` as they are. Absent or true: it computes them. The executor gives
   * an implementation that does not declare it a scratch `dParams` instead.
   */
  dParamsWanted?: boolean;
  /**
   * Per input: the channels (dim 1, `[first, end)`) of `dInputs[i]` that anything reads after this
   * backward (`OpDef.gradientChannelsRead` of the node it comes from); undefined: all of them. An
   * implementation may compute only those and leave the others at zero (a GAN's discriminator
   * then folds back the image's gradient, not the label maps' as well).
   */
  dInputsRead?: readonly (readonly [number, number] | undefined)[];
}

/** An explicit "no mapping", with the reason an exporter shows the user. */
export interface NoMapping {
  none: string;
}

/**
 * Where one ONNX attribute comes from: an IR attr (optionally converted), or a constant.
 * Conversions: `pads` (`[h, w]` → ONNX `[h, w, h, w]`: begins then ends), `one-minus` (PyTorch's
 * BatchNorm momentum is ONNX's 1 − momentum), `negate` (a count of trailing dims → a negative axis).
 */
export type OnnxAttrSource =
  | {
      attr: string;
      convert?: 'pads' | 'one-minus' | 'negate';
      /** An empty list attr takes this other attr's value (pooling: an empty stride is the kernel size). */
      ifEmpty?: string;
    }
  /** A constant: a number is an INT, a list INTS; a typed value (`{ float: 0.5 }`) says its own type. */
  | { value: number | string | readonly number[] | OnnxAttrValue };

/**
 * A typed ONNX attribute value: ONNX tells INT from FLOAT, which a JS number does not. (An
 * `OnnxAttrSource` takes its type from the IR attr's `AttrSpec` kind instead.)
 */
export type OnnxAttrValue = { int: number } | { float: number } | { string: string } | { ints: readonly number[] } | { floats: readonly number[] };

/**
 * What an op's `onnx.emit` works with: one node of the graph being exported, and a builder that
 * adds ONNX nodes and initializers for it (core/export/onnx/export.ts implements it).
 */
export interface OnnxEmitContext {
  /** The node's id: the ONNX node name (helper nodes get `id/1`, `id/2`, …). */
  nodeId: string;
  /** The node's attrs, defaults filled. */
  attrs: Attrs;
  /** Input shapes, batch first as `-1` (the exported batch dim is dynamic). */
  inputShapes: readonly (readonly number[])[];
  outputShape: readonly number[];
  /** The opset being written (17 by default). */
  opset: number;
  /** ONNX value names of the node's inputs, in order. */
  inputs: readonly string[];
  /** The initializer holding this node's parameter or buffer `name` (`nodeId.name`); undefined if the node has none such. */
  weight(name: string): string | undefined;
  /** The values of this node's parameter or buffer `name` (to write a transposed copy). */
  weightValues(name: string): Float32Array | undefined;
  /** A new initializer `nodeId.name` (float32 or int64); returns its name. */
  constant(name: string, dims: readonly number[], values: ArrayLike<number>, type?: 'float' | 'int64'): string;
  /** Emit one ONNX node; returns the name of its (only) output. */
  node(opType: string, inputs: readonly string[], attrs?: Readonly<Record<string, OnnxAttrValue>>): string;
  /** The ONNX attributes the mapping's `attrs` table gives for this node. */
  mappedAttrs(): Record<string, OnnxAttrValue>;
}

/**
 * How an op maps to ONNX. By default the exporter emits one `opType` node whose inputs are the
 * node's inputs then the op's parameters (in `params()` order, those the node has), with the
 * attributes of `attrs`. An op needing more (helper nodes, initializers, opset-dependent forms)
 * gives `emit`. `note` says in words what the mapping does beyond that.
 */
export interface OnnxMapping {
  opType: string;
  attrs?: Readonly<Record<string, OnnxAttrSource>>;
  note?: string;
  /** Emit the node's ONNX form; return the value name holding the op's output (an input's name when the op is the identity at inference). */
  emit?(ctx: OnnxEmitContext): string;
}

/**
 * How an op maps to PyTorch: the `torch.nn` module constructor, as text with placeholders
 * (rendered by `torchModuleText`, export-mapping.ts). `{attr}` is an IR attr as a Python literal
 * (bools `True`/`False`, lists as tuples, strings quoted, an empty list `None`); `{attr:tensor}`
 * writes a list as `torch.tensor([…])` (`None` when empty); `{in[i]}` is dim `i` of the first
 * input's shape, batch included (`{in[-1]}` = last); `{in[-attr:]}` is the tuple of the last
 * `attr` dims (LayerNorm's normalized_shape).
 *
 * @example Linear: `nn.Linear({in[-1]}, {outFeatures}, bias={bias})`
 */
export interface TorchMapping {
  module: string;
  /** Templates by the first input's rank (batch included) where the module differs (BatchNorm: 1d for 2 and 3, 2d for 4). */
  byRank?: Readonly<Record<number, string>>;
  /** Names of the module's `state_dict` entries where they differ from the op's (`runningMean` → `running_mean`). */
  stateNames?: Readonly<Record<string, string>>;
  /** An int64 step counter the module keeps in its `state_dict` (BatchNorm's `num_batches_tracked`): the exporter writes the run's step count. */
  stepCounter?: string;
  /** Source of a small `nn.Module` class the template uses that `torch.nn` lacks; the exported model.py defines it once. */
  helper?: string;
  /** Loss ops: how the target is passed — class indices (`long`, CrossEntropyLoss) or shaped like the prediction (default). */
  target?: 'class-index' | 'like-input';
  note?: string;
}

/**
 * An op that is no module but an expression in `forward()` (Add, Concat): `expr` is a template
 * like `TorchMapping.module`'s, plus `{inputs|SEP}` — the input variables joined by `SEP`.
 *
 * @example Add: `{ none: 'not a module: …', expr: '{inputs| + }' }`
 */
export interface TorchExpression extends NoMapping {
  expr: string;
}

/** What an op's output values mean: read by the activation probe, the graph binding and hints. */
export interface OutputTraits {
  /**
   * Outputs in the op's flat tails, where its gradient is almost 0: the activation probe reports
   * the fraction of values below `below` or above `above` (Sigmoid: < 0.01 or > 0.99).
   */
  saturated?: { below?: number; above?: number };
  /** An output of exactly 0 passes no gradient (ReLU): the probe counts units that are 0 for every sample ("dead"). */
  deadAtZero?: boolean;
  /**
   * How a prediction read from this output turns into class probabilities: a row of
   * probabilities (Softmax), or one probability of the positive class (Sigmoid). Absent: logits.
   */
  scores?: 'probabilities' | 'probability';
}

/**
 * What an op that runs over a sequence shows per time step (LSTM, GRU): the sequence probe reads
 * it from the op's workspace (`CompiledGraph.workspace`), the Layers tab draws it.
 */
export interface TimeTraces {
  /** The gates' names in the op's order (LSTM: input, forget, cell, output), and each one's value range. */
  gates: readonly { name: string; range: readonly [number, number] }[];
  /**
   * After a forward: sample `sample`'s gate activations `[G][U][T]` and hidden state `[U][T]` at
   * every step, for the first `units` hidden units of the last layer's forward direction.
   */
  read(workspace: Readonly<Record<string, Tensor>>, input: readonly number[], attrs: Attrs, sample: number, units: number): { gates: number[][][]; hidden: number[][] };
  /**
   * After a training step's backward: ‖dL/dh_t‖ over the batch at every step t, for the first
   * layer's forward direction (where a vanishing gradient shows: the earliest steps).
   */
  gradByTime(workspace: Readonly<Record<string, Tensor>>, input: readonly number[], attrs: Attrs): number[];
  /**
   * What `read` reads of the workspace (after a forward) and `gradByTime` (after a backward), for
   * the same arguments: a device run (GPU) copies those ranges back into its host mirror first.
   */
  ranges(input: readonly number[], attrs: Attrs, sample: number, units: number): { forward: WorkspaceRanges; backward: WorkspaceRanges };
}

/** Ranges of an op's workspace buffers, by buffer name: each `[start, length]` in elements. */
export type WorkspaceRanges = Readonly<Record<string, readonly (readonly [number, number])[]>>;

/**
 * What an attention op shows the probe (`OpDef.attentionMaps`): after a forward, one sample's
 * attention weights per head, `softmax(q·kᵀ/√d)` with its mask applied, as `[H]` maps of
 * `[query][key]`, for the first `steps` steps of each axis.
 */
export interface AttentionMaps {
  read(workspace: Readonly<Record<string, Tensor>>, input: readonly number[], attrs: Attrs, sample: number, steps: number): { heads: Float32Array[]; steps: number; of: number; causal: boolean };
  /** What `read` reads of the workspace, for the same arguments: a device run (GPU) copies those ranges back into its host mirror first. */
  ranges(input: readonly number[], attrs: Attrs, sample: number, steps: number): WorkspaceRanges;
}

/**
 * One op's declaration, in one file: its metadata, shape rule, parameters and mappings (its
 * reference kernels: `ops/kernels/<op>.ts`, see `defineKernel`).
 *
 * @example
 * ```ts
 * export const relu = defineOp({
 *   name: 'ReLU', category: 'activations', doc: 'max(0, x), elementwise.',
 *   inputs: [{ name: 'x' }], attrs: {},
 *   inferShape: ({ inputs }) => ({ ok: true, shape: [...inputs[0]] }),
 *   forward({ inputs, output }) { ... },
 *   backward({ inputs, dOutput, dInputs }) { ... },
 * });
 * ```
 */
export interface OpDef {
  /** Unique name used in the IR (`op` field), e.g. `Linear`, `Conv2d`, `CrossEntropyLoss`. */
  name: string;
  category: OpCategory;
  /** One line for the palette. */
  doc: string;
  /**
   * Declared inputs, in order. A `variadic` last input accepts 1..n edges (Add, Concat). A
   * `discrete` one reads ids (token or class indices): no gradient flows to it.
   */
  inputs: readonly { name: string; variadic?: boolean; optional?: boolean; discrete?: boolean }[];
  /**
   * An op that looks its first input's ids up in a table (Embedding, OneHot): the attribute that
   * sizes the table and what its entries are called in messages. Ids run from −size to size − 1;
   * the data fed to it straight from an Input is checked before training, and the kernels refuse
   * any other (E_ID_RANGE, `id-range.ts`).
   */
  idTable?: { attr: string; noun: string };
  attrs: Readonly<Record<string, AttrSpec>>;
  /** Losses output a scalar `[]` that training minimises. */
  isLoss?: boolean;
  /**
   * A loss of raw scores against 0/1 targets (BCEWithLogitsLoss): one output reads two classes, so
   * data of two classes fits a design of one output as it is (core/analysis/data-fit.ts).
   */
  binaryTargets?: boolean;
  /** Whether the op has parameters or passes gradients (false for Input). */
  differentiable?: boolean;
  /**
   * A construct of training only, not of the model that is trained (a GAN's RealFakeBatch, which
   * feeds real and generated samples to the discriminator): it has no inference form, so no ONNX
   * node, and an exporter leaves it out with the training graph around it.
   */
  trainingOnly?: boolean;
  /**
   * Its training forward draws from the run's random stream (Dropout's mask, Noise's z): the same
   * input gives another output every step, so nothing after it is cached (core/train/feature-cache.ts).
   */
  drawsInTraining?: boolean;
  /**
   * How the input normalisation folds into this op when it reads a feature Input (the ONNX
   * export's `fold` mode, export/onnx/fold.ts): `dense` divides a weight matrix's columns (Linear),
   * `conv` a convolution's kernels (global normalisation, no padding), `flatten` passes it on to
   * the dense layers after it (startDim 1). Absent: it does not fold.
   */
  foldsNormalization?: 'dense' | 'conv' | 'flatten';
  /**
   * The line the node card shows under the op's name: the attributes worth seeing at a glance
   * (the inspector shows them all). Absent: nothing.
   */
  card?(attrs: Attrs): string;
  /**
   * The attr that sets the size of the output's dim 1 (a layer's features or channels): Linear's
   * `outFeatures`, a convolution's `outChannels`. Fine-tuning reads it to recognise a classifier
   * head (a layer giving K logits) and to size a replaced head to a dataset's classes
   * (core/analysis/classifier.ts). Absent: the op's width is not a setting.
   */
  widthAttr?: string;
  /** What the op's output means, for the probes and hints (nothing outside ops/ and base/ branches on op names: test/unit/architecture/op-names.test.ts). */
  output?: OutputTraits;
  /** Per-time-step figures for the sequence probe (recurrent layers). */
  traces?: TimeTraces;
  /** Attention weights per head for the sequence probe (attention layers). */
  attentionMaps?: AttentionMaps;
  /** How the op maps to ONNX, or why it does not (the ONNX exporter walks the graph with these). */
  onnx: OnnxMapping | NoMapping;
  /**
   * The inputs it is defined on, its canonical case and variants, and how close its kernels must
   * come (test-domain.ts): the op suite, the exporters' random graphs and the backends' kernel
   * tests draw from this. Absent: the defaults of `testDomainOf` (real inputs; an activation's
   * [3, 7], a loss's [4, 5] against targets of its `torch.target`).
   */
  testDomain?: OpTestDomain;
  /**
   * An elementwise activation's maths as expressions (core/elementwise): its forward, and its
   * derivative where the derived one is not wanted. The reference kernels (spread in with
   * `...elementwise(decl)`), the GPU's WGSL and the CPU backend's f32x4 kernels are printed from it.
   */
  elementwise?: ElementwiseDecl;
  /**
   * A pointwise loss's maths as expressions (core/elementwise/loss.ts): its term and reduction, its
   * gradients where the derived ones are not wanted. The reference kernels (spread in with
   * `...pointwiseLoss(decl)`), the GPU's WGSL and the CPU backend's WebAssembly are printed from it.
   */
  pointwiseLoss?: PointwiseLossDecl;
  /**
   * How ONNX nodes are read back as this op, by ONNX op type (`{ Gemm: …, MatMul: … }` for
   * Linear): the importer's rule table is the union of these (each op type claimed once).
   */
  onnxImport?: Readonly<Record<string, ImportRule>>;
  /**
   * Chains of ONNX nodes read back as this op (GELU's Erf and Tanh decompositions, a recurrent
   * layer with its squeezes and zero states), tried before the per-node rules: the importer's
   * `IMPORT_FUSIONS` is the union of these, in registry order.
   */
  onnxFusions?: readonly ImportFusion[];
  /** The PyTorch module it becomes, or why none (an expression in `forward()`, a graph input). */
  torch: TorchMapping | TorchExpression | NoMapping;
  /**
   * Advice when a run diverged at this node's output (after "lower the learning rate"), e.g.
   * why its weights can blow up and what keeps them in range. Absent: the generic advice.
   */
  divergenceAdvice?(nodeId: string): string;
  /**
   * The attributes that turn a regulariser off (Dropout: p = 0), for runs that must not be
   * regularised: the sanity check's "can it overfit a handful of examples?". They must keep the
   * graph valid and every shape as it is: `CheckedGraph.withoutRegularization` does not check again.
   */
  withoutRegularization?(attrs: Attrs): Attrs;

  inferShape(args: ShapeArgs): ShapeResult;
  params?(args: ShapeArgs): ParamSpec[];
  buffers?(args: ShapeArgs): BufferSpec[];
  /** Workspace for a concrete batch (`inputs[i][0]` is the batch size). */
  workspace?(args: ShapeArgs & { output: readonly number[] }): WorkspaceSpec[];
  /** Multiply-accumulates ×2 per sample, for the status bar's FLOPs figure. */
  flops?(args: ShapeArgs & { output: readonly number[] }): number;
  /**
   * The channels (dim 1, `[first, end)`) of its output gradient its backward reads when only the
   * inputs `needed` marks get a gradient (a Concat feeding a GAN's discriminator the image and its
   * label maps, of which only the image needs one); undefined: all of them. The executor tells the
   * steps that write that gradient (`OpBackwardContext.dInputsRead`).
   */
  gradientChannelsRead?(args: ShapeArgs, needed: readonly boolean[]): readonly [number, number] | undefined;
  /**
   * Which samples (dim 0) of its inputs the samples `rows` (`[first, end)`) of its output are
   * computed from, for a forward whose losses read only some (a GAN's generator step reads the
   * discriminator's scores of the generated half only). `'each'`: sample i of every input gives
   * sample i of the output, in training as in evaluation (a layer, an activation: elementwise ops
   * are). A function: per input, the samples read (`[0, 0]`: none); a loss's `rows` are all of
   * its input's. Absent: every sample of every input (BatchNorm's batch statistics, a loss's mean).
   */
  samplesRead?: 'each' | ((args: ShapeArgs, rows: readonly [number, number]) => readonly (readonly [number, number])[]);

  /**
   * An elementwise op's (or a pointwise loss's) reference kernels, written in its declaration.
   * Every other op keeps its kernels apart, in `ops/kernels/<op>.ts` (so the renderer, which reads declarations only, never
   * loads them); the engine finds either through `referenceKernel` (ops/kernels/registry.ts).
   */
  forward?(ctx: OpForwardContext): void;
  backward?(ctx: OpBackwardContext): void;
  /** The backward honours `OpBackwardContext.dInputsFresh` (assigns every element it is told to). */
  assignsFreshGradients?: boolean;
  /** The backward honours `OpBackwardContext.dParamsWanted` (writes no parameter gradient when it is false). */
  skipsUnwantedParamGradients?: boolean;
}

/**
 * Declare an op: the definition as written, with its name kept as a literal type, so the registry
 * can derive `OpName` (the union of every op's name) and the tables keyed by op name are checked.
 *
 * @example
 * ```ts
 * export const relu = defineOp({ name: 'ReLU', category: 'activations', … });
 * ```
 */
export function defineOp<const N extends string>(def: OpDef & { readonly name: N }): OpDef & { readonly name: N } {
  return def;
}
