import type { ServiceHandlers } from '../../protocol/rpc';
import type { ParamsOf, RunSweepInfo, StartInfo, trainService } from '../../protocol';
import type { DatasetConfig, GraphIR, TrainingConfig } from '../../base/ir/types';
import type { Checkpoint } from '../../core/train/types';
import type { CheckedGraph } from '../../core/analysis/checked';
import type { TrainedModel } from '../../core/export/model';
import { compileGraph } from '../../core/autodiff/executor';
import { adapterName } from '../../core/gpu/context';
import { chooseGpu } from '../../core/gpu/select';
import { buildGpuTrainable } from '../../core/gpu/trainable';
import type { PreparedData, Samples } from '../../core/data';
import type { RunMeta } from '../runs/types';
import type { RunSink } from '../runs/recorder';
import { TrainingSession, sanityCheck, startWeights } from '../session';
import { LR_FIND_DEFAULTS, checkLrRange, findLearningRate } from '../../core/train';
import { featureCacheFootprint } from '../../core/train/feature-cache';
import { featureInputs } from '../../base/ir/inputs';
import { sweepLabel, sweepVariants } from '../sweep';
import { checkMemory, checkedGraph, coded, engineResidence, probeSamples, type ServiceContext } from './context';
import { checkedDesign, probeBatchRequest, residentForRun, splitCountsOf } from '../../core/analysis/memory';

/** How a started run is recorded: its name, sweep, parent run, and the checkpoint it resumes from. */
type RecordAs = { name?: string; sweep?: RunSweepInfo; resumedFrom?: RunMeta['resumedFrom']; checkpoint?: Checkpoint };

/**
 * Training runs: `train.start`, `train.resume` (a stored run's checkpoint), sweeps (one run per
 * variant, in turn), control, the sanity check, the learning-rate finder, probe-frame acks and `train.current`.
 */
export function runHandlers(ctx: ServiceContext): ServiceHandlers<typeof trainService> {
  return {
    'train.start': (params) => {
      ctx.cancelSweep();
      return start(ctx, params);
    },
    'train.resume': (params) => {
      ctx.cancelSweep();
      return resume(ctx, params);
    },
    'sweep.start': (params) => startSweep(ctx, params),
    'sweep.cancel': ({ sweepId }) => {
      if (ctx.sweep.isCurrent(sweepId)) ctx.cancelSweep();
      return {};
    },
    'train.control': ({ runId, action, lr, stepsPerSecond }) => ctx.run.session(runId).controlled(action, lr, stepsPerSecond),
    'train.sanityCheck': async ({ graph, samples, steps }) => {
      const host = ctx.host();
      const g = checkedGraph(graph);
      const t = g.training;
      checkMemory(g, t.batchSize, host);
      const dataset: DatasetConfig = { ...t.dataset, limit: samples ?? 64, validationSplit: 0 };
      const data = await ctx.loadPrepared(dataset, t.seed, g.ir);
      return ctx.withBackend((backend) => sanityCheck(g, data, backend, { compile: compileGraph, ...(steps !== undefined ? { steps } : {}), ...(host.yieldToHost ? { yieldToHost: host.yieldToHost } : {}) }));
    },
    'train.findLr': async ({ graph, runId, start, end, steps }) => {
      const host = ctx.host();
      const g = checkedGraph(graph);
      const t = g.training;
      checkMemory(g, t.batchSize, host);
      const range = { ...(start !== undefined ? { start } : {}), ...(end !== undefined ? { end } : {}), ...(steps !== undefined ? { steps } : {}) };
      // Refused before any data is loaded.
      checkLrRange({ ...LR_FIND_DEFAULTS, ...range });
      // A run's weights as they stand (between two steps), or where the design's next run starts.
      const from = runId !== undefined ? ctx.run.session(runId).currentModel() : startWeightsOf(ctx, t);
      const data = await ctx.loadPrepared(t.dataset, t.seed, g.ir);
      return ctx.withBackend((backend) => findLearningRate(g, data, backend, { compile: compileGraph, ...range, ...(from ? { from: { ...from.params, ...from.buffers } } : {}), ...(host.yieldToHost ? { yieldToHost: host.yieldToHost } : {}) }));
    },
    'probe.ack': ({ runId, seq }) => ({ pending: ctx.run.session(runId).ackFrame(seq) }),
    'train.current': () => {
      const r = ctx.run.current;
      if (!r) return { run: null };
      r.session.reattach();
      return { run: { start: r.info, state: r.session.status, step: r.session.step, graph: r.session.graph, pace: r.session.loop.control.pace, ...(r.sweep ? { sweep: r.sweep } : {}) } };
    },
  };
}

/** `train.resume`: a stored run's design, settings and checkpoint, recorded as a new run naming its parent. */
function resume(ctx: ServiceContext, { storedRunId, moreEpochs, probes, backend }: ParamsOf<'train.resume'>): Promise<StartInfo> {
  const { meta, graph, checkpoint } = ctx.runStore().resumePoint(storedRunId);
  const epochs = moreEpochs !== undefined ? checkpoint.epoch + moreEpochs : meta.settings.training.epochs;
  if (epochs <= checkpoint.epoch) {
    throw coded('E_RUN_NOTHING_TO_RESUME', `Run "${meta.name}" already trained all its ${checkpoint.epoch} epochs: use Continue training to add more.`);
  }
  // The stored graph carries the run's effective settings (overrides applied); the dataset limit with them,
  // but the design's own metrics (the run adds its task's again, as any run does), so the child's stored
  // design is the parent's. It starts from the parent's last checkpoint (optimizer state included), and is recorded so.
  const own = graph.training?.metrics;
  const g: GraphIR = { ...graph, training: { ...meta.settings.training, ...(own ? { metrics: own } : {}), epochs, startFrom: { kind: 'run', run: meta.id, checkpoint: 'last' } } };
  return start(
    ctx,
    { graph: g, ...(probes !== undefined ? { probes } : {}), ...(backend ? { backend } : {}), ...(meta.project ? { project: meta.project } : {}), ...(meta.projectId ? { projectId: meta.projectId } : {}) },
    { name: meta.name, resumedFrom: { runId: meta.id, step: checkpoint.step, epoch: checkpoint.epoch }, checkpoint },
  );
}

/** Start a run (replacing the current one), record it, and answer its start info; it trains after the answer is out. */
async function start(ctx: ServiceContext, params: ParamsOf<'train.start'>, record: RecordAs = {}): Promise<StartInfo> {
  const { graph, overrides, project, projectId, backend: choice } = params;
  const host = ctx.host();
  const g = checkedGraph(graph);
  const t = g.training;
  const seed = overrides?.seed ?? t.seed;
  const batchSize = overrides?.batchSize ?? t.batchSize;
  checkMemory(g, batchSize, host);
  const dataset: DatasetConfig = overrides?.limit !== undefined ? { ...t.dataset, limit: overrides.limit } : t.dataset;
  const { loaded, data } = await ctx.loadForRun(dataset, seed, g.ir);
  // Again with what the engine now holds (its data loaded), before the model is allocated.
  const featureInput = featureInputs(g.ir)[0]?.id;
  const features = featureInput ? featureCacheFootprint(g, data, featureInput) : 0;
  const probes = params.probes === false ? false : probeBatchRequest(data, params.probes?.batch);
  const usage = host.memoryUsage?.();
  const resident = usage ? residentForRun(engineResidence(usage, loaded, data), checkedDesign(g).footprintAt(1)?.params ?? 0) : 0;
  const memory = checkMemory(g, batchSize, host, resident, data.memoryBudget ?? 0, probes, features, splitCountsOf(data));
  // A resumed run starts from its own checkpoint, whatever its design's `startFrom` says.
  const from = record.checkpoint ? undefined : startWeightsOf(ctx, t);
  // Before replaceRun: a forced GPU that cannot run this model leaves the current run alone.
  const gpu = await chooseGpu({ ...g.ir, training: { ...t, ...(overrides?.batchSize !== undefined ? { batchSize: overrides.batchSize } : {}) } }, choice ?? 'auto', host.acquireGpu);
  ctx.replaceRun();
  // The run keeps the dataset as trained (a `limit` included), so `train.resume` loads the same samples.
  const trained = dataset === t.dataset ? g : g.withTraining({ ...t, dataset });
  const session = await ctx.withBackend((backend) => {
    try {
      return createSession(ctx, `run-${ctx.nextId()}`, trained, data, backend, gpu, params, record.checkpoint);
    } catch (e) {
      gpu?.dispose();
      throw e;
    }
  }, true);
  const backend = session.backend;
  const description = gpu ? `WebGPU · ${adapterName(gpu.adapter)}` : backend.description;
  const warm = from ? session.warmStart(from) : undefined;
  const sink = recordRun(ctx, session, description, { ...(project ? { project } : {}), ...(projectId ? { projectId } : {}) }, record);
  // Answer first, then train: the loop starts after the response is on its way.
  const done = new Promise<void>((resolve) => setTimeout(resolve, 0))
    .then(() => session.run())
    .finally(() => ctx.run.releaseFailed(session));
  const p = session.probes;
  const info: StartInfo = {
    runId: session.runId,
    ...(sink ? { storedRunId: sink.id } : {}),
    ...(warm ? { warmStart: { taken: warm.taken.length, fresh: warm.fresh } } : {}),
    memory: {
      bytes: memory.bytes,
      ...(host.memoryLimitBytes !== undefined && Number.isFinite(host.memoryLimitBytes) ? { limit: host.memoryLimitBytes } : {}),
      ...(data.memoryBudget !== undefined ? { streamedBudget: data.memoryBudget } : {}),
    },
    backend: description,
    stepsPerEpoch: session.stepsPerEpoch,
    epochs: session.config.epochs,
    batchSize: session.config.batchSize,
    task: session.binding.task,
    classNames: [...data.train.classNames],
    probeSamples: probeSamples(data.train.featureShape, p?.probeInputs ?? new Float32Array(0), p?.probeTargets ?? null, p?.sampleCount ?? 0, p?.probeTargets ? p.probeTargets.length / p.probeCount : 0, { text: data.train.text, table: data.train.table, normalization: data.normalization, targetNormalization: data.targetNormalization }),
  };
  // The start info (probe samples, class names) is kept with the run: a stored run's timeline shows its samples.
  sink?.append({ kind: 'event', t: 0, event: 'start', data: info });
  ctx.run.install({ session, backend, gpu, done, info, ...(sink ? { record: sink.id } : {}), ...(record.sweep ? { sweep: record.sweep } : {}) });
  return info;
}

/** The weights a run of `training` starts from (`startWeights`), from the engine's loaded model and run store; coded when they are not there. */
export function startWeightsOf(ctx: ServiceContext, training: TrainingConfig): TrainedModel | undefined {
  return startWeights(training, {
    loaded: () => {
      const weights = ctx.model.weights;
      if (!weights) throw coded('E_TRAIN_NO_LOADED_MODEL', 'This design starts from the loaded weights, but none are loaded (the engine restarted, or none were): import the model or open the project saved with its weights again, or set Start from to fresh initialisation.');
      return weights;
    },
    runs: () => ctx.runStore(),
  });
}

/**
 * The run's session on `backend` (and on `gpu` when one was chosen: the one training loop hands
 * its steps to the device, core/gpu/trainable.ts; probes reduce what a frame reads on the GPU).
 */
function createSession(
  ctx: ServiceContext,
  runId: string,
  graph: CheckedGraph,
  data: PreparedData<Samples>,
  backend: TrainingSession['backend'],
  gpu: Awaited<ReturnType<typeof chooseGpu>>,
  { overrides, probes, guard, pace }: ParamsOf<'train.start'>,
  resumeFrom: Checkpoint | undefined,
): TrainingSession {
  const host = ctx.host();
  const rest = { ...overrides };
  delete rest.limit;
  const session: TrainingSession = new TrainingSession(runId, graph, data, backend, {
    compile: gpu ? (g, o) => buildGpuTrainable(g, { gpu, batchSize: o.batchSize, seed: o.seed }) : compileGraph,
    emit: ctx.emit,
    overrides: rest,
    ...(resumeFrom ? { resumeFrom } : {}),
    ...(probes !== undefined ? { probes } : {}),
    ...(guard?.lossExplosion !== undefined ? { lossExplosion: guard.lossExplosion } : {}),
    ...(guard?.checkGradients !== undefined ? { checkGradients: guard.checkGradients } : {}),
    ...(host.yieldToHost ? { yieldToHost: host.yieldToHost } : {}),
    ...(host.featureSpill ? { featureSpill: host.featureSpill } : {}),
    // A lost GPU: the run pauses, rolled back to its last snapshot, and goes on on the CPU (docs/webgpu-backend.md, "A lost device").
    ...(gpu
      ? {
          deviceLost: {
            compile: compileGraph,
            description: backend.description,
            onSwitch: () => {
              gpu.dispose();
              ctx.run.movedToCpu(session, backend.description);
            },
          },
        }
      : {}),
  });
  if (pace) session.loop.control.setPace(pace);
  return session;
}

/** The run's record in the run store, when the host keeps runs; a store that cannot be written (disk full, read-only) must not stop training. */
function recordRun(ctx: ServiceContext, session: TrainingSession, backend: string, project: { project?: string; projectId?: string }, { checkpoint: _ck, ...meta }: RecordAs): RunSink | undefined {
  try {
    const runs = ctx.env.training?.runs;
    return runs ? session.record(runs, { backend, ...meta, ...project }) : undefined;
  } catch (e) {
    ctx.log?.('warn', `run not recorded: ${(e as Error).message}`);
    return undefined;
  }
}

/** `sweep.start`: the variants' runs one after the other (each a `start`), reported as `sweep.progress`. */
function startSweep(ctx: ServiceContext, { graph, sweep, overrides, probes, project, projectId }: ParamsOf<'sweep.start'>): { sweepId: string; total: number } {
  ctx.host();
  const g = checkedGraph(graph);
  let variants;
  try {
    variants = sweepVariants(g.ir, sweep);
  } catch (e) {
    throw coded('E_SWEEP_INVALID', (e as Error).message);
  }
  ctx.cancelSweep();
  const state = ctx.sweep.begin(`sweep-${Date.now().toString(36)}-${ctx.nextId().toString(36)}`);
  const total = variants.length;
  const over = sweepLabel(sweep);
  const emit = (data: Parameters<typeof ctx.emit<'sweep.progress'>>[1]) => ctx.emit('sweep.progress', data);
  const loop = async () => {
    // Let the answer go out before the first run starts.
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
    for (let index = 0; index < total && !state.cancelled; index++) {
      const v = variants[index];
      const info: RunSweepInfo = { id: state.id, over, value: v.value, index, total, ...(v.seed !== undefined ? { seed: v.seed } : {}) };
      let started: StartInfo;
      try {
        // The variant's checked graph: `start` takes it as it is (checked once, by sweepVariants).
        started = await start(ctx, { graph: v.checked, ...(overrides ? { overrides } : {}), ...(probes !== undefined ? { probes } : {}), ...(project ? { project } : {}), ...(projectId ? { projectId } : {}) }, { name: `${g.ir.name ?? 'run'} · ${v.label}`, sweep: info });
      } catch (e) {
        emit({ sweepId: state.id, index, total, state: 'running', run: info, failed: { value: v.value, message: (e as Error).message } });
        continue;
      }
      if (state.cancelled) break;
      emit({ sweepId: state.id, index, total, state: 'running', run: info, start: started });
      await ctx.run.current?.done;
    }
    ctx.sweep.finish(state);
    emit({ sweepId: state.id, index: total - 1, total, state: state.cancelled ? 'cancelled' : 'done' });
  };
  void loop().catch((e: Error) => ctx.log?.('error', `sweep ${state.id} failed: ${e.message}`));
  return { sweepId: state.id, total };
}
