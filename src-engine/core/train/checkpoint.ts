import type { OptimizerState } from '../optim';
import type { Checkpoint } from './types';
import { base64ToBytes, bytesToBase64 } from '../../base/base64';

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

type Encoded = string | number[];

/** A checkpoint as plain JSON: tensors as base64 strings (compact) or number arrays (readable). */
export interface CheckpointJSON {
  format: 'netwright.checkpoint';
  version: 1;
  encoding: 'base64' | 'array';
  epoch: number;
  step: number;
  params: Record<string, Encoded>;
  buffers: Record<string, Encoded>;
  optimizer: Omit<OptimizerState, 'slots'> & { slots: Record<string, Record<string, Encoded>> };
  schedule: Checkpoint['schedule'];
  metrics: Checkpoint['metrics'];
}

/** Serialise a checkpoint for `JSON.stringify`. */
export function checkpointToJSON(c: Checkpoint, encoding: 'base64' | 'array' = 'base64'): CheckpointJSON {
  const enc = (a: Float32Array | readonly number[]): Encoded =>
    encoding === 'base64' ? float32ToBase64(a instanceof Float32Array ? a : Float32Array.from(a)) : Array.from(a);
  const map = (r: Record<string, Float32Array | readonly number[]>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, enc(v)]));
  return {
    format: 'netwright.checkpoint',
    version: 1,
    encoding,
    epoch: c.epoch,
    step: c.step,
    params: map(c.params),
    buffers: map(c.buffers),
    optimizer: { ...c.optimizer, slots: Object.fromEntries(Object.entries(c.optimizer.slots).map(([k, v]) => [k, map(v)])) },
    schedule: c.schedule,
    metrics: c.metrics,
  };
}

/** Inverse of `checkpointToJSON`. */
export function checkpointFromJSON(j: CheckpointJSON): Checkpoint {
  if (j.format !== 'netwright.checkpoint') throw new Error('CHECKPOINT_BAD_FORMAT: not a Netwright checkpoint');
  const dec = (v: Encoded): Float32Array => (typeof v === 'string' ? base64ToFloat32(v) : Float32Array.from(v));
  const map = (r: Record<string, Encoded>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, dec(v)]));
  return {
    epoch: j.epoch,
    step: j.step,
    params: map(j.params),
    buffers: map(j.buffers),
    optimizer: { ...j.optimizer, slots: Object.fromEntries(Object.entries(j.optimizer.slots).map(([k, v]) => [k, map(v)])) },
    schedule: j.schedule,
    metrics: j.metrics,
  };
}
