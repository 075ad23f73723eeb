import type { OptimizerState } from '../optim';
import type { Checkpoint } from './types';
import { base64ToBytes, bytesToBase64 } from '../../base/base64';
import { isRngState } from '../../base/rng';

/** Base64 of a Float32Array's bytes (little-endian, as every supported platform stores them). */
export function float32ToBase64(a: Float32Array): string {
  return bytesToBase64(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
}

export function base64ToFloat32(s: string): Float32Array {
  let bytes: Uint8Array;
  try {
    bytes = base64ToBytes(s);
  } catch {
    throw new Error('CHECKPOINT_BAD_DATA: invalid base64 in checkpoint');
  }
  if (bytes.length % 4 !== 0) throw new Error('CHECKPOINT_BAD_DATA: base64 data is not a whole number of float32 values');
  return new Float32Array(bytes.buffer);
}

/** A tensor kept in a checkpoint's data file (`CheckpointJSON.data`): `n` float32 values from byte `o`. */
export interface TensorRef {
  o: number;
  n: number;
}

type Encoded = string | number[] | TensorRef;

/** An optimizer's state with its tensors encoded. */
type OptimizerJSON = Omit<OptimizerState, 'slots'> & { slots: Record<string, Record<string, Encoded>> };

/** One optimizer group's state (`Checkpoint.groups`), its tensors encoded. */
interface GroupJSON {
  name: string;
  optimizer: OptimizerJSON;
  schedule: Checkpoint['schedule'];
}

/** The checkpoint format's version now, and the oldest this code reads (see `CheckpointJSON`). */
export const CHECKPOINT_VERSION = 2;
const OLDEST_VERSION = 1;

/**
 * A checkpoint as plain JSON: tensors as base64 strings (compact), number arrays (readable), or
 * references into a binary data file beside it (`binary`: what the run store writes, so that a
 * large model's checkpoint is written tensor by tensor from the live buffers, never as one string).
 *
 * Versions: 1 kept one optimizer's state (`optimizer`, `schedule`), the first group's of a design
 * with `training.groups`; 2 keeps a multi-group checkpoint's every group in `groups` (the first
 * group's state among them, so `optimizer` and `schedule` are left out) and is 1 otherwise. A
 * version-1 checkpoint reads as one group's state, which resumes group 0. Optional fields added
 * since (`hooks`, `random`) keep the version: a Netwright that does not know one reads the rest
 * and resumes as it did, and one without them reads as the run before they were kept.
 */
export interface CheckpointJSON {
  format: 'netwright.checkpoint';
  version: 1 | 2;
  encoding: 'base64' | 'array' | 'binary';
  /** With `binary`: the data file's name, in the checkpoint's folder. */
  data?: string;
  epoch: number;
  step: number;
  params: Record<string, Encoded>;
  buffers: Record<string, Encoded>;
  /** The (only) optimizer's state; absent where `groups` holds every group's (version 2). */
  optimizer?: OptimizerJSON;
  schedule?: Checkpoint['schedule'];
  /** Every optimizer group's state in step order, where the design has more than one (version 2). */
  groups?: GroupJSON[];
  metrics: Checkpoint['metrics'];
  /** What the loop's stateful hooks kept (`Checkpoint.hooks`); absent in checkpoints written before it was kept. */
  hooks?: Checkpoint['hooks'];
  /** Where the run's random streams stood (`Checkpoint.random`); absent in checkpoints written before they were kept. */
  random?: Checkpoint['random'];
}

/**
 * Serialise a checkpoint for `JSON.stringify`. `binary` hands each tensor to `place`, which keeps
 * it (the caller writes the data file) and answers where it will be.
 */
export function checkpointToJSON(c: Checkpoint, encoding: 'base64' | 'array'): CheckpointJSON;
export function checkpointToJSON(c: Checkpoint, encoding: 'binary', place: (a: Float32Array) => TensorRef): CheckpointJSON;
export function checkpointToJSON(c: Checkpoint, encoding: CheckpointJSON['encoding'] = 'base64', place?: (a: Float32Array) => TensorRef): CheckpointJSON {
  const f32 = (a: Float32Array | readonly number[]) => (a instanceof Float32Array ? a : Float32Array.from(a));
  const enc = (a: Float32Array | readonly number[]): Encoded =>
    encoding === 'base64' ? float32ToBase64(f32(a)) : encoding === 'binary' ? place!(f32(a)) : Array.from(a);
  const map = (r: Record<string, Float32Array | readonly number[]>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, enc(v)]));
  const optimizer = (o: OptimizerState): OptimizerJSON => ({ ...o, slots: Object.fromEntries(Object.entries(o.slots).map(([k, v]) => [k, map(v)])) });
  return {
    format: 'netwright.checkpoint',
    version: CHECKPOINT_VERSION,
    encoding,
    epoch: c.epoch,
    step: c.step,
    params: map(c.params),
    buffers: map(c.buffers),
    ...(c.groups
      ? { groups: c.groups.map((g) => ({ name: g.name, optimizer: optimizer(g.optimizer), schedule: g.schedule })) }
      : { optimizer: optimizer(c.optimizer), schedule: c.schedule }),
    metrics: c.metrics,
    ...(c.hooks ? { hooks: c.hooks } : {}),
    ...(c.random ? { random: c.random } : {}),
  };
}

/**
 * The most epochs a checkpoint may have trained: a run's `training.epochs` is at most this
 * (core/analysis/validate.ts), and a resumed run trains `epoch + moreEpochs` of them.
 */
export const CHECKPOINT_EPOCH_MAX = 1e9;

/**
 * Why a checkpoint's counters and state fields cannot be resumed from, naming the first field at
 * fault (`groups[1]`, `optimizer.step`, `epoch`), or null when they can. Only the fields' kinds
 * and ranges: whether the tensors fit the network is `checkFits`'s question.
 */
export function checkpointFieldProblem(j: CheckpointJSON): string | null {
  const raw = j as unknown as Record<string, unknown>;
  const count = (v: unknown, field: string, min: number, max = Number.MAX_SAFE_INTEGER): string | null =>
    typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? null : `${field} is ${shown(v)}, not a whole number from ${min} to ${max.toLocaleString('en-US')}`;
  const optimizer = (o: unknown, at: string): string | null => {
    if (!isObject(o)) return `${at} is ${shown(o)}, not an optimizer's state`;
    if (typeof o.kind !== 'string') return `${at}.kind is ${shown(o.kind)}, not an optimizer's name`;
    if (typeof o.lr !== 'number' || !Number.isFinite(o.lr) || o.lr < 0) return `${at}.lr is ${shown(o.lr)}, not a learning rate (a finite number ≥ 0)`;
    const step = count(o.step, `${at}.step`, 0);
    if (step) return step;
    if (!isObject(o.slots)) return `${at}.slots is ${shown(o.slots)}, not the optimizer's buffers by parameter`;
    for (const [key, slot] of Object.entries(o.slots)) if (!isObject(slot)) return `${at}.slots[${JSON.stringify(key).slice(0, 80)}] is ${shown(slot)}, not a parameter's buffers`;
    return null;
  };
  const schedule = (sc: unknown, at: string): string | null => {
    if (!isObject(sc)) return `${at} is ${shown(sc)}, not a schedule's state`;
    if (typeof sc.kind !== 'string') return `${at}.kind is ${shown(sc.kind)}, not a schedule's name`;
    if (typeof sc.lr !== 'number' || !Number.isFinite(sc.lr) || sc.lr < 0) return `${at}.lr is ${shown(sc.lr)}, not a learning rate (a finite number ≥ 0)`;
    const steps = count(sc.stepCount, `${at}.stepCount`, 0);
    if (steps) return steps;
    if (sc.plateau !== undefined && !isObject(sc.plateau)) return `${at}.plateau is ${shown(sc.plateau)}, not a plateau schedule's state`;
    return null;
  };
  const first = count(raw.epoch, 'epoch', 1, CHECKPOINT_EPOCH_MAX) ?? count(raw.step, 'step', 0) ?? (raw.batch === undefined ? null : count(raw.batch, 'batch', 0));
  if (first) return first;
  for (const field of ['params', 'buffers'] as const) if (!isObject(raw[field])) return `${field} is ${shown(raw[field])}, not tensors by name`;
  if (raw.metrics !== undefined && !isObject(raw.metrics)) return `metrics is ${shown(raw.metrics)}, not metrics by split`;
  if (raw.groups !== undefined) {
    if (!Array.isArray(raw.groups)) return `groups is ${shown(raw.groups)}, not a list of optimizer groups`;
    for (let i = 0; i < raw.groups.length; i++) {
      const g: unknown = raw.groups[i];
      if (!isObject(g)) return `groups[${i}] is ${shown(g)}, not an optimizer group's state`;
      if (typeof g.name !== 'string') return `groups[${i}].name is ${shown(g.name)}, not a group's name`;
      const bad = optimizer(g.optimizer, `groups[${i}].optimizer`) ?? schedule(g.schedule, `groups[${i}].schedule`);
      if (bad) return bad;
    }
    if (raw.groups.length > 0) return null;
  }
  return optimizer(raw.optimizer, 'optimizer') ?? schedule(raw.schedule, 'schedule');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A field's value in a message: short, whatever it holds. */
function shown(v: unknown): string {
  if (v === undefined) return 'missing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return v === null ? 'null' : 'an object';
  const text = typeof v === 'string' ? JSON.stringify(v) : String(v);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/**
 * Inverse of `checkpointToJSON` (version 1 or 2); a `binary` checkpoint's tensors are read by `fetch`.
 * Throws `CHECKPOINT_BAD_DATA: <field> is …` when a counter or state field is missing or out of
 * range (`checkpointFieldProblem`).
 */
export function checkpointFromJSON(j: CheckpointJSON, fetch?: (ref: TensorRef) => Float32Array): Checkpoint {
  if (!isObject(j) || j.format !== 'netwright.checkpoint') throw new Error('CHECKPOINT_BAD_FORMAT: not a Netwright checkpoint');
  if (!Number.isInteger(j.version) || j.version < OLDEST_VERSION || j.version > CHECKPOINT_VERSION) {
    throw new Error(`CHECKPOINT_BAD_FORMAT: a checkpoint of version ${String(j.version)}, which this Netwright (versions ${OLDEST_VERSION} to ${CHECKPOINT_VERSION}) does not read`);
  }
  const problem = checkpointFieldProblem(j);
  if (problem) throw new Error(`CHECKPOINT_BAD_DATA: ${problem}`);
  const dec = (v: Encoded): Float32Array => {
    if (typeof v === 'string') return base64ToFloat32(v);
    if (Array.isArray(v)) return Float32Array.from(v);
    if (!fetch || typeof v !== 'object' || v === null) throw new Error('CHECKPOINT_BAD_DATA: a tensor is neither data nor a reference to a data file');
    return fetch(v);
  };
  const map = (r: Record<string, Encoded>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, dec(v)]));
  const optimizer = (o: OptimizerJSON): OptimizerState => ({ ...o, slots: Object.fromEntries(Object.entries(o.slots).map(([k, v]) => [k, map(v)])) });
  const groups = Array.isArray(j.groups) && j.groups.length > 0 ? j.groups.map((g) => ({ name: g.name, optimizer: optimizer(g.optimizer), schedule: g.schedule })) : undefined;
  if (!groups && (!j.optimizer || typeof j.optimizer.slots !== 'object')) throw new Error('CHECKPOINT_BAD_DATA: no optimizer state');
  const random = j.random;
  if (random !== undefined && (typeof random !== 'object' || random === null || !Object.values(random).every(isRngState))) {
    throw new Error('CHECKPOINT_BAD_DATA: a random stream\'s state is not four 32-bit words');
  }
  return {
    epoch: j.epoch,
    step: j.step,
    params: map(j.params),
    buffers: map(j.buffers),
    // The first group's state is the loop's `optimizer` and `schedule` (a version-1 checkpoint's only one).
    optimizer: groups ? groups[0].optimizer : optimizer(j.optimizer!),
    schedule: groups ? groups[0].schedule : j.schedule!,
    ...(groups && groups.length > 1 ? { groups } : {}),
    metrics: j.metrics,
    ...(j.hooks && typeof j.hooks === 'object' ? { hooks: j.hooks } : {}),
    ...(random ? { random } : {}),
  };
}
