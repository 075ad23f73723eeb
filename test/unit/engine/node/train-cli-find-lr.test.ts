import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../../src-engine/node/train-cli';

/** `netwright train --find-lr` (issue #48): the learning-rate range test from the command line, on the CPU backend. */
const IRIS = join(import.meta.dirname, '..', '..', '..', '..', 'examples', 'iris-mlp.json');

async function cli(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, (s) => (out += s), (s) => (err += s));
  return { code, out, err };
}

describe('train CLI: --find-lr', () => {
  it('--json prints one lr-find line: the curve, where it diverged and the suggestion', async () => {
    const r = await cli([IRIS, '--find-lr', '--lr-range', '1e-4,100', '--lr-steps', '80', '--threads', '1', '--json']);
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l) as { type: string; lrs: number[]; losses: unknown[]; smoothed: unknown[]; suggestion: number | null; stoppedAt: number | null });
    const found = lines.filter((l) => l.type === 'lr-find');
    expect(found).toHaveLength(1);
    const f = found[0];
    expect(f.lrs[0]).toBe(1e-4);
    expect(f.losses).toHaveLength(f.lrs.length);
    expect(f.smoothed).toHaveLength(f.lrs.length);
    expect(f.suggestion).toBeGreaterThan(1e-4);
    expect(f.suggestion).toBeLessThan(10);
    // Nothing was trained: no progress or done events.
    expect(lines.map((l) => l.type)).toEqual(['lr-find']);
  });

  it('prints a table and the suggested rate', async () => {
    const r = await cli([IRIS, '--find-lr', '--lr-range', '1e-4,100', '--lr-steps', '40', '--threads', '1']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/rate {6}loss {2}smoothed/);
    expect(r.out).toMatch(/suggested learning rate: \S+ \(steepest descent before the minimum; --lr \S+\)|no suggestion/);
  });

  it.each([
    [['--lr-steps', '10'], '--lr-range and --lr-steps go with --find-lr'],
    [['--find-lr', '--lr-range', '1e-3'], '--lr-range must be two rates > 0'],
    [['--find-lr', '--export', 'x.onnx'], '--find-lr trains nothing to export'],
  ])('%j → usage error, exit 2', async (flags, message) => {
    const r = await cli([IRIS, ...flags]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
  });

  it('a range that runs downwards is TRAIN_LR_RANGE, exit 2', async () => {
    const r = await cli([IRIS, '--find-lr', '--lr-range', '1,1e-3', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.out.trim())).toMatchObject({ code: 'TRAIN_LR_RANGE' });
  });
});
