/**
 * Latest-wins delivery of probe frames: at most one frame is in flight to the client, and at
 * most one waits behind it. A newer frame replaces the waiting one; the client's ack of the
 * frame in flight releases the waiting one. A slow client therefore never builds a queue, and
 * always gets the newest state next.
 */
export class LatestWinsMailbox<T extends { seq: number }> {
  private inFlight: number | null = null;
  private waiting: T | null = null;
  private replaced = 0;

  constructor(private readonly send: (frame: T) => void) {}

  /** Send now when nothing is in flight; otherwise keep it as the one waiting frame. */
  offer(frame: T): void {
    if (this.inFlight === null) {
      this.inFlight = frame.seq;
      this.send(frame);
    } else {
      if (this.waiting) this.replaced++;
      this.waiting = frame;
    }
  }

  /**
   * The client consumed frame `seq`. Acks of older frames are ignored. Returns whether a frame
   * is (again) in flight.
   */
  ack(seq: number): boolean {
    if (this.inFlight === null || seq < this.inFlight) return this.inFlight !== null;
    this.inFlight = null;
    const next = this.waiting;
    this.waiting = null;
    if (next) this.offer(next);
    return this.inFlight !== null;
  }

  /** Frames waiting behind the one in flight: 0 or 1. */
  get queued(): number {
    return this.waiting ? 1 : 0;
  }

  /** Frames dropped because a newer one replaced them before the client was ready. */
  get dropped(): number {
    return this.replaced;
  }

  /** Forget everything (a new run, or the client went away). */
  reset(): void {
    this.inFlight = null;
    this.waiting = null;
  }
}
