import { describe, expect, it, vi } from 'vitest';
import { EngineSupervisor, ExitCauseReader, type EngineProcess } from '../../../src-main/host/supervisor';
import type { HostEvent } from '../../../src-engine/protocol';

class FakeProcess implements EngineProcess {
  static count = 0;
  readonly pid = ++FakeProcess.count;
  private exit?: (code: number | null, signal: string | null) => void;
  private ready?: () => void;
  killed = false;
  cause: string | undefined;
  exitCause() {
    return this.cause;
  }
  onExit(l: (code: number | null, signal: string | null) => void) {
    this.exit = l;
  }
  onReady(l: () => void) {
    this.ready = l;
  }
  kill() {
    this.killed = true;
  }
  becomeReady() {
    this.ready?.();
  }
  crash(code = 1) {
    this.exit?.(code, null);
  }
}

describe('EngineSupervisor', () => {
  it('starts, reports ready, restarts after a crash and reports each state', async () => {
    vi.useFakeTimers();
    const procs: FakeProcess[] = [];
    const states: HostEvent[] = [];
    const sup = new EngineSupervisor(() => (procs.push(new FakeProcess()), procs.at(-1)!), (e) => states.push(e), { backoffMs: 100 });
    sup.start();
    procs[0].becomeReady();
    procs[0].crash(139);
    expect(states.map((s) => s.state)).toEqual(['starting', 'ready', 'crashed']);
    expect(states[2].detail).toContain('139');
    await vi.advanceTimersByTimeAsync(100);
    expect(procs).toHaveLength(2);
    procs[1].becomeReady();
    expect(states.map((s) => s.state)).toEqual(['starting', 'ready', 'crashed', 'restarting', 'ready']);
    expect(sup.status).toMatchObject({ state: 'ready', restarts: 1 });
    sup.stop();
    expect(procs[1].killed).toBe(true);
    vi.useRealTimers();
  });

  it('gives up after a crash loop and says so', async () => {
    vi.useFakeTimers();
    const procs: FakeProcess[] = [];
    const states: HostEvent[] = [];
    const sup = new EngineSupervisor(() => (procs.push(new FakeProcess()), procs.at(-1)!), (e) => states.push(e), { backoffMs: 1, maxRestarts: 2 });
    sup.start();
    for (let i = 0; i < 3; i++) {
      procs.at(-1)!.crash();
      await vi.advanceTimersByTimeAsync(10);
    }
    expect(procs).toHaveLength(3);
    expect(states.at(-1)).toMatchObject({ state: 'failed' });
    expect(states.at(-1)!.detail).toMatch(/not restarted/);
    vi.useRealTimers();
  });

  it('does not restart an engine it stopped on purpose', async () => {
    vi.useFakeTimers();
    const procs: FakeProcess[] = [];
    const sup = new EngineSupervisor(() => (procs.push(new FakeProcess()), procs.at(-1)!), () => {}, { backoffMs: 1 });
    sup.start();
    sup.stop();
    procs[0].crash(0);
    await vi.advanceTimersByTimeAsync(10);
    expect(procs).toHaveLength(1);
    vi.useRealTimers();
  });

  it('says why the engine crashed, and a restart after giving up starts over with a fresh crash budget', async () => {
    vi.useFakeTimers();
    const procs: FakeProcess[] = [];
    const states: HostEvent[] = [];
    const sup = new EngineSupervisor(() => (procs.push(new FakeProcess()), procs.at(-1)!), (e) => states.push(e), { backoffMs: 1, maxRestarts: 1 });
    sup.start();
    procs[0].becomeReady();
    expect(sup.available).toBe(true);
    procs[0].cause = 'it ran out of memory';
    procs[0].crash(134);
    expect(sup.available).toBe(false);
    expect(states.at(-1)!.detail).toContain('it ran out of memory');
    await vi.advanceTimersByTimeAsync(10);
    procs[1].cause = 'RangeError: Maximum call stack size exceeded';
    procs[1].crash(70);
    expect(states.at(-1)).toMatchObject({ state: 'failed' });
    expect(states.at(-1)!.detail).toContain('RangeError: Maximum call stack size exceeded');
    expect(states.at(-1)!.detail).toMatch(/Restart engine/);
    await vi.advanceTimersByTimeAsync(1000);
    expect(procs).toHaveLength(2); // gave up: nothing restarts by itself
    sup.restart();
    expect(procs).toHaveLength(3);
    expect(states.at(-1)).toMatchObject({ state: 'restarting' });
    procs[2].becomeReady();
    expect(sup.available).toBe(true);
    // The crash budget started over: one crash is restarted again, not reported as failed.
    procs[2].crash(1);
    expect(states.at(-1)).toMatchObject({ state: 'crashed' });
    await vi.advanceTimersByTimeAsync(10);
    expect(procs).toHaveLength(4);
    sup.stop();
    vi.useRealTimers();
  });

  it('reads the cause of an exit from the engine\'s stderr', () => {
    const oom = new ExitCauseReader();
    oom.feed('[engine info] ok\n<--- Last few GCs --->\nFATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory\n');
    expect(oom.cause()).toBe('it ran out of memory');
    const thrown = new ExitCauseReader();
    thrown.feed('[engine error] uncaught: TypeError: x is not a function\n    at f (main.ts:1:1)\n');
    expect(thrown.cause()).toBe('TypeError: x is not a function');
    const quiet = new ExitCauseReader(64);
    quiet.feed('x'.repeat(10_000));
    expect(quiet.cause()).toBeUndefined();
  });
});
