import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import { lossLabel, trainingSummary } from '../../../src-renderer/src/editor/training-summary';

const example = (name: string) => JSON.parse(readFileSync(path.resolve(__dirname, '../../../examples', `${name}.json`), 'utf8')) as GraphIR;

describe('training summary (graph inspector)', () => {
  it('names a loss node called "loss" by its op, not "loss loss" (bug: the inspector read "· loss loss")', () => {
    const g = example('mnist-mlp');
    expect(g.training?.loss).toBe('loss');
    const line = trainingSummary(g, g.training!);
    expect(line).toBe('Dataset mnist · adam · CrossEntropyLoss');
    expect(line).not.toMatch(/loss loss/i);
  });

  it('keeps an informative id beside the op, joins several losses, and falls back to the id of a missing node', () => {
    const nodes = [
      { id: 'recon', op: 'MSELoss', attrs: {}, inputs: [] },
      { id: 'L1Loss', op: 'L1Loss', attrs: {}, inputs: [] },
    ];
    expect(lossLabel({ nodes }, 'recon')).toBe('MSELoss (recon)');
    expect(lossLabel({ nodes }, ['recon', 'L1Loss'])).toBe('MSELoss (recon) + L1Loss');
    expect(lossLabel({ nodes }, 'gone')).toBe('gone');
  });
});
