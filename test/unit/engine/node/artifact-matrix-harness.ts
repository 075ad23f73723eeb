/**
 * The harness of the artifact matrix (#82 deliverable 4): artifact-matrix.test.ts at MNIST size,
 * test/accuracy/artifact-matrix-resnet18.test.ts at resnet18 size (CI's --with-accuracy).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { expect, vi } from 'vitest';
import { FileService } from '../../../../src-main/host/files';
import { modelFromJSON } from '../../../../src-engine/core/export/json';
import { LoadedModel } from '../../../../src-engine/app/session/loaded-model';
import { createBestBackend } from '../../../../src-engine/node/cpu';
import { loadDataset, loadSamples } from '../../../../src-engine/node/datasets';
import { main as evaluateCli } from '../../../../src-engine/node/evaluate-cli';
import { main as exportCli } from '../../../../src-engine/node/export-cli';
import { main as importCli } from '../../../../src-engine/node/import-cli';
import { main as predictCli } from '../../../../src-engine/node/predict-cli';
import { main as trainCli } from '../../../../src-engine/node/train-cli';
import type { GraphIR } from '../../../../src-engine/base/ir/types';
import type { TrainedModel } from '../../../../src-engine/core/export/model';
import { ProjectFiles } from '../../../../src-renderer/src/editor/files';
import { bareGraphDoc } from '../../../../src-renderer/src/editor/project';
import { sendWeightsToEngine } from '../../../../src-renderer/src/training/export';
import type { WeightsSource } from '../../../../src-renderer/src/editor/project-weights';
import type { LoadedModelInfo } from '../../../../src-engine/protocol';
import { webFileBridge } from '../../host/web-file-bridge';
import { createWindowStores } from '../../../../src-renderer/src/state/window-stores';
import { runCli } from './cli-run';
import { setupEngine } from '../../session/fixtures';
import { npy, writeDigitFolder } from '../data/user-data-fixtures';
import { torchvisionFixtures } from '../export/onnx/torchvision-fixtures';

export const EXAMPLES = join(import.meta.dirname, '..', '..', '..', '..', 'examples');

/** What Netwright writes. */
const ARTIFACTS = ['project', 'modelJson', 'onnx', 'safetensors', 'weightsPt', 'runFolder', 'pytorchProject'] as const;
type Artifact = (typeof ARTIFACTS)[number];
/** Where Netwright reads. */
const ENTRIES = ['appOpen', 'appImport', 'train', 'evaluate', 'predict', 'export', 'import'] as const;
type Entry = (typeof ENTRIES)[number];

/**
 * Each cell: 'works', or the code it is refused with because that entry point does not take that
 * artifact. 'n/a': a folder is not a cell of the app's Open or Import, whose pickers choose one file
 * (the app shows a stored run in its Runs panel).
 */
const EXPECTED: Record<Artifact, Record<Entry, string>> = {
  //                the app's Open          the app's Import              train         evaluate      predict       export        import
  project: { appOpen: 'works', appImport: 'E_IMPORT_FORMAT', train: 'works', evaluate: 'works', predict: 'works', export: 'works', import: 'CLI_USAGE' },
  modelJson: { appOpen: 'E_PROJECT_FOREIGN', appImport: 'E_IMPORT_FORMAT', train: 'works', evaluate: 'works', predict: 'works', export: 'works', import: 'CLI_USAGE' },
  onnx: { appOpen: 'E_PROJECT_NOT_JSON', appImport: 'works', train: 'works', evaluate: 'works', predict: 'works', export: 'works', import: 'works' },
  // Weights alone: into a design (the app's open one; `import --design`), never run by themselves.
  safetensors: { appOpen: 'E_PROJECT_NOT_JSON', appImport: 'works', train: 'CLI_WEIGHTS_ONLY', evaluate: 'CLI_WEIGHTS_ONLY', predict: 'CLI_WEIGHTS_ONLY', export: 'CLI_WEIGHTS_ONLY', import: 'works' },
  // NOTE: a state_dict keeps tensors only. Put into a trained design (`import --design model.json`)
  // it takes that model's input normalisation and class names; the app's Load weights puts it into
  // the design alone, whose data gives them (as a run from the design would fit them).
  weightsPt: { appOpen: 'E_PROJECT_NOT_JSON', appImport: 'works', train: 'CLI_WEIGHTS_ONLY', evaluate: 'CLI_WEIGHTS_ONLY', predict: 'CLI_WEIGHTS_ONLY', export: 'CLI_WEIGHTS_ONLY', import: 'works' },
  runFolder: { appOpen: 'n/a', appImport: 'n/a', train: 'works', evaluate: 'works', predict: 'works', export: 'works', import: 'CLI_NOT_A_FILE' },
  pytorchProject: { appOpen: 'n/a', appImport: 'n/a', train: 'CLI_WEIGHTS_ONLY', evaluate: 'CLI_WEIGHTS_ONLY', predict: 'CLI_WEIGHTS_ONLY', export: 'CLI_WEIGHTS_ONLY', import: 'CLI_NOT_A_FILE' },
};

/** One prediction: the class and the probabilities, as predict --json and the Playground answer them. */
interface Answer {
  classNames: readonly string[];
  predicted: number;
  values: readonly number[];
}
/** What a cell gave: it worked (with the predictions it led to, and evaluate's figures), or the code it was refused with. */
type Outcome = { ok: true; answers?: Answer[]; loss?: number; accuracy?: number } | { ok: false; code: string; message: string };

/** The leading code of a CLI's error text (`error CODE: …`, or `CODE: …`). */
const codeOf = (err: string): string => /\b([A-Z][A-Z0-9]*_[A-Z0-9_]+)\b/.exec(err)?.[1] ?? `(no code) ${err.slice(0, 200)}`;

/** The world one model's artifacts live in. */
export interface World {
  dir: string;
  service: FileService;
  /** Each artifact's path. */
  paths: Record<Artifact, string>;
  /** The design as trained (what the app has open when it imports weights). */
  graph: GraphIR;
  /** The inputs predicted: an .npy file of N samples, and the same values per sample. */
  inputs: { file: string; rows: number[][] };
  /** The evaluate flags that say which data (e.g. `--limit 200`). */
  evaluateArgs: string[];
  /** A `train` of one more epoch's flags (small). */
  trainArgs: string[];
  /** The format the export cell writes (then read back by predict). */
  exportFormat: 'onnx' | 'json';
  /** Only the cells that work (the refusals do not depend on the model's size). */
  workingOnly?: boolean;
  /** The app's engine, in-process (its service over a memory channel), reading data as the node engine does. */
  engine: ReturnType<typeof setupEngine>;
}

/** The app's engine as a test drives it: data read by the node engine's loader (image folders too). */
export const appEngine = () => setupEngine({ loadDataset: (config, seed) => loadSamples(config, seed) });

/** The Playground's answers for `rows` from the model the engine loaded as `runId` (model.predict). */
async function enginePredict(w: World, runId: string): Promise<Answer[]> {
  const out: Answer[] = [];
  for (const input of w.inputs.rows) {
    const p = await w.engine.client.request('model.predict', { runId, input });
    expect(p.kind).toBe('probabilities');
    if (p.kind === 'probabilities') out.push({ classNames: p.classNames, predicted: p.predicted, values: p.values as number[] });
  }
  return out;
}

/** Predictions of `model` for the world's inputs, as the app's Playground answers them (model.predict on a LoadedModel). */
async function appPredict(model: TrainedModel, rows: number[][], checked?: ConstructorParameters<typeof LoadedModel>[3]): Promise<Answer[]> {
  const backend = await createBestBackend({ threads: 1 });
  try {
    const loaded = new LoadedModel('app', model, backend, checked);
    return rows.map((r) => {
      const p = loaded.predict(r) as unknown as Answer & { kind: string };
      expect(p.kind).toBe('probabilities');
      return { classNames: p.classNames, predicted: p.predicted, values: p.values };
    });
  } finally {
    backend.dispose?.();
  }
}

/** predict --json's answers. */
async function cliPredict(source: string, w: World): Promise<Outcome> {
  const r = await runCli(predictCli, [source, w.inputs.file, '--threads', '1', '--json']);
  if (r.code !== 0) return { ok: false, code: codeOf(r.err || r.out), message: r.err || r.out };
  const answers = r.out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Answer & { type: string })
    .filter((p) => p.type === 'prediction')
    .map((p) => ({ classNames: p.classNames, predicted: p.predicted, values: p.values }));
  return { ok: true, answers };
}

/** A project the CLI wrote (`import`, `train --export`) read back through predict: its answers. */
async function predictWritten(file: string, w: World): Promise<Outcome> {
  return cliPredict(file, w);
}

let fresh = 0;
const outPath = (w: World, name: string) => join(w.dir, 'out', `${++fresh}-${name}`);

/** Each entry point, run on one artifact. */
const ENTRY: Record<Entry, (a: Artifact, w: World) => Promise<Outcome>> = {
  async appOpen(a, w) {
    const stores = createWindowStores();
    // What the app then asks the engine: model.load (its weights streamed from beside the project), and the Playground's model.predict.
    const opened: LoadedModelInfo[] = [];
    const bridge = await webFileBridge(w.service);
    try {
      const host = { files: bridge.files, setTitle: () => {}, onCloseRequest: () => () => {} };
      const load = async (m: Record<string, unknown>, weights?: WeightsSource) => void opened.push((weights ? await sendWeightsToEngine(w.engine.client, m, weights) : await w.engine.client.request('model.load', { model: m }))!);
      const files = new ProjectFiles(stores, host, 1500, { modelForSave: async () => undefined, openedWithModel: (m, _name, weights) => load(m, weights) });
      const ok = await files.openPath(relative(w.dir, w.paths[a]));
      if (!ok) {
        const n = stores.session.getState().notice;
        return { ok: false, code: n?.code ?? codeOf(n?.message ?? ''), message: n?.message ?? '' };
      }
      await vi.waitFor(() => expect(opened.length + (stores.session.getState().notice?.kind === 'error' ? 1 : 0)).toBeGreaterThan(0), { timeout: 20_000 });
    } finally {
      await bridge.close();
    }
    if (!opened.length) return { ok: false, code: 'NOT_OPENED', message: stores.session.getState().notice?.message ?? '' };
    return { ok: true, answers: await enginePredict(w, opened[0].runId) };
  },
  async appImport(a, w) {
    const data = new Uint8Array(readFileSync(w.paths[a]));
    try {
      // model.import: the app's Import… of a model file; model.loadWeights: weights into the design the app has open.
      const weightsOnly = a === 'safetensors' || a === 'weightsPt';
      const info = weightsOnly ? await w.engine.client.request('model.loadWeights', { graph: w.graph, name: basename(w.paths[a]), data }) : await w.engine.client.request('model.import', { format: 'onnx', data });
      return { ok: true, answers: await enginePredict(w, info.runId) };
    } catch (e) {
      return { ok: false, code: (e as { code?: string }).code ?? 'UNCODED', message: (e as Error).message };
    }
  },
  async train(a, w) {
    const out = outPath(w, 'trained.json');
    // A stored run trains on as `--resume RUN --runs DIR` names it (its data and settings kept: one more epoch).
    const source = a === 'runFolder' ? ['--resume', basename(w.paths[a]), '--runs', dirname(w.paths[a])] : [w.paths[a]];
    const r = await runCli(trainCli, [...source, ...(a === 'runFolder' ? ['--epochs', '1'] : w.trainArgs), '--threads', '1', '--export', out]);
    if (r.code !== 0) return { ok: false, code: codeOf(r.err || r.out), message: r.err || r.out };
    return predictWritten(out, w);
  },
  async evaluate(a, w) {
    const r = await runCli(evaluateCli, [w.paths[a], ...w.evaluateArgs, '--threads', '1', '--json']);
    if (r.code !== 0) return { ok: false, code: codeOf(r.err || r.out), message: r.err || r.out };
    const result = r.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type?: string; loss?: number; metrics?: Record<string, number> })
      .at(-1)!;
    return { ok: true, loss: result.loss, accuracy: result.metrics?.accuracy };
  },
  predict: (a, w) => cliPredict(w.paths[a], w),
  async export(a, w) {
    const out = outPath(w, `exported.${w.exportFormat}`);
    const r = await runCli(exportCli, [w.paths[a], '--format', w.exportFormat, '--out', out]);
    if (r.code !== 0) return { ok: false, code: codeOf(r.err || r.out), message: r.err || r.out };
    return predictWritten(out, w);
  },
  async import(a, w) {
    const out = outPath(w, 'imported.netwright.json');
    const weightsOnly = a === 'safetensors' || a === 'weightsPt';
    const r = await runCli(importCli, [w.paths[a], ...(weightsOnly ? ['--design', w.paths.modelJson] : []), '--out', out]);
    if (r.code !== 0) return { ok: false, code: codeOf(r.err || r.out), message: r.err || r.out };
    return predictWritten(out, w);
  },
};

/** Every artifact of the model `modelJson` trained (its run under `runs`), written as the app and the CLIs write them. */
export async function writeArtifacts(w: Omit<World, 'paths'>, modelJson: string, runs: string): Promise<Record<Artifact, string>> {
  const run = join(runs, readdirSync(runs).find((n) => /^\d{8}-\d{6}-[0-9a-z]{4}$/.test(n))!);
  const onnx = join(w.dir, 'model.onnx');
  const st = join(w.dir, 'model.safetensors');
  const pt = join(w.dir, 'model-pytorch');
  for (const [format, out] of [['onnx', onnx], ['safetensors', st], ['pytorch', pt]] as const) {
    const r = await runCli(exportCli, [modelJson, '--format', format, '--out', out]);
    expect(r.code, r.err).toBe(0);
  }
  // The app's Save: the design and its trained model, the weights sent to the host in parts and kept beside the project.
  const model = JSON.parse(readFileSync(modelJson, 'utf8')) as Record<string, unknown>;
  const stores = createWindowStores();
  const bridge = await webFileBridge(w.service);
  const files = new ProjectFiles(stores, { files: bridge.files, setTitle: () => {}, onCloseRequest: () => () => {} }, 1500, { modelForSave: async () => ({ model }), openedWithModel: () => {} });
  stores.editor.getState().load(bareGraphDoc(w.graph), { name: 'digits' }, {}, true);
  expect(await files.saveAsName('digits')).toBe(true);
  await bridge.close();
  const project = join(w.dir, 'digits.netwright.json');
  expect(readdirSync(w.dir).some((n) => /^digits\.netwright\.weights-[0-9a-f]{16}\.safetensors$/.test(n))).toBe(true);
  return { project, modelJson, onnx, safetensors: st, weightsPt: join(pt, 'weights.pt'), runFolder: run, pytorchProject: pt };
}

/** Run every cell; answers each cell's outcome. */
async function runMatrix(w: World): Promise<Record<string, Outcome>> {
  const outcomes: Record<string, Outcome> = {};
  for (const a of ARTIFACTS) {
    for (const e of ENTRIES) {
      if (EXPECTED[a][e] === 'n/a' || (w.workingOnly && !EXPECTED[a][e].startsWith('works'))) continue;
      outcomes[`${a} × ${e}`] = await ENTRY[e](a, w);
    }
  }
  return outcomes;
}

/** Each cell as expected, and every working reading answers as the reference does. */
function checkMatrix(outcomes: Record<string, Outcome>, reference: Answer[], evaluation: { loss: number; accuracy: number }, trainedAgain: Set<Entry>): void {
  const got: Record<string, string> = {};
  const want: Record<string, string> = {};
  for (const [cell, o] of Object.entries(outcomes)) {
    const [a, e] = cell.split(' × ') as [Artifact, Entry];
    want[cell] = EXPECTED[a][e];
    got[cell] = o.ok ? 'works' : o.code;
    if (!o.ok && o.code !== EXPECTED[a][e]) got[cell] += ` (${o.message.trim().slice(0, 300)})`;
  }
  expect(got).toEqual(want);
  for (const [cell, o] of Object.entries(outcomes)) {
    const e = cell.split(' × ')[1] as Entry;
    if (!o.ok) continue;
    if (o.answers && trainedAgain.has(e)) {
      // Trained on: other weights, the same classes for each input.
      expect(o.answers.map((p) => p.classNames), cell).toEqual(reference.map((p) => p.classNames));
    } else if (o.answers) {
      expect(o.answers.length, cell).toBe(reference.length);
      o.answers.forEach((p, i) => {
        expect(p.classNames, cell).toEqual(reference[i].classNames);
        expect(p.predicted, `${cell}: sample ${i}`).toBe(reference[i].predicted);
        expect(p.values.length, cell).toBe(reference[i].values.length);
        p.values.forEach((v, k) => expect(Math.abs(v - reference[i].values[k]), `${cell}: sample ${i}, class ${k}`).toBeLessThan(1e-4));
      });
    }
    if (o.loss !== undefined) {
      expect(Math.abs(o.loss - evaluation.loss), cell).toBeLessThan(1e-4 * Math.max(1, evaluation.loss));
      expect(o.accuracy, cell).toBeCloseTo(evaluation.accuracy, 6);
    }
  }
}

/** Run every cell of `w` and check it: each cell as EXPECTED, each reading as the trained model. */
export async function matrixHolds(w: World): Promise<void> {
  const outcomes = await runMatrix(w);
  const trained = modelFromJSON(JSON.parse(readFileSync(w.paths.modelJson, 'utf8')));
  // The trained model reads normalised input: a reading that lost the normalisation answers otherwise.
  expect(trained.normalization).toBeDefined();
  const ev = outcomes['modelJson × evaluate'];
  expect(ev.ok).toBe(true);
  checkMatrix(outcomes, await appPredict(trained, w.inputs.rows), ev as { loss: number; accuracy: number }, new Set(['train']));
}

export { evaluateCli, FileService, importCli, loadDataset, npy, predictCli, runCli, torchvisionFixtures, trainCli, writeDigitFolder };
export type { GraphIR };
