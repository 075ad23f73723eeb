/**
 * #83 in `netwright evaluate`: a model carries its run's baselines (TrainedModel.baselines, from the
 * model file or the run record), and the evaluation sets them beside its figures — the `--json`
 * line's `baselines`, `baselinesOn` and `baselineVerdict`, and the printed lines — as the same
 * samples only when it measured the split of the data the run measured them on; on other samples
 * they are still shown, said to be the run's, and no verdict is drawn.
 */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../../src-engine/base/ir/types';
import { main as trainCli } from '../../../../src-engine/node/train-cli';
import { main as evaluateCli } from '../../../../src-engine/node/evaluate-cli';
import { evaluationBaselines } from '../../../../src-engine/core/metrics/baselines';

async function cli(main: typeof trainCli, args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, (s) => (out += s), (s) => (err += s));
  const lines = out.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown> & { type: string });
  return { code, out, err, lines };
}

/** A linear model on windows of the waves series, trained one epoch at a learning rate too small to learn: worse than its baselines. */
function wavesDesign(dir: string): string {
  const g: GraphIR = {
    format: 'netwright.graph',
    version: 2,
    name: 'waves, barely trained',
    nodes: [
      { id: 'x', op: 'Input', attrs: { shape: [40, 1], source: 'features' }, inputs: [] },
      { id: 'y', op: 'Input', attrs: { shape: [1], source: 'target' }, inputs: [] },
      { id: 'flat', op: 'Flatten', attrs: {}, inputs: ['x'] },
      { id: 'fc', op: 'Linear', attrs: { outFeatures: 1 }, inputs: ['flat'] },
      { id: 'loss', op: 'MSELoss', attrs: {}, inputs: ['fc', 'y'] },
    ],
    outputs: { prediction: 'fc', loss: 'loss' },
    training: { dataset: { name: 'waves', options: { samples: 600, length: 40 } }, loss: 'loss', optimizer: { kind: 'sgd', lr: 1e-5 }, batchSize: 32, epochs: 1, seed: 1, metrics: ['mse', 'r2'] },
  };
  const file = join(dir, 'waves.json');
  writeFileSync(file, JSON.stringify(g));
  return file;
}

type Done = { baselines: Record<string, { mse: number; r2: number }>; baselineDetails: { scores: Record<string, { val: { mse: number; r2: number } }> }; verdict: string };
type Evaluated = { split: string; metrics: { mse: number }; baselines?: Record<string, { mse: number; r2: number }>; baselinesOn?: { split: string; sameSamples: boolean }; baselineVerdict?: string };

describe('evaluate CLI: the model\'s baselines beside its figures (#83)', () => {
  it('a model file and a stored run: the run\'s baselines on the same test split, the verdict; on the validation split its figures there; on other samples, said so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nw-evaluate-baselines-'));
    const runs = join(dir, 'runs');
    const model = join(dir, 'waves.netwright-model.json');
    const trained = await cli(trainCli, [wavesDesign(dir), '--threads', '1', '--json', '--runs', runs, '--export', model]);
    expect(trained.code, trained.out + trained.err).toBe(0);
    const done = trained.lines.find((l) => l.type === 'done') as unknown as Done;
    expect(done.verdict).toMatch(/^The network's test MSE/);
    const [runId] = readdirSync(runs).filter((f) => /^\d{8}-/.test(f));

    for (const source of [[model], [runId, '--runs', runs]]) {
      const r = await cli(evaluateCli, [...source, '--threads', '1', '--json']);
      expect(r.code, r.err).toBe(0);
      const e = r.lines[0] as unknown as Evaluated;
      expect(e.baselines).toEqual(done.baselines);
      expect(e.baselinesOn).toEqual({ split: 'test', sameSamples: true });
      // The same weights on the same samples: the verdict training gave.
      expect(e.baselineVerdict).toBe(done.verdict);
    }

    const val = (await cli(evaluateCli, [model, '--split', 'val', '--threads', '1', '--json'])).lines[0] as unknown as Evaluated;
    expect(val.baselinesOn).toEqual({ split: 'val', sameSamples: true });
    expect(val.baselines!['linear-lags']).toEqual(done.baselineDetails.scores['linear-lags'].val);
    expect(val.baselineVerdict).toMatch(/^The network's validation MSE [\d.]+ is worse than /);

    // Fewer samples than the run read: not the run's test split, so no verdict, and the text says whose figures they are.
    const other = await cli(evaluateCli, [model, '--limit', '200', '--threads', '1', '--json']);
    const o = other.lines[0] as unknown as Evaluated;
    expect(o.baselines).toEqual(done.baselines);
    expect(o.baselinesOn).toEqual({ split: 'test', sameSamples: false });
    expect(o.baselineVerdict).toBeUndefined();

    const text = await cli(evaluateCli, [model, '--threads', '1']);
    expect(text.out).toMatch(/baselines on the same test split:\n {2}mean +MSE [\d.]+ {2}R² -?[\d.]+\n {2}last-value +MSE/);
    expect(text.out).toContain(`\n${done.verdict}\n`);
    const otherText = await cli(evaluateCli, [model, '--limit', '200', '--threads', '1']);
    expect(otherText.out).toContain('baselines on the test split of the run that trained the model, not these samples:\n  mean ');
    expect(otherText.out).not.toContain("The network's");
  }, 120_000);

  it('dataset settings written in another key order are the same data; another seed is not; no baselines, nothing', () => {
    const stored = { mean: { test: { mse: 2 }, val: { mse: 1.5 } }, ridge: { test: { mse: 1 } } };
    const metrics = { loss: 3, mse: 3 };
    const dataset = { name: 'waves', options: { samples: 600, length: 40 } };
    const trained = { dataset, seed: 1 };
    const same = evaluationBaselines(stored, { split: 'test', metrics, task: 'regression', trained, evaluated: { dataset: { options: { length: 40, samples: 600 }, name: 'waves' }, seed: 1, metrics: ['mse'] } });
    expect(same).toEqual({ baselines: { mean: { mse: 2 }, ridge: { mse: 1 } }, baselinesOn: { split: 'test', sameSamples: true }, baselineVerdict: "The network's test MSE 3.00 is worse than ridge regression on the same inputs (1.00)." });
    const seed = evaluationBaselines(stored, { split: 'test', metrics, task: 'regression', trained, evaluated: { dataset, seed: 2, metrics: ['mse'] } });
    expect(seed?.baselinesOn).toEqual({ split: 'test', sameSamples: false });
    expect(seed?.baselineVerdict).toBeUndefined();
    // Not every baseline has validation figures: the test split's are shown, and they are not the split evaluated.
    expect(evaluationBaselines(stored, { split: 'val', metrics, task: 'regression', trained, evaluated: { dataset, seed: 1, metrics: ['mse'] } })?.baselinesOn).toEqual({ split: 'test', sameSamples: false });
    expect(evaluationBaselines(undefined, { split: 'test', metrics, task: 'regression', trained, evaluated: { dataset, seed: 1, metrics: [] } })).toBeUndefined();
  });
});
