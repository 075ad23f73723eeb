import type { Handlers } from '../../protocol/rpc';
import type { ExportSource, LoadedModelInfo } from '../../protocol/messages';
import { EXPORT_FORMATS, checkExportSettings, describeFormat, exportFormat, exportName } from '../../core/export/formats';
import { ExportError } from '../../core/export/bundle';
import { modelFromJSON, modelToJSON } from '../../core/export/json';
import { OnnxError, importOnnx } from '../../core/export/onnx';
import type { TrainedModel } from '../../core/export/model';
import { base64ToBytes } from '../../base/base64';
import { LoadedModel, generateSamples } from '../session';
import { sampleText } from '../../core/export/sample-text';
import { coded, probeSamples, type ServiceContext } from './context';
import { inMemory, isStreamed, sampleFeatures, type Samples } from '../../core/data';
import { migrateGraph } from '../../base/ir/migrate';
import type { DatasetConfig } from '../../base/ir/types';

/**
 * Models: `model.load` (a reopened project's weights) and `model.import` (ONNX) make a loaded
 * model; `model.predict`, `model.generate` and `model.sampleText` answer for it or for the current run's weights;
 * `model.export` writes the current run's, the loaded model's or a stored run's.
 */
export function modelHandlers(ctx: ServiceContext): Handlers {
  /** The loaded model when `runId` names it, else the current run's session. */
  const predictor = (runId: string) => (ctx.loaded?.model.runId === runId ? ctx.loaded.model : ctx.session(runId));
  return {
    'model.predict': ({ runId, input, normalized }) => predictor(runId).predict(input, normalized ?? false),
    'model.generate': ({ runId, ...p }) => {
      const source = predictor(runId);
      return generateSamples(source instanceof LoadedModel ? source.model : source.currentModel(), p);
    },
    'model.sampleText': ({ runId, ...p }) => {
      const source = predictor(runId);
      return { text: sampleText(source instanceof LoadedModel ? source.model : source.currentModel(), p) };
    },
    'model.export': ({ source, format, settings }) => exportModel(ctx, source, format, settings),
    'model.samples': async ({ runId, dataset, seed }) => {
      const loaded = ctx.loaded?.model;
      if (loaded?.runId !== runId) throw coded('E_TRAIN_NO_RUN', `There is no loaded model "${runId}" (another model or a run replaced it).`);
      return { probeSamples: await datasetSamples(ctx, loaded, dataset as DatasetConfig, seed ?? 1) };
    },
    'model.load': (p) => loadModel(ctx, 'staged' in p ? ctx.takeStaged(p.staged) : modelFromJSON(p.model)),
    'model.formats': () => ({ formats: EXPORT_FORMATS.map(describeFormat) }),
    'model.import': async ({ data }) => {
      const imported = readModel(data);
      return { ...(await loadModel(ctx, imported.model)), ...answer(imported) };
    },
    'model.read': ({ data }) => {
      const imported = readModel(data);
      // The graph alone: the weights wait in the engine (Save exports them from the loaded model).
      return { staged: ctx.stage(imported.model), graph: migrateGraph(imported.model.graph).json as unknown as Record<string, unknown>, restored: imported.restored, warnings: warningTexts(imported) };
    },
  };
}

/** The model a source names: the current run's weights now, the loaded model, or a stored run's checkpoint. */
function sourceModel(ctx: ServiceContext, source: ExportSource): TrainedModel {
  if (source.kind === 'run') return ctx.runStore().model(source.id, source.which);
  if (source.kind === 'loaded') {
    if (ctx.loaded?.model.runId === source.runId) return ctx.loaded.model.model;
    throw new ExportError('E_EXPORT_NO_WEIGHTS', 'Those weights are no longer loaded in the engine (it restarted, or another model was loaded since): import the model again, or train, then save.');
  }
  // Both: weights loaded while the run trained (another project opened, #32 item 8); the UI still shows the run.
  if (ctx.loaded && !ctx.run) return ctx.loaded.model.model;
  if (!ctx.run) throw new ExportError('E_EXPORT_NO_WEIGHTS', 'There are no trained weights yet: train the network (or open a project saved with its weights), then export.');
  if (ctx.run.session.step === 0) throw new ExportError('E_EXPORT_NO_WEIGHTS', 'The run has not taken a training step yet, so there are no trained weights to export; let it train a little first.');
  return ctx.run.session.currentModel();
}

async function exportModel(ctx: ServiceContext, source: ExportSource, formatId: string, asked?: Record<string, string>) {
  const format = exportFormat(formatId);
  if (!format) throw new ExportError('E_EXPORT_FORMAT', `There is no export format "${formatId}"; choose ${EXPORT_FORMATS.map((f) => f.id).join(', ')}.`);
  const settings = checkExportSettings(format, asked);
  const model = sourceModel(ctx, source);
  const t = model.graph.training;
  let data;
  if (format.needsData && t && ctx.env.training) {
    try {
      const loaded = await ctx.env.training.loadDataset(t.dataset, t.seed);
      // A folder streamed from disk is not bundled: its files are listed and train.py reads them.
      // Other streamed samples (none today) would have to be in memory to be bundled.
      const usable = (s: Samples | undefined) => (s && isStreamed(s) && s.files ? s : s && inMemory(s, 'exporting its samples'));
      data = { ...loaded, train: usable(loaded.train)!, test: usable(loaded.test), val: usable(loaded.val) };
    } catch (e) {
      // train.py then says the samples were not exported; model.py and the weights still are.
      ctx.log?.('warn', `export: dataset not included (${(e as Error).message})`);
    }
  }
  const bundle = format.export(model, { settings, ...(data ? { data } : {}), onProgress: (fraction, what) => ctx.emit('export.progress', { format: format.id, fraction, what }) });
  return { format: format.id, kind: bundle.kind, name: exportName(model.graph.name ?? 'model', format), files: bundle.files, ...(bundle.holds ? { holds: bundle.holds } : {}) };
}

/** Read an ONNX file, sent as bytes or base64 (nothing changes when it cannot be read: the error lists the unsupported nodes). */
function readModel(data: string | Uint8Array) {
  let bytes: Uint8Array;
  try {
    bytes = typeof data === 'string' ? base64ToBytes(data) : data;
  } catch (e) {
    throw new OnnxError('E_IMPORT_FORMAT', [{ code: 'E_IMPORT_FORMAT', message: `The file did not arrive intact (${(e as Error).message}).` }]);
  }
  return importOnnx(bytes);
}

const warningTexts = (imported: ReturnType<typeof importOnnx>) => imported.warnings.map((w) => w.message);

/** What an import answers besides the load: the model as a `netwright.model` object, `restored`, the warnings. */
function answer(imported: ReturnType<typeof importOnnx>) {
  return { model: modelToJSON(imported.model) as unknown as Record<string, unknown>, restored: imported.restored, warnings: warningTexts(imported) };
}

/** Make `model` the loaded model (replacing the current run unless it still trains), with a few test samples for the Playground's picker when the dataset is at hand. */
async function loadModel(ctx: ServiceContext, model: TrainedModel): Promise<LoadedModelInfo> {
  ctx.host();
  ctx.replaceLoaded();
  const loaded = await ctx.withBackend((backend) => {
    const m = new LoadedModel(`run-${ctx.nextId()}`, model, backend);
    ctx.loaded = { model: m, backend };
    ctx.weights = model;
    return m;
  }, true);
  let probe = probeSamples(loaded.featureShape, new Float32Array(0), null, 0, 0);
  const t = model.graph.training;
  if (t) {
    try {
      probe = await datasetSamples(ctx, loaded, t.dataset, t.seed);
    } catch (e) {
      ctx.log?.('warn', `model.load: no sample inputs (${(e as Error).message})`);
    }
  }
  return { runId: loaded.runId, task: loaded.task, classNames: [...(model.classNames ?? [])], probeSamples: probe, ...(model.origin ? { origin: model.origin } : {}), ...(model.metrics ? { metrics: model.metrics } : {}) };
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
  return probeSamples(ds.featureShape, sampleFeatures(ds, 0, 8), ds.targets, Math.min(8, ds.count), ds.task === 'classification' ? 1 : ds.targets.length / Math.max(1, ds.count));
}
