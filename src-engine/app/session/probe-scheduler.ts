import type { CompiledGraph } from '../../core/autodiff/executor';
import type { PreparedData, Samples } from '../../core/data';
import { stripUndefined, type DeviceCapture, type LoopHooks, type StepContext, type StepFigures, type LoopView } from '../../core/train';
import { DEFAULT_PROBE_HZ, type ProbeFrame, type ProbeOptions } from '../../protocol';
import { DEFAULT_PROBE_OPTIONS, ProbeSuite, compact, type ProbeSuiteOptions } from '../probes';
import { checkedDesign, probeBatchRequest, probeBatchSize } from '../../core/analysis/memory';
import type { SessionPlan } from './session-plan';

/** Most probe frames a second of a paced run (`RunControl.setPace`): every step up to this pace. */
export const PACED_PROBE_HZ = 10;

/** A frame as the probes take it, before the protocol numbers it. */
export type TakenFrame = Omit<ProbeFrame, 'runId' | 'seq'>;

/**
 * Which steps are probed, a loop hook: at most `maxHz` frames a second and `budget` of the time,
 * every `everySteps` steps when that is set, always a single step and the last step of every
 * epoch. A probed CPU step has its weights noted before the update and its frame taken after; a
 * probed GPU step asks the device to reduce what the frame reads (`beforeUpdate`'s capture). Each frame
 * goes to `onFrame`. Given a later loop (the CPU's after a lost device), it probes that loop's plan.
 */
export class ProbeScheduler implements LoopHooks<SessionPlan> {
  private loop!: LoopView<SessionPlan>;
  private suite: ProbeSuite | null = null;
  /** The probe settings a suite is made with (null: no probes, headless). */
  private readonly settings: ProbeSuiteOptions | null;
  /** The probe batch the run asked for (`ProbeOptions.batch`), else chosen per plan (`probeBatchSize`). */
  private readonly requestedBatch: number | undefined;
  private readonly cadence: Required<Pick<ProbeOptions, 'maxHz' | 'budget'>> & { everySteps?: number };
  private force = false;
  private probeNow = false;
  /** What the device step in progress reads back for its frame (a probed GPU step), else null. */
  private deviceCapture: DeviceCapture | null = null;
  private lastProbeAt = -Infinity;
  private costMs = 0;
  private frames = 0;

  constructor(
    private readonly data: PreparedData<Samples>,
    probes: ProbeOptions | false | undefined,
    private readonly onFrame: (frame: TakenFrame) => void,
  ) {
    this.settings = probes === false ? null : { ...DEFAULT_PROBE_OPTIONS, ...stripUndefined(probes ?? {}) };
    this.requestedBatch = probes ? probes.batch : undefined;
    const po = probes || {};
    this.cadence = { maxHz: po.maxHz ?? DEFAULT_PROBE_HZ, budget: po.budget ?? 0.02, ...(po.everySteps !== undefined ? { everySteps: po.everySteps } : {}) };
  }

  /** The probes of the current loop's plan (null: headless). */
  get probes(): ProbeSuite | null {
    return this.suite;
  }

  setup(loop: LoopView<SessionPlan>): void {
    this.loop = loop;
    this.suite = this.settings ? new ProbeSuite(loop.graph, loop.plan, this.data, loop.binding, { ...this.settings, batch: this.batchFor(loop) }, loop.config.seed) : null;
    this.deviceCapture = null;
    this.probeNow = false;
  }

  /** The probe batch for `loop`'s plan: what the run asked for, else what fits (`probeBatchSize`, as the memory estimate Start checks counts it). */
  private batchFor(loop: LoopView<SessionPlan>): number {
    return probeBatchSize(loop.config.batchSize, probeBatchRequest(this.data, this.requestedBatch), checkedDesign(loop.checked).footprintAt).size;
  }

  /** Probe the next step whatever the cadence (a new client, a single step, a new plan). */
  soon(): void {
    this.force = true;
  }

  /**
   * Whether this step is probed, decided before its first group's update. A probed CPU step notes
   * the weights before the update; a probed GPU step asks the device to reduce what the frame
   * reads (the weights before and after the update, the parameter and node gradients) and read
   * back the figures.
   */
  beforeUpdate(ctx: StepContext<SessionPlan>): DeviceCapture | undefined {
    if (ctx.group !== 0) return undefined;
    this.probeNow = this.decide(ctx);
    this.deviceCapture = this.probeNow && ctx.graph.device ? this.suite!.deviceCapture() : null;
    if (this.probeNow && !this.deviceCapture) this.suite!.gradients.beforeUpdate();
    return this.deviceCapture ?? undefined;
  }

  afterStep(ctx: StepContext<SessionPlan>): Promise<void> | undefined {
    if (!this.probeNow) return undefined;
    if (this.deviceCapture) {
      const { readbackMs = 0, figures } = this.deviceCapture;
      this.deviceCapture = null;
      return this.captureDeviceFrame(ctx.graph, ctx.epoch, ctx.loss, readbackMs, figures);
    }
    this.force = false;
    const t0 = performance.now();
    const frame = this.suite!.capture(ctx.graph, { step: this.loop.step, epoch: ctx.epoch, loss: ctx.loss });
    this.taken(frame, performance.now() - t0);
    return undefined;
  }

  /**
   * Whether this step is probed. The last step of every epoch always is, so the charts end on
   * the trained model (a short run would otherwise keep a frame from its first moments).
   */
  private decide(ctx: StepContext<SessionPlan>): boolean {
    return this.suite !== null && (this.due() || ctx.batch === ctx.stepsPerEpoch - 1);
  }

  /**
   * Whether the cadence calls for a frame: a single step always; otherwise at most `maxHz` frames
   * a second, at most `budget` of the time (interval ≥ the last frame's cost ÷ budget), and every
   * `everySteps` steps when that is set.
   */
  private due(): boolean {
    const control = this.loop.control;
    if (this.force || control.singleStepping) return true;
    const { everySteps, maxHz, budget } = this.cadence;
    if (everySteps !== undefined && (this.loop.step + 1) % everySteps !== 0) return false;
    // A paced run is there to be watched: frames keep up with its steps (up to PACED_PROBE_HZ).
    const pace = control.pace;
    const hz = pace > 0 ? Math.max(maxHz, Math.min(pace, PACED_PROBE_HZ)) : maxHz;
    const interval = Math.max(1000 / hz, this.costMs / budget);
    return performance.now() - this.lastProbeAt >= interval;
  }

  /**
   * A GPU run's frame: the step already reduced its weights and gradients on the device and read
   * the figures back (`readbackMs` of it after its loss landed); the probe batch's forwards run on
   * the device. The frame's cost, and the cadence's, include both.
   */
  private async captureDeviceFrame(gb: CompiledGraph, epoch: number, loss: number, readbackMs: number, figures: StepFigures | undefined): Promise<void> {
    this.force = false;
    const t0 = performance.now();
    const frame = await this.suite!.captureAsync(gb, { step: this.loop.step, epoch, loss }, figures);
    frame.costMs = compact(frame.costMs + readbackMs);
    this.taken(frame, readbackMs + performance.now() - t0);
  }

  private taken(frame: TakenFrame, cost: number): void {
    this.lastProbeAt = performance.now();
    // The first frame runs cold (JIT, first eval plan) and would space the next ones too far apart.
    this.costMs = this.frames === 0 ? 0 : this.frames === 1 ? cost : 0.7 * this.costMs + 0.3 * cost;
    this.frames++;
    this.onFrame(frame);
  }
}
