import { type GraphIR, thinBuckets } from '../../../src-engine/facade';
import { RunState, type EventData, type LoadedModelInfo, type ProbeFrame, type ResultOf, type StoredFrame } from '../../../src-engine/protocol';

/** `[x, y]`: x is the optimizer step (or epoch for per-epoch series). */
export type Point = readonly [number, number];

/** Where the run is, as the UI sees it: before the engine answered `train.start`, or the engine's state. */
export type RunPhase = 'idle' | 'starting' | RunState;

/** Most points a series keeps; past it, its older half is thinned to about half as many, evenly in x. */
export const MAX_SERIES_POINTS = 1000;
/** Most frames of per-layer distribution history kept for the "over time" charts. */
export const MAX_HISTORY_FRAMES = 120;

export type StartResult = ResultOf<'train.start'>;
export type Progress = EventData<'train.progress'>;
export type EpochEvent = EventData<'train.epoch'>;
export type DoneEvent = EventData<'train.done'>;
export type DivergedEvent = EventData<'train.diverged'>;
export type DeviceLostEvent = EventData<'train.deviceLost'>;
export type FeaturesEvent = EventData<'train.features'>;
export type ResidentDataEvent = EventData<'train.residentData'>;

/** One layer's output distribution at one frame: step and the 10th, 50th and 90th percentiles. */
export type DistributionPoint = readonly [step: number, p10: number, p50: number, p90: number];

/**
 * The project a run belongs to (#32 item 8): the one open when it started. `loadSeq` is the
 * editor's `loadSeq` of that project's design on the canvas; another design opened since (or
 * none yet, after a reload) leaves the run training, shown as that project's, not over the canvas.
 */
export interface RunOwner {
  name: string;
  path?: string;
  loadSeq?: number;
}

export interface RunView {
  runId?: string;
  phase: RunPhase;
  /** The project this run belongs to (absent: a stored run or loaded weights, shown for the design they came with). */
  owner?: RunOwner;
  /** The design this run trains (as sent to the engine): the canvas may since have changed. */
  graph?: GraphIR;
  /** Set when the view shows a stored run (not a live one): the timeline scrubs its probe frames. */
  stored?: StoredRunView;
  /** The engine's answer to `train.start`: backend, steps per epoch, class names, probe samples. */
  info?: StartResult;
  /**
   * Set when the view shows trained weights loaded into the engine (a project saved with its
   * model, an imported ONNX file) rather than a run: where they came from, and the model file's
   * object (saved with the project as it is, without asking the engine).
   */
  loaded?: LoadedView;
  progress?: Progress;
  /** Epoch-mean training loss and the last batch's loss, by step. */
  loss: readonly Point[];
  batchLoss: readonly Point[];
  lr: readonly Point[];
  /** Per epoch (x = epoch): validation loss, and the headline metric (accuracy, else psnr/mse/r2). */
  valLoss: readonly Point[];
  trainMetric: readonly Point[];
  valMetric: readonly Point[];
  /** By step: the headline metric of the epoch's training batches so far (a one-epoch run's metric curve). */
  stepMetric: readonly Point[];
  metricName?: string;
  /** Per optimizer group (a GAN's `discriminator` and `generator`): its last batch's loss by step. */
  groupLoss: Readonly<Record<string, readonly Point[]>>;
  /** A GAN's D(x) and D(G(z)) by step, from its probe frames. */
  dReal: readonly Point[];
  dFake: readonly Point[];
  lastEpoch?: EpochEvent;
  done?: DoneEvent;
  diverged?: DivergedEvent;
  /** The run's GPU was lost: it paused, rolled back to a snapshot, and goes on on the CPU when resumed. */
  deviceLost?: DeviceLostEvent;
  /** The run's cache of its frozen backbone's features: its progress, its size, or why there is none (the engine's line, `message`). */
  features?: FeaturesEvent;
  /** A GPU run's training data kept on the device, or why each batch is uploaded (the engine's line, `message`). */
  residentData?: ResidentDataEvent;
  error?: { code: string; message: string };
  /** The newest probe frame (latest wins), and how many the run received. */
  frame?: ProbeFrame;
  /**
   * The newest frame of an earlier run, kept when a run starts: the Layers tab shows it, marked
   * as the previous run's, until this run's first frame replaces it, so starting a run neither
   * blanks the tab nor builds every layer card again while the engine trains.
   */
  lastFrame?: ProbeFrame;
  frames: number;
  /** Whether this run sends probe frames (false: trained headless). */
  probes: boolean;
  /** Engine milliseconds spent computing this run's probe frames (what watching costs the training). */
  probeMs: number;
  /** Per node: its output distribution over time (bounded). */
  history: Readonly<Record<string, readonly DistributionPoint[]>>;
}

/**
 * No run. Every optional member is listed (as undefined): the store merges reducer results into
 * its state, so a member left out would survive from the previous run.
 */
export const emptyRun: RunView = {
  runId: undefined,
  phase: 'idle',
  owner: undefined,
  graph: undefined,
  stored: undefined,
  info: undefined,
  loaded: undefined,
  progress: undefined,
  loss: [],
  batchLoss: [],
  lr: [],
  valLoss: [],
  trainMetric: [],
  valMetric: [],
  stepMetric: [],
  metricName: undefined,
  groupLoss: {},
  dReal: [],
  dFake: [],
  lastEpoch: undefined,
  done: undefined,
  diverged: undefined,
  deviceLost: undefined,
  features: undefined,
  residentData: undefined,
  error: undefined,
  frame: undefined,
  lastFrame: undefined,
  frames: 0,
  probes: false,
  probeMs: 0,
  history: {},
};

/**
 * Append a point, keeping at most `max`: when full, the older half is thinned to about half as
 * many points spread evenly over its steps (`evenBuckets`: one a bucket), so a long run keeps its
 * whole shape, its first point included, at a coarser resolution and the newest points stay
 * dense. A point with the same x as the last one replaces it.
 */
export function appendBounded<T extends readonly unknown[]>(series: readonly T[], point: T, max = MAX_SERIES_POINTS): readonly T[] {
  const last = series[series.length - 1];
  if (last !== undefined && last[0] === point[0]) return [...series.slice(0, -1), point];
  if (series.length < max) return [...series, point];
  const half = Math.floor(series.length / 2);
  const out = series.slice();
  const n = thinBuckets(half, evenBuckets((i) => out[i][0] as number, half, Math.max(1, Math.floor(half / 2) - 2)), () => 0, (to, from) => (out[to] = out[from]));
  // A short series (a small `max`) whose buckets kept every point: every other point instead.
  if (n >= half) return [...series.slice(0, half).filter((_, i) => i % 2 === 0), ...series.slice(half), point];
  out.splice(n, half - n);
  out.push(point);
  return out;
}

/**
 * Where each bucket of a series' first `half` points ends, for `thinBuckets`: the first point
 * alone (a curve keeps its start), then `count` buckets of equal width in x. Equal in x, not in
 * points, so a thinning halves the older half wherever earlier ones left it. (Halving by points
 * thinned the oldest steps again at every call: after 3,600 steps the epoch-mean curve kept step 1
 * and then step 1,007, and a 40,000-step run's batch loss had lost its first 27,000 steps.)
 */
function evenBuckets(x: (i: number) => number, half: number, count: number): (start: number) => number {
  const x0 = half > 1 ? x(1) : 0;
  const width = half > 1 ? (x(half - 1) - x0) / count : 0;
  const bucket = (i: number) => Math.floor((x(i) - x0) / width);
  return (start) => {
    if (start === 0) return 1;
    if (!(width > 0)) return half;
    const k = bucket(start);
    let i = start + 1;
    while (i < half && bucket(i) === k) i++;
    return i;
  };
}

/** Most points the batch-loss series keeps (every step's loss); past it, its older half is min/max-downsampled. */
export const MAX_STEP_POINTS = 4000;

/**
 * Append every step's loss to the batch-loss series, keeping at most `max` points: when full, the
 * older half is min/max-downsampled over buckets even in x (`evenBuckets`: each bucket's lowest and
 * highest), so a long run keeps its first step, its spikes and its shape while the newest steps
 * stay one point each. A point at or before
 * the series' last step replaces what it overlaps.
 */
export function appendSteps(series: readonly Point[], points: readonly Point[], max = MAX_STEP_POINTS): readonly Point[] {
  if (max < 16) throw new RangeError(`appendSteps keeps at least 16 points (got ${max}): fewer cannot be thinned`);
  if (points.length === 0) return series;
  const out = series.slice();
  for (const p of points) {
    while (out.length > 0 && out[out.length - 1][0] >= p[0]) out.pop();
    out.push(p);
  }
  while (out.length > max) {
    const half = Math.floor(out.length / 2);
    // Half of the older half's points at most: the first alone, 2 a bucket.
    const n = thinBuckets(half, evenBuckets((i) => out[i][0], half, Math.floor(half / 4) - 1), (i) => out[i][1], (to, from) => (out[to] = out[from]));
    out.splice(n, half - n);
  }
  return out;
}

/**
 * The last progress moved on to the step a stop's or pause's reply names (the step it stopped at,
 * after the last progress event): the step in the epoch with it, so the counter does not read
 * "step 212 (207/1126)". Past the epoch's end (the stop came in the next one) the epoch's count
 * is left as it was.
 */
export function steppedTo(p: Progress, step: number): Progress {
  const inEpoch = p.stepInEpoch + (step - p.step);
  return { ...p, step, ...(inEpoch <= p.stepsPerEpoch ? { stepInEpoch: inEpoch } : {}) };
}

/**
 * Where a finished run ended, as the live counter reads it (a stored run opened has no progress
 * event): the epoch it was in, 1-based — a stop partway through an epoch is in the one after those
 * it completed (`train.done`'s `epochs`) — and its step in that epoch; null where the counts do not
 * fit together.
 */
export function endedIn(done: { epochs: number; steps: number }, stepsPerEpoch: number): { epoch: number; stepInEpoch: number } | null {
  const into = done.steps - done.epochs * stepsPerEpoch;
  if (stepsPerEpoch <= 0 || into < 0 || into > stepsPerEpoch) return null;
  return into === 0 ? { epoch: done.epochs, stepInEpoch: done.epochs > 0 ? stepsPerEpoch : 0 } : { epoch: done.epochs + 1, stepInEpoch: into };
}

/** A progress event's new batch-loss points: every step's loss when the engine sends them, else the last batch's. */
function stepPoints(p: Progress): Point[] {
  const l = p.stepLosses;
  if (!l) return p.batchLoss === null ? [] : [[p.step, p.batchLoss]];
  const points: Point[] = [];
  for (let i = 0; i < l.steps.length; i++) {
    const v = l.values[i];
    if (v !== null) points.push([l.steps[i], v]);
  }
  return points;
}

/**
 * The `q` quantile (0..1) of a histogram, interpolated linearly inside the bin it falls in.
 * NOTE: the histogram only holds finite values; an empty one has no quantile (NaN).
 */
export function histogramQuantile(hist: { min: number; max: number; counts: ArrayLike<number> }, q: number): number {
  let total = 0;
  for (let i = 0; i < hist.counts.length; i++) total += hist.counts[i];
  if (total === 0) return Number.NaN;
  const width = (hist.max - hist.min) / hist.counts.length;
  const target = q * total;
  let seen = 0;
  for (let i = 0; i < hist.counts.length; i++) {
    const c = hist.counts[i];
    if (seen + c >= target && c > 0) return hist.min + width * (i + (target - seen) / c);
    seen += c;
  }
  return hist.max;
}

/** The headline metric of a task, from whichever the run computes (first found). */
export function headlineMetric(values: Record<string, unknown> | undefined): { name: string; value: number } | undefined {
  if (!values) return undefined;
  for (const name of ['mean-iou', 'accuracy', 'psnr', 'r2', 'mse', 'mae']) {
    const v = values[name];
    if (typeof v === 'number' && Number.isFinite(v)) return { name, value: v };
  }
  return undefined;
}

/** What the run store has of a run a client attaches to mid-way: its curves so far. */
/** A stored run on screen: which, and the steps that have a probe frame. */
export interface StoredRunView {
  id: string;
  name: string;
  status: string;
  frameSteps: readonly number[];
  /** The step of the frame shown. */
  step?: number;
}

/** Trained weights on screen that no run of this session produced. */
export interface LoadedView {
  /** Where they came from, for the user: `the project "MNIST CNN"`, `MNIST CNN.onnx`. */
  source: string;
  /**
   * The `netwright.model` object (docs/export.md) of a reopened project; absent for an import,
   * whose weights stay in the engine (Save fetches them with `model.export` of the loaded model).
   */
  model?: unknown;
  origin?: LoadedModelInfo['origin'];
  /** The dataset (as JSON) the design on the canvas had when the Playground's samples were last taken from it (`model.samples`). */
  samplesFrom?: string;
}

/** The run view's id for a stored run (live runs are `run-N`): events of live runs never match it. */
export const storedRunKey = (id: string): string => `stored:${id}`;

export interface AttachedHistory {
  /** The epoch-mean training loss by step. */
  loss: readonly Point[];
  batchLoss: readonly Point[];
  lr: readonly Point[];
  valLoss: readonly Point[];
  trainMetric: readonly Point[];
  valMetric: readonly Point[];
  /** The headline metric of the epoch's batches so far, by step (absent in runs recorded without step metrics). */
  stepMetric?: readonly Point[];
  metricName?: string;
  /** A multi-group run's (a GAN's) loss of each optimizer group by step, and a GAN's D(x) and D(G(z)) from its probe frames (absent in other runs). */
  groupLoss?: Readonly<Record<string, readonly Point[]>>;
  dReal?: readonly Point[];
  dFake?: readonly Point[];
  progress?: Progress;
}

/** Every message that changes a run's view, as data (the store feeds engine events and request results through it). */
export type RunAction =
  | { type: 'starting'; probes?: boolean; graph?: GraphIR; owner?: RunOwner }
  | { type: 'started'; result: StartResult }
  /** A run the engine already holds (after a page reload), with its curves so far from the run store. */
  | { type: 'attached'; result: StartResult; state: RunState; step: number; graph?: GraphIR; history?: AttachedHistory; owner?: RunOwner }
  /** Who owns the run now: set before a run (or sweep) starts, and as its project comes back onto the canvas (`loadSeq`) or is renamed by Save As. */
  | { type: 'owner'; owner: RunOwner }
  /** Another design was opened: forget the ended run's results. */
  | { type: 'clear' }
  /** Trained weights were loaded into the engine (`model.load` / `model.import`): predictions and export work at once. */
  | { type: 'model-loaded'; info: LoadedModelInfo; graph: GraphIR; model?: unknown; source: string }
  /** Samples for the loaded model from the design's dataset (`model.samples`), taken from `dataset` (JSON). */
  | { type: 'loaded-samples'; runId: string; probeSamples: LoadedModelInfo['probeSamples']; dataset: string }
  /** Show a stored run: its curves, its result, and (with the timeline) its probe frames. */
  | { type: 'view-stored'; run: ResultOf<'runs.open'>; history: AttachedHistory }
  /** The timeline moved: the stored frame at (or before) the chosen step. */
  | { type: 'stored-frame'; id: string; frame: StoredFrame | null }
  | { type: 'start-failed'; code: string; message: string }
  | { type: 'control'; state: RunState; step: number; runId: string }
  | { type: 'progress'; data: Progress }
  | { type: 'epoch'; data: EpochEvent }
  | { type: 'done'; data: DoneEvent }
  | { type: 'error'; data: EventData<'train.error'> }
  | { type: 'diverged'; data: DivergedEvent }
  | { type: 'deviceLost'; data: DeviceLostEvent }
  | { type: 'features'; data: FeaturesEvent }
  | { type: 'residentData'; data: ResidentDataEvent }
  | { type: 'state'; data: EventData<'train.state'> }
  | { type: 'frame'; data: ProbeFrame };

/** A stored series as the live view keeps it: bounded as `appendBounded` bounds it. */
function boundedSeries<T extends readonly unknown[]>(points: readonly T[]): readonly T[] {
  return points.reduce<readonly T[]>((acc, p) => appendBounded(acc, p), []);
}

/** A GAN's stored series (each group's loss, D(x), D(G(z))) as the live view keeps them. */
function playersSeries(h: AttachedHistory): Pick<RunView, 'groupLoss' | 'dReal' | 'dFake'> {
  return { groupLoss: Object.fromEntries(Object.entries(h.groupLoss ?? {}).map(([k, v]) => [k, boundedSeries(v)])), dReal: boundedSeries(h.dReal ?? []), dFake: boundedSeries(h.dFake ?? []) };
}

/** The view of a run the window attached to after a reload (or a sweep's next run), its curves rebuilt from the history. */
function attachedView(s: RunView, a: Extract<RunAction, { type: 'attached' }>): RunView {
  if (s.runId === a.result.runId) return s;
  const h = a.history;
  return {
    ...emptyRun,
    phase: a.state,
    runId: a.result.runId,
    info: a.result,
    graph: a.graph,
    // A sweep's next run belongs to the project the sweep started from.
    owner: a.owner ?? s.owner,
    probes: true,
    loss: boundedSeries(h?.loss ?? []),
    batchLoss: appendSteps([], h?.batchLoss ?? []),
    lr: boundedSeries(h?.lr ?? []),
    valLoss: h?.valLoss ?? [],
    trainMetric: h?.trainMetric ?? [],
    valMetric: h?.valMetric ?? [],
    stepMetric: boundedSeries(h?.stepMetric ?? []),
    metricName: h?.metricName,
    ...(h ? playersSeries(h) : {}),
    progress: h?.progress,
  };
}

/** The view of trained weights loaded from a file: a finished run with the metrics the file carries. */
function loadedModelView(s: RunView, a: Extract<RunAction, { type: 'model-loaded' }>): RunView {
  if (isLive(s.phase) || s.phase === 'starting') return s;
  const { info } = a;
  const m = info.metrics;
  const epochs = info.origin?.epoch ?? 0;
  return {
    ...emptyRun,
    phase: 'done',
    runId: info.runId,
    graph: a.graph,
    loaded: { source: a.source, ...(a.model ? { model: a.model } : {}), ...(info.origin ? { origin: info.origin } : {}) },
    info: { runId: info.runId, backend: 'trained weights, loaded', stepsPerEpoch: 0, epochs, batchSize: a.graph.training?.batchSize ?? 1, task: info.task, classNames: info.classNames, probeSamples: info.probeSamples },
    ...(m
      ? {
          done: {
            runId: info.runId,
            reason: 'completed' as const,
            epochs,
            steps: info.origin?.step ?? 0,
            seconds: 0,
            evaluatedEpoch: epochs,
            ...(m.train ? { train: m.train as DoneEvent['train'] } : {}),
            ...(m.val ? { val: m.val as DoneEvent['val'] } : {}),
            ...(m.test ? { test: m.test as DoneEvent['test'] } : {}),
            ...(info.baselines ? { baselines: info.baselines } : {}),
            ...(info.baselineVerdict ? { baselineVerdict: info.baselineVerdict } : {}),
          },
        }
      : {}),
  };
}

/** What a crashed stored run says: where it got to (its last recorded step and epoch), and what is shown. */
function crashedMessage(curve: { step: readonly number[]; epoch: readonly number[] }): string {
  const n = curve.step.length;
  const at = n ? ` at step ${curve.step[n - 1]} (epoch ${curve.epoch[n - 1]})` : '';
  return `This run crashed${at}: its curves and frames up to the crash are shown.`;
}

/** The view of a stored run opened from the Runs tab: its curves, its summary, its frames on demand. */
function storedRunView(s: RunView, a: Extract<RunAction, { type: 'view-stored' }>): RunView {
  if (isLive(s.phase) || s.phase === 'starting') return s;
  const { meta } = a.run;
  const runId = storedRunKey(meta.id);
  const h = a.history;
  const m = meta.summary?.metrics as Record<string, unknown> | undefined;
  return {
    ...emptyRun,
    phase: meta.status === 'done' || meta.status === 'stopped' ? 'done' : 'failed',
    runId,
    graph: a.run.graph as GraphIR,
    stored: { id: meta.id, name: meta.name, status: meta.status, frameSteps: a.run.frameSteps },
    ...(a.run.start ? { info: { ...a.run.start, runId } } : {}),
    probes: a.run.frameSteps.length > 0,
    loss: boundedSeries(h.loss),
    batchLoss: appendSteps([], h.batchLoss),
    lr: boundedSeries(h.lr),
    valLoss: h.valLoss,
    trainMetric: h.trainMetric,
    valMetric: h.valMetric,
    stepMetric: boundedSeries(h.stepMetric ?? []),
    metricName: h.metricName,
    ...playersSeries(h),
    ...(meta.summary
      ? {
          done: {
            runId,
            reason: meta.status === 'stopped' ? 'stopped' : 'completed',
            epochs: meta.summary.epochs,
            steps: meta.summary.steps,
            ...(meta.resumedFrom ? { fromStep: meta.resumedFrom.step } : {}),
            seconds: meta.summary.seconds,
            evaluatedEpoch: meta.summary.epochs,
            ...(m?.train ? { train: m.train as DoneEvent['train'] } : {}),
            ...(m?.val ? { val: m.val as DoneEvent['val'] } : {}),
            ...(m?.test ? { test: m.test as DoneEvent['test'] } : {}),
          },
        }
      : {}),
    ...(meta.status === 'crashed' ? { error: { code: 'E_RUN_CRASHED', message: crashedMessage(a.run.curve) } } : {}),
  };
}

/** A progress event: the loss, learning-rate, step-metric and group curves extended. */
function withProgress(s: RunView, p: Progress): RunView {
  const next: RunView = { ...s, progress: p, lr: appendBounded(s.lr, [p.step, p.lr]) };
  if (p.loss !== null) next.loss = appendBounded(s.loss, [p.step, p.loss]);
  // The epoch's metric so far, by step: the metric chart has a curve before the first epoch ends.
  const m = headlineMetric(p.metrics);
  if (m && (s.metricName === undefined || m.name === s.metricName)) {
    next.stepMetric = appendBounded(s.stepMetric, [p.step, m.value]);
    next.metricName = m.name;
  }
  next.batchLoss = appendSteps(s.batchLoss, stepPoints(p));
  if (p.groupLosses) {
    const groupLoss: Record<string, readonly Point[]> = { ...s.groupLoss };
    for (const [name, v] of Object.entries(p.groupLosses)) if (v !== null) groupLoss[name] = appendBounded(groupLoss[name] ?? [], [p.step, v]);
    next.groupLoss = groupLoss;
  }
  return next;
}

/** An epoch's end: its validation loss and metrics appended. */
function withEpoch(s: RunView, e: EpochEvent): RunView {
  const train = headlineMetric(e.train);
  const val = headlineMetric(e.val);
  return {
    ...s,
    lastEpoch: e,
    metricName: val?.name ?? train?.name ?? s.metricName,
    valLoss: e.val && e.val.loss !== null ? appendBounded(s.valLoss, [e.epoch, e.val.loss]) : s.valLoss,
    trainMetric: train ? appendBounded(s.trainMetric, [e.epoch, train.value]) : s.trainMetric,
    valMetric: val ? appendBounded(s.valMetric, [e.epoch, val.value]) : s.valMetric,
  };
}

/** A probe frame: shown, and its layers' quantiles appended to their histories. */
function withFrame(s: RunView, f: ProbeFrame): RunView {
  const history: Record<string, readonly DistributionPoint[]> = { ...s.history };
  for (const l of f.layers) {
    const p10 = histogramQuantile(l.hist, 0.1);
    if (Number.isNaN(p10)) continue;
    history[l.nodeId] = appendBounded(history[l.nodeId] ?? [], [f.step, p10, histogramQuantile(l.hist, 0.5), histogramQuantile(l.hist, 0.9)] as const, MAX_HISTORY_FRAMES);
  }
  const gan = f.gan ? { dReal: appendBounded(s.dReal, [f.step, f.gan.dReal]), dFake: appendBounded(s.dFake, [f.step, f.gan.dFake]) } : {};
  return { ...s, frame: f, lastFrame: undefined, frames: s.frames + 1, probeMs: s.probeMs + f.costMs, history, ...gan };
}

/**
 * The run view reducer: pure, so tests replay event sequences. Events of another run (a
 * replaced one still draining) are ignored.
 */
export function reduceRun(s: RunView, a: RunAction): RunView {
  switch (a.type) {
    case 'starting':
      return { ...emptyRun, phase: 'starting', graph: a.graph, owner: a.owner ?? s.owner, probes: a.probes ?? true, lastFrame: s.frame ?? s.lastFrame };
    case 'started':
      return { ...emptyRun, phase: 'running', graph: s.graph, owner: s.owner, runId: a.result.runId, info: a.result, probes: s.probes, lastFrame: s.lastFrame };
    case 'start-failed':
      return { ...emptyRun, phase: 'failed', graph: s.graph, owner: s.owner, error: { code: a.code, message: a.message }, lastFrame: s.lastFrame };
    case 'owner':
      return { ...s, owner: a.owner };
    case 'attached':
      return attachedView(s, a);
    case 'clear':
      return isLive(s.phase) || s.phase === 'starting' ? s : emptyRun;
    case 'loaded-samples':
      if (s.runId !== a.runId || !s.loaded || !s.info) return s;
      return { ...s, info: { ...s.info, probeSamples: a.probeSamples }, loaded: { ...s.loaded, samplesFrom: a.dataset } };
    case 'model-loaded':
      return loadedModelView(s, a);
    case 'view-stored':
      return storedRunView(s, a);
    case 'stored-frame':
      if (!s.stored || s.stored.id !== a.id) return s;
      return { ...s, frame: a.frame ? { ...a.frame, runId: s.runId!, seq: 0 } : undefined, stored: { ...s.stored, step: a.frame?.step } };
    default:
      break;
  }
  const runId = a.type === 'control' ? a.runId : a.data.runId;
  if (runId !== s.runId) return s;
  switch (a.type) {
    case 'control':
      // The reply carries the step the engine stopped at: the counter shows it with the new state.
      if (s.phase === 'done' || s.phase === 'failed') return s;
      return { ...s, phase: a.state, ...(s.progress && a.step > s.progress.step ? { progress: steppedTo(s.progress, a.step) } : {}) };
    case 'state':
      return { ...s, phase: a.data.state, ...(a.data.state === 'running' ? { diverged: undefined, deviceLost: undefined } : {}) };
    case 'progress':
      return withProgress(s, a.data);
    case 'epoch':
      return withEpoch(s, a.data);
    case 'done':
      return { ...s, phase: 'done', done: a.data };
    case 'error':
      return { ...s, phase: 'failed', error: { code: a.data.code, message: a.data.message } };
    case 'diverged':
      return { ...s, phase: 'diverged', diverged: a.data };
    case 'deviceLost':
      return afterDeviceLost(s, a.data);
    case 'features':
      return { ...s, features: a.data };
    case 'residentData':
      return { ...s, residentData: a.data };
    case 'frame':
      return withFrame(s, a.data);

  }
}

/**
 * The run lost its GPU and went back to its snapshot of step `resumeStep` (`resumeEpoch` epochs
 * complete), on the CPU: the curves drop what comes after it (those steps are trained again), and
 * the run header names the CPU.
 */
function afterDeviceLost(s: RunView, d: DeviceLostEvent): RunView {
  const bySteps = <T extends readonly number[]>(ps: readonly T[]) => ps.filter((p) => p[0] <= d.resumeStep);
  const byEpochs = (ps: readonly Point[]) => ps.filter(([x]) => x <= d.resumeEpoch);
  return {
    ...s,
    deviceLost: d,
    ...(s.info ? { info: { ...s.info, backend: d.backend } } : {}),
    loss: bySteps(s.loss),
    batchLoss: bySteps(s.batchLoss),
    lr: bySteps(s.lr),
    groupLoss: Object.fromEntries(Object.entries(s.groupLoss).map(([k, v]) => [k, bySteps(v)])),
    dReal: bySteps(s.dReal),
    dFake: bySteps(s.dFake),
    history: Object.fromEntries(Object.entries(s.history).map(([k, v]) => [k, bySteps(v)])),
    valLoss: byEpochs(s.valLoss),
    trainMetric: byEpochs(s.trainMetric),
    valMetric: byEpochs(s.valMetric),
  };
}

/**
 * The frame the canvas overlays draw: this run's newest, or, while a probed run waits for its
 * first, the previous run's last (`lastFrame`), so starting a run does not swap every node's
 * sparkline and edge colour out and back in while the engine trains.
 */
export function overlayFrame(s: RunView, loadSeq?: number): ProbeFrame | undefined {
  if (loadSeq !== undefined && runElsewhere(s, loadSeq)) return undefined;
  return s.frame ?? (s.probes && (s.phase === 'starting' || isLive(s.phase)) ? s.lastFrame : undefined);
}

/**
 * Whether the run on view belongs to another project than the design on the canvas (`loadSeq`,
 * the editor's): then its results are not drawn over the canvas, and the dock shows the run as
 * that project's with a way back to it (components/training/ElsewhereRun.tsx).
 */
export function runElsewhere(s: Pick<RunView, 'phase' | 'owner'>, loadSeq: number): boolean {
  return s.phase !== 'idle' && s.owner !== undefined && s.owner.loadSeq !== loadSeq;
}

/**
 * A live run's short name for labels: its start time from the run store's id
 * (`20261124-041800-ab12` → `run of 04:18:00`), else the engine's id (`run-3`).
 */
export function runLabel(info: Pick<StartResult, 'runId' | 'storedRunId'> | undefined): string {
  const m = /^\d{8}-(\d{2})(\d{2})(\d{2})-/.exec(info?.storedRunId ?? '');
  return m ? `run of ${m[1]}:${m[2]}:${m[3]}` : (info?.runId ?? 'run');
}

/** The engine's run states in which the run is still going (every one but its two ends). */
const LIVE_STATES: ReadonlySet<RunPhase> = new Set(RunState.exclude(['done', 'failed']).options);
/** Whether the run can take `train.control` actions (it exists and has not ended). */
export const isLive = (phase: RunPhase): boolean => LIVE_STATES.has(phase);
