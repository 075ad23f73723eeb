import { describe, expect, it, vi } from 'vitest';
import { EngineSupervisor, type EngineProcess } from '../../../src-main/host/supervisor';
import type { HostEvent } from '../../../src-engine/protocol';

class FakeProcess implements EngineProcess {
  static count = 0;
  readonly pid = ++FakeProcess.count;
  private exit?: (code: number | null, signal: string | null) => void;
  private ready?: () => void;
  killed = false;
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
});
