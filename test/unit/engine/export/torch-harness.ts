/** Runs an exported PyTorch project under the real PyTorch (tests skip where none is installed). */
import { checkedOrThrow } from '../../../../src-engine/core/analysis/checked';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { npy } from '../../../../src-engine/core/export/archive';
import { modelFromCheckpoint, type TrainedModel } from '../../../../src-engine/core/export/model';
import { inferModel } from '../../../../src-engine/core/export/infer';
import { compileGraph } from '../../../../src-engine/core/autodiff/executor';
import type { Backend } from '../../../../src-engine/core/backend/types';
import { createReferenceBackend } from '../../../../src-engine/core/backend/reference';
import { createCpuBackend } from '../../../../src-engine/node/cpu';
import { prepareData } from '../../../../src-engine/core/data';
import { Trainer } from '../../../../src-engine/core/train';
import type { GraphIR } from '../../../../src-engine/base/ir/types';
import { loadDataset } from '../../../../src-engine/node/datasets';
import { exportPytorch, torchNodeNames, type PytorchExportOptions } from '../../../../src-engine/core/export/pytorch';
import { getOp } from '../../../../src-engine/core/ops/registry';
import { writeExport } from '../../../../src-engine/node/export-writer';
import { torchRunCache } from './torch-run-cache';

const EXAMPLES = join(import.meta.dirname, '../../../../examples');

let cpu: Promise<Backend> | null = null;
/**
 * The backend the fixtures train on: the WebAssembly one, on one thread (the tiny GPT and the
 * conditional DCGAN took ~10 s each on the reference kernels). What the tests check is the
 * export of whatever weights came out, computed by Netwright and by PyTorch.
 */
export function fixtureBackend(): Promise<Backend> {
  cpu ??= createCpuBackend({ threads: 1 });
  return cpu;
}

const trained = new Map<string, ReturnType<typeof trainTemplate>>();

/**
 * A template trained a few steps on a small subset, as a TrainedModel, with its prepared data:
 * trained once per test process for each (file, steps) and shared by every test that asks (the
 * engine files share a process: vitest.config.ts), so callers must not change what it returns.
 */
export function trainedTemplate(file: string, steps = 4): ReturnType<typeof trainTemplate> {
  const key = `${file}:${steps}`;
  let t = trained.get(key);
  if (!t) {
    t = trainTemplate(file, steps);
    trained.set(key, t);
    t.catch(() => trained.delete(key));
  }
  return t;
}

async function trainTemplate(file: string, steps: number) {
  const g = JSON.parse(readFileSync(join(EXAMPLES, file), 'utf8')) as GraphIR;
  const t = g.training!;
  const batchSize = 16;
  const training = { ...t, batchSize, epochs: 1, dataset: { ...t.dataset, limit: batchSize * steps } };
  const quick: GraphIR = { ...g, training };
  const data = prepareData(loadDataset(training.dataset, training.seed), training.dataset, training.seed);
  const trainer = new Trainer(quick, data, await fixtureBackend(), { compile: compileGraph });
  await trainer.run();
  const model = modelFromCheckpoint(quick, trainer.loop.capture(), { ...(data.normalization ? { normalization: data.normalization } : {}), classNames: data.train.classNames });
  return { model, data, trainer };
}

/** A graph at its initial weights (seeded as its training section says), as a TrainedModel: no data, no step. */
export function initialModel(graph: GraphIR): TrainedModel {
  const plan = compileGraph(checkedOrThrow(graph), { backend: createReferenceBackend(), batchSize: 1, seed: graph.training?.seed ?? 1 });
  const byKey = (entries: readonly { nodeId: string; name: string; value: { data: Float32Array } }[]) => Object.fromEntries(entries.map((e) => [`${e.nodeId}.${e.name}`, e.value.data.slice()]));
  return { graph, params: byKey(plan.params), buffers: byKey(plan.buffers) };
}

/** A Python with torch and numpy: NETWRIGHT_TORCH_PYTHON, else Debian's python3-torch. */
export const TORCH_PYTHON = process.env.NETWRIGHT_TORCH_PYTHON ?? '/usr/bin/python3';
/**
 * Whether that Python has torch and numpy installed (found, not imported: an import costs ~2 s of
 * CPU in every test process; one that is installed but fails to import fails the tests instead).
 */
export const HAS_TORCH = spawnSync(TORCH_PYTHON, ['-c', "import importlib.util as u, sys; sys.exit(0 if u.find_spec('torch') and u.find_spec('numpy') else 1)"], { encoding: 'utf8' }).status === 0;

/** What a Python run said and how it ended, as `spawnSync` reports them (`status` null: ended by `signal`, as at its timeout). */
export type PythonRun = { status: number | null; signal: number | null; stdout: string; stderr: string };

type ForkServer = { child: ChildProcessWithoutNullStreams; answers: ((r: PythonRun) => void)[]; queue: Promise<unknown> };
let server: ForkServer | undefined;

function startForkServer(): ForkServer {
  const child = spawn(TORCH_PYTHON, [join(import.meta.dirname, 'torch_fork_server.py')], { env: { ...process.env, OMP_NUM_THREADS: '1' }, stdio: ['pipe', 'pipe', 'pipe'] });
  const s: ForkServer = { child, answers: [], queue: Promise.resolve() };
  let pending = '';
  let errors = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    pending += d;
    for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
      s.answers.shift()?.(JSON.parse(pending.slice(0, nl)) as PythonRun);
      pending = pending.slice(nl + 1);
    }
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (errors += d));
  child.stdin.on('error', () => undefined); // it ended: 'exit' answers what was asked
  child.on('exit', (code, signal) => {
    for (const answer of s.answers.splice(0)) answer({ status: null, signal: null, stdout: '', stderr: `torch_fork_server.py ended (${code ?? signal}): ${errors}` });
  });
  // It ends when its input does: with the test process, whose exit it must not hold up.
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as unknown as { unref?: () => void }).unref?.();
  return s;
}

/**
 * Runs `python3 argv…` in `cwd` (a script and its arguments, or `-c CODE …`), on one thread
 * (OMP_NUM_THREADS=1) with `env` added, in a process forked from an interpreter that has imported
 * torch and numpy (torch_fork_server.py): the run is a process of its own, with its own modules
 * and exit status, as a fresh interpreter's would be, without the ~2 s of CPU that importing torch
 * costs each. One server per test process (the engine files share theirs: vitest.config.ts),
 * started on first use; runs go one at a time, in the order asked. torchrun's launcher may run here
 * (`-c` with runpy, as train-py.test.ts does); its ranks are the fresh interpreters it starts.
 */
export function torchProcess(argv: readonly string[], cwd: string, env: Record<string, string> = {}, timeoutMs = 240_000): Promise<PythonRun> {
  if (!server || server.child.exitCode !== null || server.child.signalCode !== null) server = startForkServer();
  const s = server;
  const run = s.queue.then(
    () =>
      new Promise<PythonRun>((resolve) => {
        s.answers.push(resolve);
        s.child.stdin.write(`${JSON.stringify({ cwd, argv, env, timeout: timeoutMs / 1000 })}\n`);
      }),
  );
  s.queue = run;
  return run;
}

/**
 * `torchProcess`, answered from the runs kept on this machine where one of the same inputs ran
 * before (torch-run-cache.ts): for runs whose status, output and files follow from what they read.
 */
export const cachedTorchProcess = torchRunCache(TORCH_PYTHON, torchProcess);

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `nw-${prefix}-`));
}

/** Export `model` to a temp folder; returns its path. */
export function exportTo(model: TrainedModel, options: PytorchExportOptions = {}): string {
  return writeExport(exportPytorch(model, options), join(tempDir('torch'), 'export'));
}

type TorchComparison = { diffs: Record<string, number>; keys: string[]; hooked: string[] };

/**
 * The largest |PyTorch − Netwright| of every node's eval output (each submodule through a
 * forward hook, and forward()'s prediction) on `inputs`, a batch of `batch` samples as fed to
 * `featureInput`.
 */
export async function compareWithTorch(model: TrainedModel, inputs: Record<string, Float32Array>, batch: number, prediction: string): Promise<TorchComparison> {
  return (await compareManyWithTorch([{ model, inputs, batch, prediction }]))[0];
}

/**
 * `compareWithTorch` for several models in one Python process (torchProcess: importing torch is
 * most of a check's time): each model is exported, computed by Netwright and checked exactly as alone.
 */
export async function compareManyWithTorch(cases: { model: TrainedModel; inputs: Record<string, Float32Array>; batch: number; prediction: string }[]): Promise<TorchComparison[]> {
  const args = cases.flatMap(({ model, inputs, batch, prediction }) => {
    const dir = exportTo(model);
    const body = model.graph.nodes.filter((n) => n.op !== 'Input' && !getOp(n.op)?.isLoss).map((n) => n.id);
    const outs = inferModel(model, inputs, batch, body);
    const shapeOf = (id: string) => [batch, outs[id].length / batch];
    const expected: Record<string, [number[], number[]]> = {};
    const names = torchNodeNames(checkedOrThrow(model.graph));
    for (const id of body) expected[names.get(id)!] = [shapeOf(id), Array.from(outs[id])];
    expected.__prediction__ = [shapeOf(prediction), Array.from(outs[prediction])];
    const caseDir = tempDir('case');
    // forward()'s arguments, in the order of the graph's Inputs: inputs_0.npy, inputs_1.npy, …
    model.graph.nodes
      .filter((n) => n.op === 'Input' && n.id in inputs)
      .forEach((n, k) => writeFileSync(join(caseDir, `inputs_${k}.npy`), npy(inputs[n.id], [batch, ...(n.attrs.shape as number[])])));
    writeFileSync(join(caseDir, 'expected.json'), JSON.stringify(expected));
    return [dir, caseDir];
  });
  const script = join(import.meta.dirname, 'torch_check.py');
  const r = await cachedTorchProcess([script, ...args], import.meta.dirname);
  if (r.status !== 0) throw new Error(`torch_check.py failed (${r.status}): ${r.stderr}`);
  const results = r.stdout.trim().split('\n').map((line) => JSON.parse(line) as TorchComparison);
  if (results.length !== cases.length) throw new Error(`torch_check.py answered ${results.length} of ${cases.length} cases`);
  return results;
}
