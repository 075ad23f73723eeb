/**
 * Issue #31 item 2: the sequence tasks made in code. Each sequence is what the task says (two
 * marked steps, one per half, and their sum; a first symbol to remember behind one-hot
 * distractors), a seed gives the same arrays, and bad options are coded.
 */
import { describe, expect, it } from 'vitest';
import { loadBuiltinDataset, sequenceTask } from '../../../src-engine/core/data';
import { DATASETS } from '../../../src-engine/catalog/datasets/registry';

describe('sequence tasks', () => {
  it('adding: two marked steps, one in each half, and the target is their sum; predicting the mean scores about 1/6', () => {
    const d = sequenceTask('adding', { samples: 3000, length: 11, seed: 3 });
    expect(d).toMatchObject({ task: 'regression', count: 3000, featureShape: [11, 2], targetShape: [1] });
    let mse = 0;
    for (let i = 0; i < d.count; i++) {
      const marked: number[] = [];
      let sum = 0;
      for (let s = 0; s < 11; s++) {
        const [v, m] = [d.features[(i * 11 + s) * 2], d.features[(i * 11 + s) * 2 + 1]];
        expect(v >= 0 && v < 1).toBe(true);
        if (m === 1) {
          marked.push(s);
          sum += v;
        } else expect(m).toBe(0);
      }
      expect(marked.length).toBe(2);
      expect(marked[0]).toBeLessThan(5);
      expect(marked[1]).toBeGreaterThanOrEqual(5);
      expect(d.targets[i]).toBeCloseTo(sum, 6);
      mse += (d.targets[i] - 1) ** 2 / d.count;
    }
    expect(mse).toBeGreaterThan(0.14);
    expect(mse).toBeLessThan(0.19);
  });

  it('memory: one-hot steps, the class is the first step’s symbol, every symbol about equally often', () => {
    const d = sequenceTask('memory', { samples: 4000, length: 6, symbols: 4, seed: 9 });
    expect(d).toMatchObject({ task: 'classification', count: 4000, featureShape: [6, 4], targetShape: [], numClasses: 4 });
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < d.count; i++) {
      for (let s = 0; s < 6; s++) {
        const row = Array.from(d.features.subarray((i * 6 + s) * 4, (i * 6 + s + 1) * 4));
        expect(row.filter((v) => v === 1).length).toBe(1);
        expect(row.filter((v) => v !== 0 && v !== 1)).toEqual([]);
        if (s === 0) expect(row.indexOf(1)).toBe(d.targets[i]);
      }
      counts[d.targets[i]]++;
    }
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(120);
  });

  it('a seed gives the same arrays; the registry offers both with their options; bad options are coded', () => {
    const config = { name: 'adding', options: { samples: 50, length: 8 } };
    expect(loadBuiltinDataset(config, 4)!.train.features).toEqual(loadBuiltinDataset(config, 4)!.train.features);
    expect(loadBuiltinDataset(config, 4)!.train.features).not.toEqual(loadBuiltinDataset(config, 5)!.train.features);
    expect(DATASETS.find((s) => s.name === 'memory')!.options).toHaveProperty('symbols');
    expect(DATASETS.find((s) => s.name === 'adding')!.options).toHaveProperty('length');
    expect(() => sequenceTask('adding', { length: 1 })).toThrow(expect.objectContaining({ code: 'DATA_BAD_OPTION' }));
    expect(() => sequenceTask('memory', { samples: 1_000_000, length: 1000, symbols: 64 })).toThrow(expect.objectContaining({ code: 'DATA_TOO_LARGE' }));
  });
});
