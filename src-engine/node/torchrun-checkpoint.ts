/**
 * A checkpoint train.py kept (`--checkpoints DIR`: `last.safetensors`, `best.safetensors`) as the
 * run store keeps the engine's: the weights and buffers under their `nodeId.name` keys, the
 * optimizer's state by parameter and slot, the schedule's position, the epoch's metrics. The
 * PyTorch names are the exported project's (`torchStateNames`: `fc1.weight` is node `fc1`'s
 * `weight`), each optimizer slot PyTorch's name of Netwright's (`exp_avg` is `expAvg`), so a run
 * trained under torchrun exports, evaluates and resumes here as a run trained here does.
 */
import type { CheckedGraph } from '../core/analysis/checked';
import { torchNodeNames, torchStateNames } from '../core/export/pytorch';
import { readWeightsFile } from '../core/import/state-dict';
import { writeSafetensors } from '../core/export/safetensors';
import type { Checkpoint } from '../core/train/types';
import type { MetricValues } from '../core/metrics';
import { DEFAULT_SCHEDULE } from '../catalog/schedules/registry';
import { StoredFrame } from '../protocol';
import type { EarlyStoppingState } from '../core/optim';

/** What train.py writes in a checkpoint's `__metadata__.netwright_checkpoint` (JSON; NaN and infinities as null). */
interface TorchCheckpointMeta {
  which: 'last' | 'best';
  epoch: number;
  step: number;
  lr: number;
  schedule: { stepCount: number; lr: number; plateau?: { best: number | null; badSteps: number; cooldownCounter: number } };
  metrics: { train?: Record<string, number | null>; val?: Record<string, number | null> };
  /** Early stopping's state after the epoch, as the engine's checkpoints keep it (`hooks.earlyStopping`): its patience goes on across a resume. */
  earlyStopping?: EarlyStoppingState;
}

/** The key of early stopping's state in a checkpoint's `hooks` (`BestWatch.name`, core/train/run-state.ts). */
const EARLY_STOPPING_HOOK = 'earlyStopping';

/** PyTorch's snake_case slot name as Netwright's (`exp_avg_sq` → `expAvgSq`). */
const slotName = (torch: string) => torch.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());

/** Netwright's slot name as PyTorch's (`expAvgSq` → `exp_avg_sq`). */
const torchSlotName = (slot: string) => slot.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * Where a run stands in a checkpoint of the run store, for train.py's `--resume-from` (the weights
 * go as weights.pt): the optimizer's state as `optimizer/<slot>/<parameter>` under the project's
 * PyTorch names, and in the metadata the epoch, step, learning rate, the schedule's position and
 * early stopping's state (train.py goes on counting its patience; absent: it starts afresh).
 * A parameter the optimizer keeps no state for (a frozen one) has none.
 */
export function torchResumeState(ck: Checkpoint, checked: CheckedGraph): Uint8Array {
  const nameOf = new Map<string, string>();
  for (const e of torchStateNames(checked, torchNodeNames(checked))) if ('spec' in e && e.spec.kind === 'param') nameOf.set(e.spec.key, e.name);
  const tensors: { name: string; tensor: { kind: 'float32'; shape: readonly number[]; data: Float32Array } }[] = [];
  for (const [key, slots] of Object.entries(ck.optimizer.slots)) {
    const name = nameOf.get(key);
    if (name === undefined) throw new Error(`the checkpoint's optimizer state for ${key} fits no parameter of the design`);
    for (const [slot, data] of Object.entries(slots)) tensors.push({ name: `optimizer/${torchSlotName(slot)}/${name}`, tensor: { kind: 'float32', shape: [data.length], data: Float32Array.from(data) } });
  }
  const s = ck.schedule;
  const early = ck.hooks?.[EARLY_STOPPING_HOOK];
  const meta = { epoch: ck.epoch, step: ck.step, lr: ck.optimizer.lr, schedule: { stepCount: s.stepCount, lr: s.lr, ...(s.plateau ? { plateau: { ...s.plateau, best: Number.isFinite(s.plateau.best) ? s.plateau.best : null } } : {}) }, ...(early !== undefined ? { earlyStopping: early } : {}) };
  return writeSafetensors(tensors, { format: 'pt', netwright_checkpoint: JSON.stringify(meta) });
}

/**
 * The checkpoint in `bytes` (train.py's safetensors, read from `file`) for `checked`'s design.
 *
 * @throws Error naming what does not fit: a tensor of the design the file lacks, another shape, no metadata.
 */
export function checkpointFromTorch(bytes: Uint8Array, file: string, checked: CheckedGraph): Checkpoint {
  const dict = readWeightsFile(bytes, file);
  const metaText = dict.metadata.netwright_checkpoint;
  if (metaText === undefined) throw new Error(`${file} is not a checkpoint of train.py (no netwright_checkpoint metadata)`);
  const meta = JSON.parse(metaText) as TorchCheckpointMeta;
  const training = checked.ir.training!;
  const keyOf = new Map<string, { kind: 'param' | 'buffer'; key: string; size: number }>();
  for (const e of torchStateNames(checked, torchNodeNames(checked))) {
    if ('spec' in e) keyOf.set(e.name, { kind: e.spec.kind === 'param' ? 'param' : 'buffer', key: e.spec.key, size: e.spec.shape.reduce((a, b) => a * b, 1) });
  }
  const params: Record<string, Float32Array> = {};
  const buffers: Record<string, Float32Array> = {};
  for (const [name, spec] of keyOf) {
    const t = dict.tensors.get(name);
    if (!t || t.kind !== 'float32' || t.data.length !== spec.size) throw new Error(`${file}: ${name} (${spec.key}) is ${t ? `${t.kind} [${t.shape.join(', ')}]` : 'missing'}; the design's has ${spec.size} float32 values`);
    (spec.kind === 'param' ? params : buffers)[spec.key] = t.data as Float32Array;
  }
  const slots: Record<string, Record<string, Float32Array>> = {};
  for (const [name, t] of dict.tensors) {
    if (!name.startsWith('optimizer/')) continue;
    const [, slot, param] = /^optimizer\/([a-z0-9_]+)\/(.+)$/.exec(name) ?? [];
    const spec = param !== undefined ? keyOf.get(param) : undefined;
    if (!spec || spec.kind !== 'param' || t.kind !== 'float32' || t.data.length !== spec.size) throw new Error(`${file}: optimizer state ${name} fits no parameter of the design`);
    (slots[spec.key] ??= {})[slotName(slot)] = t.data as Float32Array;
  }
  const schedule = training.schedule ?? DEFAULT_SCHEDULE;
  const plateau = meta.schedule.plateau;
  const worst = (schedule as { mode?: string }).mode === 'max' ? -Infinity : Infinity;
  const metrics = (m: Record<string, number | null> | undefined): MetricValues | undefined => (m ? (Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v ?? NaN])) as unknown as MetricValues) : undefined);
  const train = metrics(meta.metrics.train);
  const val = metrics(meta.metrics.val);
  return {
    epoch: meta.epoch,
    step: meta.step,
    params,
    buffers,
    optimizer: { kind: training.optimizer.kind, lr: meta.lr, step: meta.step, slots },
    schedule: { kind: schedule.kind, stepCount: meta.schedule.stepCount, lr: meta.schedule.lr, ...(plateau ? { plateau: { best: plateau.best ?? worst, badSteps: plateau.badSteps, cooldownCounter: plateau.cooldownCounter } } : {}) },
    metrics: { ...(train ? { train } : {}), ...(val ? { val } : {}) },
    ...(meta.earlyStopping ? { hooks: { [EARLY_STOPPING_HOOK]: meta.earlyStopping } } : {}),
  };
}

/** A parameter's figures in train.py's probe frame, by its PyTorch name. */
interface TorchParamFigures {
  name: string;
  gradNorm: number | null;
  gradMeanAbs: number | null;
  weightNorm: number | null;
  updateRatio: number | null;
  frozen?: true;
  weightHist: unknown;
  weightStats: unknown;
  gradHist?: unknown;
  gradStats?: unknown;
}

/**
 * Turns train.py's probe frames (`{ kind: 'frame', params, layers }`, by PyTorch names) into the
 * run store's (`StoredFrame`, by the design's nodes): a parameter's `nodeId` and `name` and its shape
 * as the design has it, a module's activations as its node's, with the node's op. A frame that does
 * not fit `StoredFrame` after that is undefined (not stored).
 */
export function frameTranslator(checked: CheckedGraph): (r: Readonly<Record<string, unknown>>) => StoredFrame | undefined {
  const names = torchNodeNames(checked);
  const paramOf = new Map<string, { nodeId: string; name: string; shape: number[] }>();
  for (const e of torchStateNames(checked, names)) if ('spec' in e && e.spec.kind === 'param') paramOf.set(e.name, e.spec);
  const nodeOf = new Map([...names].map(([id, py]) => [py, id]));
  const opOf = new Map(checked.ir.nodes.map((n) => [n.id, n.op]));
  return (r) => {
    const params = (Array.isArray(r.params) ? (r.params as TorchParamFigures[]) : []).flatMap((p) => {
      const spec = paramOf.get(p.name);
      if (!spec) return [];
      const { name: _torch, ...figures } = p;
      return [{ ...figures, nodeId: spec.nodeId, name: spec.name, shape: spec.shape }];
    });
    const layers = (Array.isArray(r.layers) ? (r.layers as { module: string; shape: number[]; hist: unknown; stats: unknown }[]) : []).flatMap((l) => {
      const nodeId = nodeOf.get(l.module);
      return nodeId === undefined ? [] : [{ nodeId, op: opOf.get(nodeId)!, shape: l.shape, hist: l.hist, stats: l.stats }];
    });
    const frame = StoredFrame.safeParse({ step: r.step, epoch: r.epoch, loss: typeof r.loss === 'number' ? r.loss : null, layers, params, ...(r.samples !== undefined ? { samples: r.samples } : {}), health: [], costMs: r.costMs });
    return frame.success ? frame.data : undefined;
  };
}
