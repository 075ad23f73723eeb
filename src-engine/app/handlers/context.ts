import type { Logger } from '../../protocol/rpc';
import type { ComputeBackendInfo, DataScanRequest, DataScanResult, EngineInfo, EventData, StartInfo } from '../../protocol';
import { checkedOrThrow, type CheckedGraph } from '../../core/analysis/checked';
import { checkedDesign, heldDataBytes, runOptimizerSlots, type EngineResidence, type ProbeBatchRequest, trainingMemoryVerdict, type MemoryLimits, type MemoryVerdict, type RunMemoryEstimate } from '../../core/analysis/memory';
import type { DatasetConfig, GraphIR, TrainingConfig } from '../../base/ir/types';
import type { ComputeChoice } from '../../base/schemas';
import type { Backend } from '../../core/backend/types';
import type { AcquireGpu } from '../../core/gpu/select';
import { decodeTableRow, labelledSampleText, prepareData, undoNormalization, withInputShape, restoredTargets, type TargetNormalization, type LoadedDataset, type Normalization, type PreparedData, type Samples, type TableEncoding, type TextEncoding } from '../../core/data';
import type { SessionEmit } from '../session';
import type { RunStoreApi } from '../runs/recorder';
import type { FeatureSpill } from '../../core/train/types';
import type { TrainedModel } from '../../core/export/model';
import { coded } from './coded';
import { ModelSlot } from './model-slot';
import { RunSlot } from './run-slot';
import { SweepSlot } from './sweep-slot';
import { ExportSlot } from './export-slot';

export { coded } from './coded';

/**
 * What training needs from the runtime: loading datasets (files, npm packages) and creating the
 * compute backend (WebAssembly threads) are runtime-specific, so the entry injects them.
 */
export interface TrainingHost {
  loadDataset(config: DatasetConfig, seed: number): LoadedDataset<Samples> | Promise<LoadedDataset<Samples>>;
  /** Look at a user's data for the add-data flow (node/data-scan.ts), under the same access rules as `loadDataset`; absent: `data.scan` answers `E_DATA_SCAN_UNAVAILABLE`. */
  scanData?(request: DataScanRequest, progress: (p: EventData<'data.scanProgress'>) => void, signal: AbortSignal): Promise<DataScanResult>;
  /** An image file's bytes as a sample of `shape`, decoded and converted as training's loader does (node/image-sample.ts), or why it cannot be; absent: `data.imageSample` answers `E_PREDICT_INPUT`. */
  decodeImage?(bytes: Uint8Array, shape: readonly number[]): Float32Array | string;
  /** The web demo's browser script (node/web-demo-runtime.ts) for an export format with `needsPageRuntime`; absent or undefined: that export answers `E_EXPORT_UNSUPPORTED`. */
  pageRuntime?(): string | undefined;
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
  /** The engine's resident memory and array buffers now, in bytes (`process.memoryUsage()`: the base of a run's memory estimate, `residentForRun`); absent: not counted. */
  memoryUsage?: () => { rss: number; arrayBuffers: number };
  /** Training elsewhere than in the engine (`runs.launch`, `runs.cancel`: node/elsewhere-host.ts); absent: refused (`E_TARGET_UNAVAILABLE`). */
  elsewhere?: ElsewhereHost;
}

/** A design to train on a target (`runs.launch`): checked, its data as loaded and as prepared. */
export interface ElsewhereLaunch {
  /** The target as `--on` spells it (`torchrun:2`). */
  target: string;
  checked: CheckedGraph;
  loaded: LoadedDataset<Samples>;
  data: PreparedData<Samples>;
  project?: string;
  projectId?: string;
  device: ComputeChoice;
  /** The weights the design starts from (`training.startFrom`, `startWeights`), laid over its first weights as the CLI's `--on` does. */
  from?: TrainedModel;
}

/** What launches and ends runs elsewhere, as `netwright train --on` and `netwright runs cancel` do (the same code). */
export interface ElsewhereHost {
  /** Start the job and record its run; answers once both are done (the job then goes on, followed into the run store). */
  launch(plan: ElsewhereLaunch): Promise<{ runId: string; target: string; jobId: string }>;
  /** End a running run's job (it is recorded `stopped` once the job has ended). */
  cancel(runId: string): { id: string; target: string; jobId: string };
}

/** What the runtime entry knows about where the engine runs. */
export interface EngineEnvironment {
  runtime: EngineInfo['runtime'];
  pid: number;
  backend: ComputeBackendInfo;
  /** Absent: the `train.*`, `dataset.preview` and `model.predict` methods answer `E_TRAIN_UNAVAILABLE`. */
  training?: TrainingHost;
}

/**
 * What the handler groups of one connection share: the services that own its state — the current
 * run (`run`), the loaded, last and staged models (`model`), the sweep in progress (`sweep`) —
 * and the helpers each duplicated piece of the service became (`loadPrepared`, `withBackend`,
 * `replaceRun`). The context itself holds no state a handler may set: the groups call the
 * services' methods.
 *
 * One training run at a time per connection: a new one (or a loaded model) replaces it. The last
 * run stays available to `model.predict` after it finishes.
 */
export class ServiceContext {
  readonly run = new RunSlot();
  readonly model = new ModelSlot(() => this.nextId());
  readonly sweep = new SweepSlot();
  /** Exports held for reading in parts (`model.exportOpen`). */
  readonly exports = new ExportSlot(() => this.nextId());
  private ids = 0;

  constructor(
    readonly env: EngineEnvironment,
    readonly emit: SessionEmit,
    readonly log?: Logger,
  ) {}

  /** A new id (`run-3`), counting runs, loaded models and sweeps together. */
  nextId(): number {
    return ++this.ids;
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

  /**
   * A dataset loaded by the host and prepared (split, normalised) as training sees it; with the
   * design it feeds, a folder of images is read at its features Input's shape (`withInputShape`).
   */
  async loadPrepared(dataset: DatasetConfig, seed: number, graph?: Pick<GraphIR, 'nodes'>): Promise<PreparedData<Samples>> {
    return (await this.loadForRun(dataset, seed, graph)).data;
  }

  /** `loadPrepared`, with the set as loaded (a loader's cache may keep it beside the splits: `heldDataBytes`). */
  async loadForRun(dataset: DatasetConfig, seed: number, graph?: Pick<GraphIR, 'nodes'>): Promise<{ loaded: LoadedDataset<Samples>; data: PreparedData<Samples> }> {
    const config = graph ? withInputShape(dataset, graph) : dataset;
    const loaded = await this.host().loadDataset(config, seed);
    return { loaded, data: prepareData(loaded, config, seed) };
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
    this.model.drop();
    this.run.replace();
  }

  /**
   * Let go of the loaded model, and of the current run unless it is still going: opening another
   * project's weights (`model.load`) never ends a run that trains (#32 item 8); a new run does.
   */
  replaceLoaded(): void {
    if (!this.run.live) return this.replaceRun();
    this.model.drop();
  }

  /** Stop the sweep in progress (its current run stops and is kept; no further run starts). */
  cancelSweep(): void {
    const id = this.sweep.cancel();
    if (id !== undefined) this.run.stopSweepRun(id);
  }
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
 * loaded), `streamedDataBytes`, a streamed folder's budget, and `probed`, whether it runs probes (and on how many samples their batch draws: `probeSource`), and
 * `splitCounts`, the splits' sizes (their partial batches' plans) —
 * refused with `E_TRAIN_TOO_MUCH_MEMORY`, naming the figures and the largest batch that fits, when
 * it is above the host's limit, or the model and activations above what the backend's memory can
 * grow to. Answers the estimate.
 */
export function checkMemory(g: CheckedGraph, batchSize: number, host: Pick<TrainingHost, 'memoryLimitBytes' | 'backendMemoryLimitBytes'>, residentBytes = 0, streamedDataBytes = 0, probed: false | ProbeBatchRequest = false, featureCacheBytes = 0, splitCounts?: readonly number[]): RunMemoryEstimate {
  const v = runMemoryVerdict(g, batchSize, host, residentBytes, streamedDataBytes, probed, featureCacheBytes, splitCounts);
  if (v.over) throw coded('E_TRAIN_TOO_MUCH_MEMORY', v.message!);
  return v.estimate;
}

/** `checkMemory`'s verdict itself (the estimate, and when it does not fit, the limit passed and the largest batch that fits), refusing nothing: `netwright train` names its flags in the refusal. */
export function runMemoryVerdict(g: CheckedGraph, batchSize: number, host: Pick<TrainingHost, 'memoryLimitBytes' | 'backendMemoryLimitBytes'>, residentBytes = 0, streamedDataBytes = 0, probed: false | ProbeBatchRequest = false, featureCacheBytes = 0, splitCounts?: readonly number[]): MemoryVerdict {
  const { design } = checkedDesign(g);
  const probes = probed ? { probed: true, probeBatch: probed } : {};
  return trainingMemoryVerdict(design, (b) => g.shapesAt(b), batchSize, { training: g.training!, optimizerSlots: runOptimizerSlots(g.training!), ...probes, residentBytes, streamedDataBytes, featureCacheBytes, ...(splitCounts ? { splitCounts } : {}) }, hostMemoryLimits(host));
}

/**
 * What the engine keeps for a run of `data`, loaded as `loaded` (`EngineResidence`, counted by
 * `residentForRun`): its resident memory less its array buffers, the prepared splits, and the set
 * as loaded when a loader's cache keeps it (not `owned`: the app's image folder, kept for the
 * Train dock's previews). Start counts it so, and the preview answers it for the status bar's figure.
 */
export function engineResidence(usage: { rss: number; arrayBuffers: number }, loaded: LoadedDataset<Samples>, data: PreparedData<Samples>): EngineResidence {
  return { baseBytes: usage.rss - usage.arrayBuffers, dataBytes: heldDataBytes(data, loaded.owned ? undefined : loaded) };
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
export function probeSamples(
  shape: readonly number[],
  features: Float32Array,
  targets: Float32Array | null,
  count: number,
  targetSize: number,
  how: { text?: TextEncoding; table?: TableEncoding; normalization?: Normalization | null; targetNormalization?: TargetNormalization | null } = {},
): StartInfo['probeSamples'] {
  const { text, table, normalization } = how;
  // Targets learnt standardised are shown in their own units, as the predictions beside them are.
  if (targets && how.targetNormalization) targets = restoredTargets(how.targetNormalization, targets);
  const per = shape.reduce((a, b) => a * b, 1);
  const round = (v: number) => Number(v.toPrecision(6));
  const sample = (i: number) => features.subarray(i * per, (i + 1) * per);
  // A table's samples as rows of it: the features before normalisation, decoded by its encoding.
  const row = (i: number) => {
    const x = Float32Array.from(sample(i));
    if (normalization) undoNormalization(normalization, x);
    return decodeTableRow(table!, x);
  };
  return {
    shape: [...shape],
    inputs: Array.from({ length: count }, (_, i) => Array.from(sample(i), round)),
    targets: Array.from({ length: count }, (_, i) => (targetSize === 1 ? targets![i] : Array.from(targets?.subarray(i * targetSize, (i + 1) * targetSize) ?? [], round))),
    ...(text ? { texts: Array.from({ length: count }, (_, i) => labelledSampleText(sample(i), text)) } : {}),
    ...(table ? { table, rows: Array.from({ length: count }, (_, i) => row(i)) } : {}),
  };
}
