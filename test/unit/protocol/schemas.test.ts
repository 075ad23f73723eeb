import { describe, expect, it } from 'vitest';
import { EngineEvents, EngineMessage, EngineMethods, Histogram, WireMessage, describeIssues } from '../../../src-engine/protocol';

const issues = (r: { success: boolean; error?: Parameters<typeof describeIssues>[0] }) => (r.success ? '' : describeIssues(r.error!));

describe('arrays of numbers', () => {
  it('accept finite numbers and keep the array as sent', () => {
    const counts = [0, 3, 12];
    const r = Histogram.safeParse({ min: -1, max: 1, counts });
    expect(r.success && r.data.counts).toEqual([0, 3, 12]);
  });

  it('reject a wrong element anywhere, naming the array', () => {
    expect(issues(Histogram.safeParse({ min: 0, max: 1, counts: [1, 2, -1] }))).toBe('counts: expected a Uint32Array (or an array of its values)');
    expect(issues(Histogram.safeParse({ min: 0, max: 1, counts: [1, 2.5] }))).toBe('counts: expected a Uint32Array (or an array of its values)');
    expect(issues(Histogram.safeParse({ min: 0, max: 1, counts: [1, '2'] }))).toBe('counts: expected a Uint32Array (or an array of its values)');
    expect(issues(Histogram.safeParse({ min: 0, max: 1, counts: { 0: 1, length: 1 } }))).toBe('counts: expected a Uint32Array (or an array of its values)');
    const probs = (row: unknown[]) => EngineEvents['probe.frame'].safeParse({ runId: 'r', seq: 0, step: 1, epoch: 1, loss: 1, layers: [], params: [], health: [], costMs: 1, samples: { kind: 'classification', probs: [[0.5, 0.5], row], predicted: [0, 1], targets: [0, 1] } });
    expect(probs([0.25, 0.75]).success).toBe(true);
    // JSON turns NaN and Infinity into null; a number array never holds one.
    expect(issues(probs([0.25, null]))).toBe('samples.probs.1: expected a Float32Array (or an array of its values)');
    expect(issues(probs([0.25, Infinity]))).toBe('samples.probs.1: expected a Float32Array (or an array of its values)');
  });

  it('bound the length where the protocol does (a playground input)', () => {
    const predict = (n: number) => EngineMethods['model.predict'].params.safeParse({ runId: 'r', input: new Array(n).fill(0.5) });
    expect(predict(784).success).toBe(true);
    expect(predict(1 << 20).success).toBe(true);
    expect(issues(predict((1 << 20) + 1))).toBe(`input: expected an array of finite numbers (at most ${1 << 20})`);
  });
});

describe('envelopes', () => {
  it('are told apart by kind, with the expected kinds in the message', () => {
    expect(EngineMessage.safeParse({ kind: 'event', event: 'x', data: 1 }).success).toBe(true);
    expect(EngineMessage.safeParse({ kind: 'response', id: 2, ok: false, error: { code: 'E', message: 'm' } }).success).toBe(true);
    expect(issues(EngineMessage.safeParse({ kind: 'bogus' }))).toBe("kind: Invalid discriminator value. Expected 'request' | 'response' | 'event' | 'cancel'");
    expect(issues(EngineMessage.safeParse({ kind: 'response', id: 1, ok: false }))).toBe('error: Invalid input: expected object, received undefined');
    // Host events travel only on the web socket.
    const host = { kind: 'host', type: 'engine-status', state: 'ready', restarts: 0 };
    expect(EngineMessage.safeParse(host).success).toBe(false);
    expect(WireMessage.safeParse(host).success).toBe(true);
  });
});
