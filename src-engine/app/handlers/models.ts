import type { ServiceHandlers } from '../../protocol/rpc';
import { MAX_IMPORT_BYTES, type ExportSource, type LoadedModelInfo, type modelService } from '../../protocol';
import { EXPORT_FORMATS, checkExportSettings, describeFormat, exportFormat, exportName } from '../../core/export/formats';
import { ExportError, type ExportErrorCode } from '../../core/export/bundle';
import { modelFromJSON, modelToJSON } from '../../core/export/json';
import { OnnxError } from '../../core/export/onnx';
import { importOnnxAsync, importWarningTexts, onnxSummary, type OnnxImport } from '../../core/import/onnx';
import { assertLoadable, ModelError, type TrainedModel } from '../../core/export/model';
import { loadWeightsAsync } from '../../core/import/state-dict';
import { modelFromProjectWeights, projectWeightsFile } from '../../core/export/project-weights';
import { initialModel } from '../../core/export/initial';
import { checkedOrThrow } from '../../core/analysis/checked';
import { base64ToBytes } from '../../base/base64';
import { LoadedModel, explainSample, generateSamples } from '../session';
import { sampleText } from '../../core/export/sample-text';
import { sanitize } from '../session/session-events';
import { checkedGraph, coded, probeSamples, type ServiceContext } from './context';
import { inMemory, isStreamed, sampleFeatures, withInputShape, type Samples } from '../../core/data';
import { evaluateModel, prepareForEvaluation } from '../../core/train';
import { compileGraph } from '../../core/autodiff/executor';
import type { DatasetConfig } from '../../base/ir/types';
import type { CheckedGraph } from '../../core/analysis/checked';
import { hasClasses, taskOf } from '../../catalog/tasks';
import { storedBaselines } from '../../core/metrics/baselines';
import type { MetricValues } from '../../core/metrics/accumulator';
import { QuantizeError } from '../../core/quantize/errors';
import { quantizationReport } from '../../core/quantize/report';
import type { QuantizePhase } from '../../catalog/calibration';

/**
 * Models: `model.load` (a reopened project's weights), `model.import` (ONNX) and
 * `model.loadWeights` (safetensors, a torch.save state dict, into the design) make a loaded model; `model.predict`, `model.explain`, `model.generate` and `model.sampleText` answer for it or for the current run's weights;
 * `model.evaluate` measures them on a dataset split without training (the CLI's `npm run evaluate`);
 * `model.export` writes the current run's, the loaded model's or a stored run's; `model.quantize`
 * measures their int8 form beside float32 (core/quantize/report.ts).
 */
export function modelHandlers(ctx: ServiceContext): ServiceHandlers<typeof modelService> {
  /** The loaded model when `runId` names it, else the current run's session. */
  const predictor = (runId: string) => {
    const loaded = ctx.model.loaded;
    return loaded?.runId === runId ? loaded : ctx.run.session(runId);
  };
  return {
    'model.predict': ({ runId, input, normalized, text }) => predictor(runId).predict(input, normalized ?? false, text),
    'model.explain': ({ runId, ...p }) => {
      const source = predictor(runId);
      const [model, shape] = source instanceof LoadedModel ? [source.model, source.featureShape] : [source.currentModel(), source.featureShape];
      return ctx.withBackend((backend) => explainSample(model, shape, p, backend));
    },
    'model.generate': ({ runId, ...p }) => {
      const source = predictor(runId);
      return generateSamples(source instanceof LoadedModel ? source.model : source.currentModel(), p);
    },
    'model.sampleText': ({ runId, ...p }) => {
      const source = predictor(runId);
      return { text: sampleText(source instanceof LoadedModel ? source.model : source.currentModel(), p) };
    },
    'model.evaluate': async ({ runId, graph, split }) => {
      const source = predictor(runId);
      const model = source instanceof LoadedModel ? source.model : source.currentModel();
      const g = checkedGraph(graph ?? model.graph);
      const host = ctx.host();
      const config = withInputShape(g.training.dataset, g.ir);
      const data = prepareForEvaluation(await host.loadDataset(config, g.training.seed), config, g.training.seed, model.normalization, model.targetNormalization);
      const evaluation = await ctx.withBackend((backend) => evaluateModel(g, model, data, backend, { compile: compileGraph, ...(split ? { split } : {}) }));
      return { ...evaluation, metrics: sanitize(evaluation.metrics) };
    },
    'model.export': ({ source, format, settings }) => exportModel(ctx, source, format, settings),
    'model.exportOpen': async ({ source, format, settings, keepFloat }, { signal }) => {
      const { files, ...made } = await exportModel(ctx, source, format, settings, keepFloat);
      // Cancelled while it was made: nothing is held (the page never learns a handle to close).
      if (signal.aborted) throw coded('E_EXPORT_CANCELLED', 'The export was cancelled; nothing was kept.');
      return { ...made, handle: ctx.exports.hold({ kind: made.kind, files }), files: files.map((f) => ({ path: f.path, bytes: f.data.length })) };
    },
    'model.exportRead': ({ handle, file, offset }) => ({ data: ctx.exports.read(handle, file, offset) }),
    'model.weightsOpen': ({ source }) => {
      const file = projectWeightsFile(sourceModel(ctx, source));
      return { handle: ctx.exports.holdFiles([file]), model: file.model, bytes: file.bytes };
    },
    'model.weightsBegin': ({ bytes }) => {
      const host = ctx.env.training;
      for (const [limit, what] of [
        [host?.memoryLimitBytes, 'the share of this machine\'s memory the engine may use (NETWRIGHT_MEMORY_SHARE, half by default)'],
        [host?.backendMemoryLimitBytes, 'what the CPU backend\'s memory can grow to'],
      ] as const) {
        if (limit !== undefined && Number.isFinite(limit) && bytes > limit) throw coded('E_MODEL_TOO_LARGE', `The project's weights are ${sizeText(bytes)}, more than ${what}: ${sizeText(limit)}. The design opens without them; open the project on a machine with more memory, or make the model smaller.`);
      }
      return { id: ctx.model.receiveWeights(bytes) };
    },
    'model.weightsAppend': ({ id, offset, data }) => {
      const weights = ctx.model.weightsReceiving(id);
      try {
        weights.push(offset, data);
      } catch (e) {
        // A transfer that went wrong is dropped whole: nothing half-received is ever loaded.
        ctx.model.takeWeights(id);
        throw e;
      }
      return { received: weights.at };
    },
    'model.exportClose': ({ handle }) => (ctx.exports.close(handle), {}),
    'model.quantize': async ({ source, method, samples, progressId, keepFloat }, { signal }) => {
      const model = sourceModel(ctx, source);
      const t = model.graph.training;
      if (!t || !ctx.env.training) throw new QuantizeError('E_QUANTIZE_DATA', 'The model has no training settings naming its data, so there is nothing to calibrate it on: quantise it with netwright quantize --data.');
      // Its own training split, at the shape the run was fed, as training loads it.
      const loaded = await ctx.env.training.loadDataset(withInputShape(t.dataset, model.graph), t.seed);
      // On the engine's backend: its int8 kernels run the int8 side (core/quantize/runtime.ts), its float kernels the float side.
      const onProgress = progressId === undefined ? undefined : (p: { phase: QuantizePhase; done: number; total: number }) => ctx.emit('quantize.progress', { progressId, ...p });
      return ctx.withBackend((backend) => quantizationReport(model, loaded, method, samples, backend, { signal, ...(onProgress ? { onProgress } : {}), ...(keepFloat ? { keepFloat } : {}) }));
    },
    'model.samples': async ({ runId, dataset, seed }) => {
      const loaded = ctx.model.loaded;
      if (loaded?.runId !== runId) throw coded('E_TRAIN_NO_RUN', `There is no loaded model "${runId}" (another model or a run replaced it).`);
      return { probeSamples: await datasetSamples(ctx, loaded, dataset as DatasetConfig, seed ?? 1) };
    },
    'model.load': (p) => {
      if ('weights' in p) return loadModel(ctx, modelFromProjectWeights(p.model, ctx.model.takeWeights(p.weights)));
      if (!('staged' in p)) return loadModel(ctx, modelFromJSON(p.model));
      const { model, checked } = ctx.model.takeStaged(p.staged);
      return loadModel(ctx, model, checked);
    },
    'model.loadWeights': async ({ graph, name, data }, { signal }) => {
      let bytes: Uint8Array;
      try {
        bytes = typeof data === 'string' ? base64ToBytes(data) : data;
      } catch (e) {
        throw new ModelError('E_WEIGHTS_FILE', `${name} did not arrive intact (${(e as Error).message}).`);
      }
      // Read in slices: the engine answers a ping, and hears a cancel, while a large file is read.
      return loadModel(ctx, await withDesignReading(ctx, await loadWeightsAsync(checkedOrThrow(graph).ir, bytes, name, { signal })));
    },
    'model.formats': () => ({ formats: EXPORT_FORMATS.map(describeFormat) }),
    'model.import': async (p, { signal }) => {
      const imported = await readModel(ctx, p, signal);
      return { ...(await loadModel(ctx, imported.model, imported.checked)), ...answer(imported) };
    },
    'model.inspect': async (p, { signal }) => {
      const bytes = importBytes(ctx, p);
      return onnxSummary(bytes, await importOnnxAsync(bytes, { signal }));
    },
    'model.read': async (p, { signal }) => {
      const imported = await readModel(ctx, p, signal);
      // Refused now, before the app asks to discard the open design for weights it cannot load.
      assertLoadable(imported.model);
      // The graph alone, as the import checked it (the app opens it without reading it again): the weights wait in the engine (Save exports them from the loaded model).
      return { staged: ctx.model.stage(imported.model, imported.checked), graph: imported.checked.ir as unknown as Record<string, unknown>, restored: imported.restored, warnings: warningTexts(imported) };
    },
  };
}

/** `n` bytes as people read a memory size: `470 MB`, `4.2 GB`. */
const sizeText = (n: number) => (n >= 1e9 ? `${(n / 1e9).toFixed(1)} GB` : `${Math.round(n / 1e6)} MB`);

/**
 * Weights loaded into a design, with what the file did not keep of how the model reads its input:
 * a state_dict (weights.pt) has tensors only, so a design whose data is normalised would predict
 * on raw input, and name no classes. Both come from the design's own data, prepared as a run
 * from it prepares them (its split and seed): what the weights were trained with when they were
 * trained from this design, here or by its exported train.py. Data that cannot be read leaves the
 * model as the file gave it.
 */
async function withDesignReading(ctx: ServiceContext, model: TrainedModel): Promise<TrainedModel> {
  const t = model.graph.training;
  if (!t || (model.normalization && model.classNames)) return model;
  try {
    const data = await ctx.loadPrepared(t.dataset, t.seed, model.graph);
    const classNames = data.train.classNames;
    return {
      ...model,
      ...(!model.normalization && data.normalization ? { normalization: data.normalization } : {}),
      ...(!model.classNames && classNames?.length ? { classNames: [...classNames] } : {}),
    };
  } catch (e) {
    ctx.log?.('warn', `model.loadWeights: the design's data gave no normalisation or classes (${(e as Error).message})`);
    return model;
  }
}

/** The model a source names: the current run's weights now, the loaded model, or a stored run's checkpoint. */
function sourceModel(ctx: ServiceContext, source: ExportSource): TrainedModel {
  if (source.kind === 'run') return ctx.runStore().model(source.id, source.which);
  if (source.kind === 'initial') return initialModel(source.graph);
  const loaded = ctx.model.loaded;
  const run = ctx.run.current;
  if (source.kind === 'loaded') {
    if (loaded?.runId === source.runId) return loaded.model;
    throw new ExportError('E_EXPORT_NO_WEIGHTS', 'Those weights are no longer loaded in the engine (it restarted, or another model was loaded since): import the model again, or train, then save.');
  }
  // Both: weights loaded while the run trained (another project opened, #32 item 8); the UI still shows the run.
  if (loaded && !run) return loaded.model;
  if (!run) throw new ExportError('E_EXPORT_NO_WEIGHTS', 'There are no trained weights yet: train the network (or open a project saved with its weights), then export.');
  if (run.session.step === 0) throw new ExportError('E_EXPORT_NO_WEIGHTS', 'The run has not taken a training step yet, so there are no trained weights to export; let it train a little first.');
  return run.session.currentModel();
}

async function exportModel(ctx: ServiceContext, source: ExportSource, formatId: string, asked?: Record<string, string>, keepFloat?: readonly string[]) {
  const format = exportFormat(formatId);
  if (!format) throw new ExportError('E_EXPORT_FORMAT', `There is no export format "${formatId}"; choose ${EXPORT_FORMATS.map((f) => f.id).join(', ')}.`);
  const settings = checkExportSettings(format, asked);
  const model = sourceModel(ctx, source);
  const t = model.graph.training;
  let data;
  if (format.needsData && t && ctx.env.training) {
    try {
      // At the shape the run was fed (an image folder at its features Input's), as training loads it.
      const loaded = await ctx.env.training.loadDataset(withInputShape(t.dataset, model.graph), t.seed);
      // A folder streamed from disk is not bundled: its files are listed and train.py reads them.
      // Other streamed samples (none today) would have to be in memory to be bundled.
      const usable = (s: Samples | undefined) => (s && isStreamed(s) && s.files ? s : s && inMemory(s, 'exporting its samples'));
      data = { ...loaded, train: usable(loaded.train)!, test: usable(loaded.test), val: usable(loaded.val) };
    } catch (e) {
      // train.py then says the samples were not exported; model.py and the weights still are.
      ctx.log?.('warn', `export: dataset not included (${(e as Error).message})`);
    }
  }
  const pageRuntime = format.needsPageRuntime ? ctx.env.training?.pageRuntime?.() : undefined;
  const bundle = format.export(model, { settings, ...(data ? { data } : {}), ...(keepFloat?.length ? { keepFloat } : {}), ...(pageRuntime !== undefined ? { pageRuntime } : {}), onProgress: (fraction, what) => ctx.emit('export.progress', { format: format.id, fraction, what }) });
  const warning = divergedWarning(ctx, source);
  return { format: format.id, kind: bundle.kind, name: exportName(`${model.graph.name ?? 'model'}${model.origin?.untrained ? ' (untrained)' : ''}`, format), files: bundle.files, ...(bundle.holds ? { holds: bundle.holds } : {}), ...(warning ? { warning } : {}) };
}

/**
 * `E_EXPORT_DIVERGED` when the weights exported are a diverged run's: the divergence guard held
 * the run (`train.diverged`) and it was never resumed from there — it is held now, or it ended
 * held (the run store's status `diverged`). Its outputs are of no use (a loss in the millions,
 * logits near 1e32): the app asks before it writes them. A run resumed from the last good weights
 * after a divergence is not one.
 */
function divergedWarning(ctx: ServiceContext, source: ExportSource): { code: Extract<ExportErrorCode, 'E_EXPORT_DIVERGED'>; message: string } | undefined {
  const run = ctx.run.current;
  const id = source.kind === 'run' ? source.id : source.kind === 'current' && !(ctx.model.loaded && !run) ? run?.record : undefined;
  const held = source.kind === 'current' && run?.session.status === 'diverged';
  let stored: ReturnType<ReturnType<ServiceContext['runStore']>['open']> | undefined;
  try {
    stored = id ? ctx.runStore().open(id) : undefined;
  } catch {
    // No run store, or a run it cannot read: only a run held now is known to have diverged.
  }
  if (!held && stored?.meta.status !== 'diverged') return undefined;
  const last = stored?.records.filter((r) => r.kind === 'event' && r.event === 'diverged').at(-1);
  const d = last?.kind === 'event' ? (last.data as { step?: number; cause?: string; nodeId?: string }) : undefined;
  const where = d?.step !== undefined ? ` at step ${d.step}${d.nodeId ? ` (${d.nodeId})` : ''}` : '';
  const why = d?.cause === 'nonfinite' ? 'a value became NaN or infinite' : 'the loss exploded';
  return {
    code: 'E_EXPORT_DIVERGED',
    message: `This run diverged${where}: ${why}, and it ${held ? 'is held there' : 'ended there'}. Its weights give outputs of no use (predictions near chance, values that overflow). Export a run that finished, or resume this one with a lower learning rate first.`,
  };
}

/**
 * Read an ONNX file, sent as bytes or base64, or named by a path the engine reads itself where it
 * may read data (web mode's upload; a path elsewhere is refused, `DATA_NOT_ALLOWED`). Nothing
 * changes when it cannot be read: the error lists the unsupported nodes. The request's cancel
 * stops the read (`E_CANCELLED`).
 */
function readModel(ctx: ServiceContext, p: { data: string | Uint8Array } | { path: string }, signal: AbortSignal): Promise<OnnxImport> {
  return importOnnxAsync(importBytes(ctx, p), { signal });
}

/** The bytes of an ONNX file sent (bytes or base64) or named by a path the engine may read. */
function importBytes(ctx: ServiceContext, p: { data: string | Uint8Array } | { path: string }): Uint8Array {
  if ('path' in p) {
    const read = ctx.env.training?.readModelFile;
    if (!read) throw coded('E_IMPORT', 'This engine reads no model files by path; send the file itself.');
    return read(p.path, MAX_IMPORT_BYTES);
  }
  try {
    return typeof p.data === 'string' ? base64ToBytes(p.data) : p.data;
  } catch (e) {
    throw new OnnxError('E_IMPORT_FORMAT', [{ code: 'E_IMPORT_FORMAT', message: `The file did not arrive intact (${(e as Error).message}).` }]);
  }
}

const warningTexts = (imported: OnnxImport) => importWarningTexts(imported.warnings);

/** What an import answers besides the load: the model as a `netwright.model` object, `restored`, the warnings. */
function answer(imported: OnnxImport) {
  return { model: modelToJSON(imported.model, imported.checked) as unknown as Record<string, unknown>, restored: imported.restored, warnings: warningTexts(imported) };
}

/** Make `model` the loaded model (replacing the current run unless it still trains), with a few test samples for the Playground's picker when the dataset is at hand. */
async function loadModel(ctx: ServiceContext, model: TrainedModel, checked?: CheckedGraph): Promise<LoadedModelInfo> {
  ctx.host();
  ctx.replaceLoaded();
  const loaded = await ctx.withBackend((backend) => {
    const m = new LoadedModel(`run-${ctx.nextId()}`, model, backend, checked);
    ctx.model.load(m, backend);
    return m;
  }, true);
  let probe = probeSamples(loaded.featureShape, new Float32Array(0), null, 0, 0, { table: model.table });
  const t = model.graph.training;
  if (t) {
    try {
      probe = await datasetSamples(ctx, loaded, t.dataset, t.seed);
    } catch (e) {
      ctx.log?.('warn', `model.load: no sample inputs (${(e as Error).message})`);
    }
  }
  return { runId: loaded.runId, task: loaded.task, classNames: [...(model.classNames ?? [])], probeSamples: probe, ...(model.origin ? { origin: model.origin } : {}), ...(model.metrics ? { metrics: model.metrics } : {}), ...storedBaselines(model.baselines, model.metrics?.test as MetricValues | undefined, t?.metrics.length ? t.metrics : taskOf(loaded.task).defaultMetrics) };
}

/**
 * A few test samples (else validation, else training) of `dataset`, read at the loaded model's
 * input shape, for its Playground; refused, coded, when they do not fit its input.
 */
async function datasetSamples(ctx: ServiceContext, loaded: LoadedModel, dataset: DatasetConfig, seed: number) {
  const data = await ctx.loadPrepared(dataset, seed, loaded.model.graph);
  const ds = data.test.count ? data.test : data.val.count ? data.val : data.train;
  const want = loaded.featureShape.reduce((a, b) => a * b, 1);
  if (ds.featureShape.reduce((a, b) => a * b, 1) !== want) {
    throw coded('E_PREDICT_SHAPE', `The dataset's samples (${ds.featureShape.join('×')}) do not fit the loaded model's input (${loaded.featureShape.join('×')}).`);
  }
  return probeSamples(ds.featureShape, sampleFeatures(ds, 0, 8), ds.targets, Math.min(8, ds.count), hasClasses(ds.task) ? 1 : ds.targets.length / Math.max(1, ds.count), { text: ds.text, table: loaded.model.table ?? ds.table, normalization: data.normalization, targetNormalization: data.targetNormalization });
}
