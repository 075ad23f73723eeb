import type { RunSweepInfo, StartInfo } from '../../protocol';
import type { Backend } from '../../core/backend/types';
import type { GpuContext } from '../../core/gpu/context';
import type { TrainingSession } from '../session';
import { coded } from './coded';

/** The connection's run: its session, what it holds (released when it is replaced or fails), and what `train.current` answers. */
export interface CurrentRun {
  readonly session: TrainingSession;
  readonly backend: Backend;
  readonly gpu: GpuContext | null;
  readonly done: Promise<void>;
  /** The stored run's id, when the run store records it. */
  readonly record?: string;
  readonly info: StartInfo;
  readonly sweep?: RunSweepInfo;
}

/** The run states of a run that still trains (or can go on: paused, diverged). */
const LIVE: ReadonlySet<string> = new Set(['running', 'paused', 'diverged', 'stopping']);

/** Free what a run holds: its backend and, unless it went on on the CPU, its GPU. */
export function release(run: Pick<CurrentRun, 'backend' | 'gpu'>): void {
  run.backend.dispose?.();
  run.gpu?.dispose();
}

/**
 * The connection's current run, one at a time: the one place that holds it. A new run replaces it
 * (`replace`, then `install`); the last run stays here after it finishes, for `model.predict`.
 * Other handler groups read it (`current`, `session`) and never set it.
 */
export class RunSlot {
  private run: CurrentRun | null = null;

  /** The current run, if any (finished ones included). */
  get current(): CurrentRun | null {
    return this.run;
  }

  /** Whether the current run still trains, or can go on (paused, diverged). */
  get live(): boolean {
    return this.run !== null && LIVE.has(this.run.session.status);
  }

  /** The current run's session, if its id is `runId`; coded when another run replaced it (or none started). */
  session(runId: string): TrainingSession {
    if (!this.run || this.run.session.runId !== runId) throw coded('E_TRAIN_NO_RUN', `There is no run "${runId}" (it was replaced by a newer run, or never started).`);
    return this.run.session;
  }

  /** Make `run` the current run; the one before was `replace`d first. */
  install(run: CurrentRun): void {
    this.run = run;
  }

  /** Stop the current run and let go of it; its backend and GPU are released once it has stopped. */
  replace(): void {
    const old = this.run;
    this.run = null;
    if (!old) return;
    old.session.control('stop');
    void old.done.finally(() => release(old));
  }

  /**
   * `session`'s run failed (out of memory, say): while it is still the current run, it lets go
   * of its backend and buffers at once, rather than holding them until the next run replaces it.
   */
  releaseFailed(session: TrainingSession): void {
    if (session.status !== 'failed' || this.run?.session !== session) return;
    release(this.run);
    this.run = null;
  }

  /** `session`'s run lost its GPU and goes on on the CPU (`description`): `train.current` says so, and the GPU is no longer its to release. */
  movedToCpu(session: TrainingSession, description: string): void {
    if (this.run?.session !== session) return;
    this.run = { ...this.run, gpu: null, info: { ...this.run.info, backend: description } };
  }

  /** Stop the current run when it is sweep `sweepId`'s (it stays current, and is kept). */
  stopSweepRun(sweepId: string): void {
    if (this.run?.sweep?.id === sweepId) this.run.session.control('stop');
  }
}
