/**
 * How `--on torchrun:N` follows its job, without PyTorch: a stand-in for the Python
 * (NETWRIGHT_TORCH_PYTHON) prints what train.py's process 0 prints under torchrun's `--tee`
 * (`[default0]:` before each of its lines) and then behaves as a job can: it exits, it fails, or it
 * never exits after its end record (gloo's teardown under torchrun sometimes does not return).
 * The run store holds each record as the engine's runs do, and the run ends marked with what
 * happened.
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../../src-engine/base/ir/types';
import { checkedOrThrow } from '../../../../src-engine/core/analysis/checked';
import { parseTarget, type TargetOf } from '../../../../src-engine/catalog/targets/registry';
import { loadSamples } from '../../../../src-engine/node/datasets';
import { prepareData } from '../../../../src-engine/core/data';
import { runBaselines, summaryBaselines } from '../../../../src-engine/core/metrics/baselines';
import { RunStore } from '../../../../src-engine/node/run-store';
import { reportedRecord, trainWithTorchrun } from '../../../../src-engine/node/torchrun-target';
import { CliError } from '../../../../src-engine/node/cli-files';
import { tempDir } from '../export/torch-harness';

const IRIS = join(import.meta.dirname, '../../../../examples/iris-mlp.json');

/** A stand-in Python: the shell script `body`, after printing two steps and an epoch as process 0 would. */
function standIn(body: string): string {
  const dir = tempDir('standin');
  const file = join(dir, 'python');
  const rec = (r: object) => `echo '[default0]:${JSON.stringify({ netwright: 1, ...r }).replace(/,/g, ', ').replace(/":/g, '": ')}'`;
  writeFileSync(
    file,
    [
      '#!/bin/sh',
      rec({ kind: 'start', t: 0, world: 2, device: 'cpu', backend: 'gloo' }),
      'echo "[default0]:Iris: train 108 samples"',
      rec({ kind: 'step', t: 0.1, step: 1, epoch: 1, loss: 1.25, lr: 0.01, metrics: { accuracy: 0.5 } }),
      rec({ kind: 'step', t: 0.2, step: 2, epoch: 1, loss: null, lr: 0.01, metrics: {} }),
      rec({ kind: 'epoch', t: 0.3, step: 2, epoch: 1, metrics: { train: { loss: 1.1, accuracy: 0.5 }, val: { loss: 1.0, accuracy: 0.6 } } }),
      body,
    ].join('\n') + '\n',
  );
  chmodSync(file, 0o755);
  return file;
}

function plan(runs: string) {
  const graph = JSON.parse(readFileSync(IRIS, 'utf8')) as GraphIR;
  const checked = checkedOrThrow(graph);
  const t = checked.ir.training!;
  return { io: { out: () => undefined, err: () => undefined, json: false }, checked, label: 'iris', loaded: loadSamples(t.dataset, t.seed), runs, device: 'cpu' as const, doneGraceMs: 300 };
}

const saved = process.env.NETWRIGHT_TORCH_PYTHON;
afterEach(() => {
  if (saved === undefined) delete process.env.NETWRIGHT_TORCH_PYTHON;
  else process.env.NETWRIGHT_TORCH_PYTHON = saved;
});

const target = parseTarget('torchrun:2') as TargetOf<'torchrun'>;

describe('following a torchrun job (a stand-in Python)', () => {
  it('reads only process 0\'s records, after torchrun\'s prefix; other lines are not records', () => {
    expect(reportedRecord('[default0]:{"netwright": 1, "kind": "step", "t": 1, "step": 3}')).toMatchObject({ kind: 'step', step: 3 });
    expect(reportedRecord('{"netwright": 1, "kind": "done", "t": 1}')).toMatchObject({ kind: 'done' });
    for (const line of ['[default1]:epoch 1/1 train_loss 0.5', '{"netwright": 2, "kind": "step"}', '[default0]:{"netwright": 1, "kind": "step", ', 'saved trained.pt']) expect(reportedRecord(line), line).toBeUndefined();
  });

  it('a job that exits 0 after its end record: done, every step and epoch recorded, its target and job id in run.json, its other lines in the log', async () => {
    const runs = tempDir('follow-done');
    process.env.NETWRIGHT_TORCH_PYTHON = standIn(`echo '[default0]:{"netwright": 1, "kind": "done", "t": 0.4, "step": 2, "epochs": 1, "metrics": {"test": {"loss": 0.9, "accuracy": 0.7}}}'\nexit 0`);
    expect(await trainWithTorchrun(target, plan(runs))).toBe(0);
    const store = new RunStore(runs);
    const [meta] = store.list();
    expect(meta).toMatchObject({ status: 'done', target: { spec: 'torchrun:2' }, summary: { steps: 2, epochs: 1, metrics: { test: { loss: 0.9, accuracy: 0.7 }, val: { loss: 1, accuracy: 0.6 } } } });
    expect(meta.target!.jobId).toMatch(/^\d+$/);
    const records = store.open(meta.id).records;
    expect(records.filter((r) => r.kind === 'step')).toEqual([
      { kind: 'step', step: 1, epoch: 1, loss: 1.25, lr: 0.01, t: expect.any(Number), metrics: { accuracy: 0.5 } },
      { kind: 'step', step: 2, epoch: 1, loss: null, lr: 0.01, t: expect.any(Number) },
    ]);
    expect(records.filter((r) => r.kind === 'epoch').map((r) => r.kind === 'epoch' && r.metrics)).toEqual([{ train: { loss: 1.1, accuracy: 0.5 }, val: { loss: 1, accuracy: 0.6 } }]);
    expect(records.some((r) => r.kind === 'event' && r.event === 'output' && (r.data as { line: string }).line === '[default0]:Iris: train 108 samples')).toBe(true);
  });

  it('its baselines beside the job\'s test figures, fitted on the splits Netwright prepared: run.json, the summary and the --json done record', async () => {
    const base = plan(tempDir('follow-baselines'));
    const t = base.checked.ir.training!;
    const data = prepareData(base.loaded, t.dataset, t.seed);
    const done = `echo '[default0]:{"netwright": 1, "kind": "done", "t": 0.4, "step": 2, "epochs": 1, "metrics": {"test": {"loss": 0.9, "accuracy": 0.7}}}'\nexit 0`;
    const fitted = runBaselines(data, t)!;
    expect(Object.keys(fitted.scores)).toEqual(['majority', 'logistic']);
    for (const json of [false, true]) {
      const out: string[] = [];
      process.env.NETWRIGHT_TORCH_PYTHON = standIn(done);
      const runs = tempDir('follow-baselines');
      const withBaselines = { ...base, runs, io: { out: (s: string) => void out.push(s), err: () => undefined, json }, baselines: (test: Parameters<typeof summaryBaselines>[2]) => summaryBaselines(data, t, test) };
      expect(await trainWithTorchrun(target, withBaselines)).toBe(0);
      const [meta] = new RunStore(runs).list();
      const verdict = `The network's test accuracy 70.00 % is worse than ${fitted.scores.logistic.test.accuracy! > fitted.scores.majority.test.accuracy! ? 'a logistic regression' : 'always answering the most common class'}`;
      expect(meta.summary!.baselines).toEqual(fitted.scores);
      expect(meta.summary!.baselineVerdict).toContain(verdict.slice(0, 47));
      if (json) {
        const record = out.map((l) => JSON.parse(l) as Record<string, unknown>).find((r) => r.type === 'done' && r.reason === 'completed')!;
        expect(record.baselines).toEqual({ majority: fitted.scores.majority.test, logistic: fitted.scores.logistic.test });
        expect(record.verdict).toBe(meta.summary!.baselineVerdict);
      } else {
        const text = out.join('');
        expect(text).toMatch(/baselines on the same test split:\n {2}majority +acc \d+\.\d\d%[^]*\n {2}logistic +acc \d+\.\d\d%/);
        expect(text).toContain(meta.summary!.baselineVerdict!);
      }
    }
  });

  it('a job that never exits after its end record (gloo\'s teardown): stopped after the grace, recorded done', async () => {
    const runs = tempDir('follow-hang');
    process.env.NETWRIGHT_TORCH_PYTHON = standIn(`echo '[default0]:{"netwright": 1, "kind": "done", "t": 0.4, "step": 2, "epochs": 1, "metrics": {}}'\nexec sleep 60`);
    const started = Date.now();
    expect(await trainWithTorchrun(target, plan(runs))).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    const [meta] = new RunStore(runs).list();
    expect(meta.status).toBe('done');
    expect(new RunStore(runs).open(meta.id).records.some((r) => r.kind === 'event' && r.event === 'teardown-stopped')).toBe(true);
  });

  it('a job that fails before its end: failed, E_TARGET_FAILED naming the exit and its last lines, the steps before kept', async () => {
    const runs = tempDir('follow-fail');
    process.env.NETWRIGHT_TORCH_PYTHON = standIn(`echo 'RuntimeError: rank 1 lost' >&2\nexit 1`);
    const failure = await trainWithTorchrun(target, plan(runs)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(CliError);
    expect((failure as CliError).code).toBe('E_TARGET_FAILED');
    expect((failure as CliError).message).toMatch(/^torchrun \(job \d+, torchrun:2\) exited with status 1 after 2 steps\. Its last lines:\n[^]*RuntimeError: rank 1 lost/);
    const store = new RunStore(runs);
    const [meta] = store.list();
    expect(meta.status).toBe('failed');
    const records = store.open(meta.id).records;
    expect(records.filter((r) => r.kind === 'step')).toHaveLength(2);
    expect(records.find((r) => r.kind === 'event' && r.event === 'error')).toMatchObject({ data: { code: 'E_TARGET_FAILED' } });
  });

  it('no such Python: E_TARGET_LAUNCH, and no run recorded', async () => {
    const runs = tempDir('follow-nopython');
    process.env.NETWRIGHT_TORCH_PYTHON = join(tempDir('nopython'), 'python3');
    const failure = await trainWithTorchrun(target, plan(runs)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((failure as CliError).code).toBe('E_TARGET_LAUNCH');
    expect(new RunStore(runs).list()).toEqual([]);
  });
});
