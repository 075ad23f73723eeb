import type { EngineState, HostEvent } from '../../src-engine/protocol';

/** A started engine process, as either host sees it. */
export interface EngineProcess {
  readonly pid: number | undefined;
  /** Called once when the process ends, for whatever reason. */
  onExit(listener: (code: number | null, signal: string | null) => void): void;
  /** Called when the engine reports `engine.ready`. */
  onReady(listener: () => void): void;
  kill(): void;
  /**
   * Why the process ended, in words, when its output said (an uncaught error's message, "it ran
   * out of memory"); the supervisor shows it with the crash.
   */
  exitCause?(): string | undefined;
}

export interface SupervisorOptions {
  /** Restarts allowed within `windowMs` before giving up (a crash loop). */
  maxRestarts?: number;
  windowMs?: number;
  /** Delay before a restart, doubled after each consecutive crash. */
  backoffMs?: number;
  log?: (message: string) => void;
}

/**
 * Keeps one engine process alive: starts it, reports its state, restarts it after a crash with
 * backoff, and stops retrying (state `failed`) after too many crashes in a short window.
 * Both hosts use it: Electron main with utilityProcess, the web server with child_process.
 */
export class EngineSupervisor {
  private current: EngineProcess | undefined;
  private stopped = false;
  private restarts = 0;
  private crashTimes: number[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly opts: Required<Omit<SupervisorOptions, 'log'>> & Pick<SupervisorOptions, 'log'>;
  private lastEvent: HostEvent;

  constructor(
    private readonly spawn: () => EngineProcess,
    private readonly onStatus: (event: HostEvent) => void,
    options: SupervisorOptions = {},
  ) {
    this.opts = { maxRestarts: 5, windowMs: 60_000, backoffMs: 200, ...options };
    this.lastEvent = { kind: 'host', type: 'engine-status', state: 'starting', restarts: 0 };
  }

  /** The latest status, for a renderer that connects late. */
  get status(): HostEvent {
    return this.lastEvent;
  }

  get process(): EngineProcess | undefined {
    return this.current;
  }

  start(): void {
    this.stopped = false;
    this.launch();
  }

  /**
   * The user's "Restart engine": start afresh after the supervisor gave up (`failed`), or replace
   * a running engine. The crash count starts over, so a crash loop gets its full retries again.
   */
  restart(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const old = this.current;
    this.current = undefined;
    old?.kill();
    this.crashTimes = [];
    this.stopped = false;
    this.restarts++;
    this.launch();
  }

  /** Whether requests can go to an engine now (it reported ready and has not exited since). */
  get available(): boolean {
    return this.current !== undefined && this.lastEvent.state === 'ready';
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.current?.kill();
    this.current = undefined;
  }

  private report(state: EngineState, detail?: string): void {
    this.lastEvent = { kind: 'host', type: 'engine-status', state, restarts: this.restarts, ...(detail ? { detail } : {}) };
    this.onStatus(this.lastEvent);
  }

  private launch(): void {
    this.report(this.restarts === 0 ? 'starting' : 'restarting');
    let proc: EngineProcess;
    try {
      proc = this.spawn();
    } catch (err) {
      this.report('failed', `The engine could not be started: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    this.current = proc;
    proc.onReady(() => {
      if (this.current === proc) this.report('ready');
    });
    proc.onExit((code, signal) => {
      if (this.current !== proc) return;
      this.current = undefined;
      if (this.stopped) return;
      const cause = proc.exitCause?.();
      const how = (signal ? `was stopped by ${signal}` : `exited with code ${code}`) + (cause ? ` (${cause})` : '');
      this.opts.log?.(`engine ${proc.pid ?? '?'} ${how}`);
      const now = Date.now();
      this.crashTimes = this.crashTimes.filter((t) => now - t < this.opts.windowMs);
      this.crashTimes.push(now);
      if (this.crashTimes.length > this.opts.maxRestarts) {
        this.report(
          'failed',
          `The engine crashed ${this.crashTimes.length} times in a minute and was not restarted; the last time it ${how}. ` +
            'Undo what started it (a dataset or layer too large for this machine, say), then choose Restart engine; your work is saved.',
        );
        return;
      }
      this.report('crashed', `The engine ${how}. Restarting…`);
      const delay = this.opts.backoffMs * 2 ** (this.crashTimes.length - 1);
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (this.stopped) return;
        this.restarts++;
        this.launch();
      }, delay);
    });
  }
}

/**
 * The last few KiB of an engine's stderr (passed through to the host's own stderr as well), read
 * for why it died: V8's "heap out of memory", or the message of the error that `main.ts` logs as
 * `uncaught:` before exiting.
 */
export class ExitCauseReader {
  private tail = '';

  constructor(private readonly maxChars = 8192) {}

  feed(chunk: string | Buffer): void {
    this.tail = (this.tail + String(chunk)).slice(-this.maxChars);
  }

  cause(): string | undefined {
    const t = this.tail;
    if (/heap out of memory|allocation failed|out of memory/i.test(t)) {
      return 'it ran out of memory';
    }
    const lines = t.split(/\r?\n/);
    for (let i = lines.length - 1; i >= 0; i--) {
      const m = /uncaught: (.*)$/.exec(lines[i]);
      if (m) return m[1].slice(0, 300);
    }
    return undefined;
  }
}
