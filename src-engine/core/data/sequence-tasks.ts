import { Rng } from '../../base/rng';
import { DATA_LIMITS, DataError } from './types';
import type { Dataset } from './types';
import { taskFor } from '../../catalog/tasks';

/**
 * The classic probes of a recurrent network's memory, made in code (issue #31 item 2): how far
 * back can it carry what it saw?
 *
 * - `adding` (Hochreiter & Schmidhuber 1997, the "adding problem"): `length` steps of two
 *   features, a value drawn from U(0, 1) and a marker; exactly two steps are marked, one in each
 *   half. The target is the sum of the two marked values (regression, one number). Predicting the
 *   mean, 1, scores an MSE of 1/6 ≈ 0.167; a net that remembers scores near 0.
 * - `memory` ("remember the first symbol"): `length` steps of a one-hot symbol out of `symbols`;
 *   every step after the first is a random distractor. The class is the first step's symbol:
 *   chance is 1/`symbols`, and the gradient that teaches it must travel all `length` steps back.
 * - `parity`: `length` steps of one bit (0 or 1); the class is whether the number of ones is odd.
 *   Every bit matters to the end, and no part of the sequence alone says anything: chance (50 %)
 *   until the net keeps a running XOR across all the steps.
 *
 * Seeded: one seed always gives the same arrays.
 */
export interface SequenceTaskOptions {
  samples?: number;
  /** Steps per sequence (default 20). */
  length?: number;
  /** `memory`: symbols in the alphabet (default 8). */
  symbols?: number;
  seed?: number;
}

export const SEQUENCE_TASKS = ['adding', 'memory', 'parity'] as const;
export type SequenceTaskName = (typeof SEQUENCE_TASKS)[number];

export function isSequenceTask(name: string): name is SequenceTaskName {
  return (SEQUENCE_TASKS as readonly string[]).includes(name);
}

function intOption(task: string, key: string, v: number | undefined, fallback: number, min: number, max: number): number {
  const n = v ?? fallback;
  if (!Number.isInteger(n) || n < min || n > max) throw new DataError('DATA_BAD_OPTION', `${task}: ${key} must be a whole number from ${min} to ${max} (got ${n}).`);
  return n;
}

export function sequenceTask(name: SequenceTaskName, options: SequenceTaskOptions = {}): Dataset {
  const n = intOption(name, 'samples', options.samples, 2000, 2, DATA_LIMITS.maxSamples);
  const t = intOption(name, 'length', options.length, 20, 2, 1000);
  const k = name === 'memory' ? intOption(name, 'symbols', options.symbols, 8, 2, 64) : name === 'parity' ? 1 : 2;
  if (n * t * k > DATA_LIMITS.maxValues) throw new DataError('DATA_TOO_LARGE', `${name}: ${n} sequences of ${t} steps × ${k} features is over ${DATA_LIMITS.maxValues.toLocaleString('en-US')} values; use fewer.`);
  const rng = new Rng(options.seed ?? 0);
  if (name === 'adding') {
    const x = new Float32Array(n * t * 2);
    const y = new Float32Array(n);
    const half = Math.floor(t / 2);
    for (let i = 0; i < n; i++) {
      const o = i * t * 2;
      for (let s = 0; s < t; s++) x[o + 2 * s] = rng.uniform();
      const a = Math.min(half - 1, Math.floor(rng.uniform() * half));
      const b = half + Math.min(t - half - 1, Math.floor(rng.uniform() * (t - half)));
      x[o + 2 * a + 1] = 1;
      x[o + 2 * b + 1] = 1;
      y[i] = x[o + 2 * a] + x[o + 2 * b];
    }
    return { name: `adding (T = ${t})`, task: taskFor('values'), count: n, features: x, featureShape: [t, 2], targets: y, targetShape: [1], numClasses: 0, classNames: [], featureNames: ['value', 'marker'] };
  }
  if (name === 'parity') {
    const x = new Float32Array(n * t);
    const y = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let odd = 0;
      for (let s = 0; s < t; s++) {
        const bit = rng.uniform() < 0.5 ? 1 : 0;
        x[i * t + s] = bit;
        odd ^= bit;
      }
      y[i] = odd;
    }
    return { name: `parity (T = ${t})`, task: taskFor('classes'), count: n, features: x, featureShape: [t, 1], targets: y, targetShape: [], numClasses: 2, classNames: ['even', 'odd'], featureNames: ['bit'] };
  }
  const x = new Float32Array(n * t * k);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * t * k;
    for (let s = 0; s < t; s++) {
      const symbol = Math.min(k - 1, Math.floor(rng.uniform() * k));
      x[o + s * k + symbol] = 1;
      if (s === 0) y[i] = symbol;
    }
  }
  return { name: `memory (T = ${t})`, task: taskFor('classes'), count: n, features: x, featureShape: [t, k], targets: y, targetShape: [], numClasses: k, classNames: Array.from({ length: k }, (_, c) => `symbol ${c}`) };
}
