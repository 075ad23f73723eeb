import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../../src-engine/node/train-cli';

const EXAMPLES = join(import.meta.dirname, '..', '..', '..', '..', 'examples');

async function cli(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, (s) => (out += s), (s) => (err += s));
  return { code, out, err };
}

describe('train CLI', () => {
  it('--json: one JSON object per line, the last is done with test metrics', async () => {
    const r = await cli([join(EXAMPLES, 'iris-mlp.json'), '--epochs', '3', '--threads', '1', '--json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.type === 'epoch')).toHaveLength(3);
    const last = lines.at(-1);
    expect(last.type).toBe('done');
    expect(last.test.accuracy).toBeGreaterThan(0);
    expect(last.test.accuracy).toBeLessThanOrEqual(1);
    expect(last.test.loss).toBeGreaterThan(0);
  });

  it('human-readable progress with --limit and --batch-size', async () => {
    const r = await cli([join(EXAMPLES, 'two-moons-mlp.json'), '--epochs', '1', '--limit', '64', '--batch-size', '16', '--threads', '1']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/epoch 1\/1 done/);
    expect(r.out).toMatch(/test \(epoch 1 weights\): loss \d/);
  });

  it('as `npm run train` starts it, trains with fused multiply-adds (relaxed SIMD: a V8 flag on Node 20, on from Node 22)', () => {
    // Its own process: main() in this one keeps the kernels the other tests expect.
    const out = execFileSync(process.execPath, ['--import', 'tsx', join(EXAMPLES, '..', 'src-engine/node/train-cli.ts'), join(EXAMPLES, 'iris-mlp.json'), '--epochs', '1', '--threads', '1'], { encoding: 'utf8' });
    expect(out).toMatch(/^backend: CPU · 1 thread \(WebAssembly SIMD, relaxed FMA\)$/m);
  });

  it('missing file → clear message, exit 2', async () => {
    const r = await cli(['no/such/graph.json']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('no/such/graph.json: no such file');
    // The next action and the docs come from the error table (src-engine/base/errors.ts).
    expect(r.err).toMatch(/\n {2}help: Check the path\. \(docs\/trainer\.md#quick-start\)\n$/);
  });

  it('bad graph → diagnostics printed, exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nw-cli-'));
    const file = join(dir, 'bad.json');
    writeFileSync(
      file,
      JSON.stringify({
        format: 'netwright.graph',
        version: 1,
        nodes: [
          { id: 'x', op: 'Input', attrs: { shape: [4], source: 'features' }, inputs: [] },
          { id: 'fc', op: 'Linear', attrs: { outFeatures: 3 }, inputs: ['nowhere'] },
        ],
        outputs: { logits: 'fc' },
        training: { dataset: { name: 'iris' }, loss: 'fc', optimizer: { kind: 'sgd', lr: 0.1 }, batchSize: 8, epochs: 1, seed: 1, metrics: [] },
      }),
    );
    const r = await cli([file, '--json']);
    expect(r.code).toBe(2);
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.some((l) => l.type === 'diagnostic' && l.severity === 'error')).toBe(true);
    expect(lines.at(-1)).toMatchObject({ type: 'error', code: 'CLI_BAD_GRAPH', action: 'Open it in the app and fix the problems it lists.', docs: 'docs/trainer.md#quick-start' });
  });

  it('bad flag value → usage, exit 2', async () => {
    const r = await cli([join(EXAMPLES, 'iris-mlp.json'), '--epochs', 'many']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--epochs must be a whole number');
  });

  it('--runs DIR keeps the run in the run store: every step, each epoch, the test metrics', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nw-cli-runs-'));
    const r = await cli([join(EXAMPLES, 'iris-mlp.json'), '--epochs', '2', '--threads', '1', '--runs', dir, '--json']);
    expect(r.code).toBe(0);
    const done = r.out.trim().split('\n').map((l) => JSON.parse(l)).at(-1);
    const { RunStore } = await import('../../../../src-engine/node/run-store');
    const store = new RunStore(dir);
    const [meta] = store.list();
    expect(meta).toMatchObject({ status: 'done', summary: { steps: done.steps, epochs: 2, metrics: { test: { loss: done.test.loss } } } });
    const run = store.open(meta.id);
    const steps = run.records.filter((x) => x.kind === 'step');
    expect(steps).toHaveLength(done.steps);
    // Each step's batch accuracy too, as the app's runs keep it.
    for (const s of steps) expect(s.metrics?.accuracy).toEqual(expect.any(Number));
    expect(run.records.filter((x) => x.kind === 'epoch')).toHaveLength(2);
  });

  it("a run trained with --runs is in the app's Runs list as the app's own run of that project is: its project, its meta's fields, its records", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nw-cli-runs-'));
    const file = join(EXAMPLES, 'iris-mlp.json');
    expect((await cli([file, '--epochs', '2', '--threads', '1', '--runs', dir, '--json'])).code).toBe(0);
    const { RunStore } = await import('../../../../src-engine/node/run-store');
    const { loadSamples } = await import('../../../../src-engine/node/datasets');
    const { setupEngine } = await import('../../session/fixtures');
    const { client, waitFor, service } = setupEngine({ runs: new RunStore(dir), loadDataset: (c, seed) => loadSamples(c, seed) });
    try {
      const graph = JSON.parse(readFileSync(file, 'utf8'));
      const app = await client.request('train.start', { graph: { ...graph, training: { ...graph.training, epochs: 2 } }, project: 'iris-mlp', probes: false });
      await waitFor('train.done');
      const { runs } = await client.request('runs.list', {});
      const appRun = runs.find((m) => m.id === app.storedRunId)!;
      const cliRun = runs.find((m) => m.id !== app.storedRunId)!;
      // The Runs tab's "This project" lists the runs whose project is the open file's name.
      expect(cliRun.project).toBe('iris-mlp');
      expect(Object.keys(cliRun).sort()).toEqual(Object.keys(appRun).sort());
      expect(cliRun).toMatchObject({ status: 'done', summary: { epochs: 2 } });
      // The same recorder: the same kinds of record and events (the app's own start info aside), steps of the same fields, the same checkpoints.
      const kinds = (id: string) => new Set(new RunStore(dir).open(id).records.map((r) => (r.kind === 'event' ? `event:${r.event}` : r.kind)));
      const appKinds = kinds(appRun.id);
      appKinds.delete('event:start');
      expect(kinds(cliRun.id)).toEqual(appKinds);
      const stepFields = (id: string) => Object.keys(new RunStore(dir).open(id).records.find((r) => r.kind === 'step')!).sort();
      expect(stepFields(cliRun.id)).toEqual(stepFields(appRun.id));
      const checkpoints = (id: string) => readdirSync(join(dir, id)).filter((f) => f.endsWith('.json') && f.startsWith('checkpoint-')).sort();
      expect(checkpoints(cliRun.id)).toEqual(['checkpoint-best.json', 'checkpoint-last.json']);
      expect(checkpoints(cliRun.id)).toEqual(checkpoints(appRun.id));
    } finally {
      service.dispose();
    }
  });

  it('--json: a usage error is a JSON line too', async () => {
    const r = await cli([join(EXAMPLES, 'iris-mlp.json'), '--epochs', 'many', '--json']);
    expect(r.code).toBe(2);
    expect(r.err).toBe('');
    expect(JSON.parse(r.out)).toMatchObject({ type: 'error', code: 'CLI_USAGE', message: expect.stringContaining('--epochs') });
  });

  it.each([
    // Unknown kinds are the validator's diagnostics, printed before the refusal: the first coded line.
    ['an unknown optimizer', { optimizer: { kind: 'made-up-optimizer', lr: 0.1 } }, 'OPTIM_UNKNOWN'],
    ['an unknown schedule', { schedule: { kind: 'sometimes' } }, 'SCHEDULE_UNKNOWN'],
    ['an unknown metric', { metrics: ['vibes'] }, 'TRAIN_BAD_CONFIG'],
  ])('a configuration error (%s) exits 2, reported once', async (_what, patch, code) => {
    const g = JSON.parse(readFileSync(join(EXAMPLES, 'iris-mlp.json'), 'utf8'));
    g.training = { ...g.training, ...patch };
    const file = join(mkdtempSync(join(tmpdir(), 'nw-cli-')), 'g.json');
    writeFileSync(file, JSON.stringify(g));
    const r = await cli([file, '--json']);
    expect(r.code).toBe(2);
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.type === 'error')).toHaveLength(1);
    expect(lines.find((l) => l.type === 'error' || l.type === 'diagnostic').code).toBe(code);
  });
});
