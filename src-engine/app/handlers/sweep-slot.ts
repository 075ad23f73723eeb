/** A sweep as its loop sees it: its id, and whether it was cancelled (which only the slot sets). */
export interface SweepState {
  readonly id: string;
  readonly cancelled: boolean;
}

/**
 * The connection's sweep in progress, one at a time (a `train.start` cancels it): the one place
 * that holds it and marks it cancelled. The sweep's loop reads its `SweepState` between runs.
 */
export class SweepSlot {
  private current: { id: string; cancelled: boolean } | null = null;

  /** Sweep `id` is now in progress (the one before was cancelled first). */
  begin(id: string): SweepState {
    this.current = { id, cancelled: false };
    return this.current;
  }

  /** Whether sweep `id` is the one in progress. */
  isCurrent(id: string): boolean {
    return this.current?.id === id;
  }

  /** Mark the sweep in progress cancelled (no further run of it starts); answers its id, if there was one. */
  cancel(): string | undefined {
    const s = this.current;
    if (!s) return undefined;
    s.cancelled = true;
    this.current = null;
    return s.id;
  }

  /** `sweep` ran its last run: no longer in progress, unless another took its place. */
  finish(sweep: SweepState): void {
    if (this.current === sweep) this.current = null;
  }
}
