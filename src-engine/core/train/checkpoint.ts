import type { OptimizerState } from '../optim';
import type { Checkpoint } from './types';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Base64 of a Float32Array's bytes (little-endian, as every supported platform stores them). */
export function float32ToBase64(a: Float32Array): string {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += B64[n >> 18] + B64[(n >> 12) & 63] + B64[(n >> 6) & 63] + B64[n & 63];
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i] << 16;
    out += B64[n >> 18] + B64[(n >> 12) & 63] + '==';
  } else if (rest === 2) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += B64[n >> 18] + B64[(n >> 12) & 63] + B64[(n >> 6) & 63] + '=';
  }
  return out;
}

export function base64ToFloat32(s: string): Float32Array {
  const clean = s.replace(/=+$/, '');
  const bytes = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let o = 0;
  for (let i = 0; i < clean.length; i += 4) {
    const c0 = B64.indexOf(clean[i]);
    const c1 = B64.indexOf(clean[i + 1]);
    const c2 = i + 2 < clean.length ? B64.indexOf(clean[i + 2]) : 0;
    const c3 = i + 3 < clean.length ? B64.indexOf(clean[i + 3]) : 0;
    if (c0 < 0 || c1 < 0 || c2 < 0 || c3 < 0) throw new Error('CHECKPOINT_BAD_DATA: invalid base64 in checkpoint');
    const n = (c0 << 18) | (c1 << 12) | (c2 << 6) | c3;
    if (o < bytes.length) bytes[o++] = n >> 16;
    if (o < bytes.length) bytes[o++] = (n >> 8) & 255;
    if (o < bytes.length) bytes[o++] = n & 255;
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
