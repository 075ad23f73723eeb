/**
 * Issue #17, class 1: nesting depth and size are bounded at every boundary, with a coded error,
 * by a check that cannot itself overflow the stack.
 */
import { describe, expect, it, vi } from 'vitest';
import { EngineService } from '../../../src-engine/app/service';
import { RpcClient, RpcError, VALUE_LIMITS, checkValueLimits, type Channel, type Logger } from '../../../src-engine/protocol';

const deepArray = (depth: number): unknown => JSON.parse('['.repeat(depth) + ']'.repeat(depth));
const deepObject = (depth: number): unknown => JSON.parse('{"a":'.repeat(depth) + '1' + '}'.repeat(depth));

/** A channel pair that hands values over as they are (no clone): what arrives is what was sent. */
function rawPair(): [Channel & { sent: unknown[] }, Channel & { deliver(m: unknown): void }] {
  const handlers = new Set<(m: unknown) => void>();
  const back = new Set<(m: unknown) => void>();
  const sent: unknown[] = [];
  const a = { sent, send: (m: unknown) => (sent.push(m), back.forEach((h) => h(m))), onMessage: () => () => {}, close: () => {} };
  const b = {
    send: (m: unknown) => sent.push(m),
    onMessage: (h: (m: unknown) => void) => (handlers.add(h), () => handlers.delete(h)),
    close: () => {},
    deliver: (m: unknown) => handlers.forEach((h) => h(m)),
  };
  return [a, b];
}

describe('checkValueLimits', () => {
  it('negative control: the values it refuses do overflow JSON.stringify and structured clone', () => {
    expect(() => JSON.stringify(deepArray(100_000))).toThrow(RangeError);
    expect(() => structuredClone(deepObject(100_000))).toThrow(RangeError);
  });

  it('refuses deep nesting of any depth without throwing', () => {
    for (const depth of [65, 1000, 100_000, 1_000_000]) {
      expect(checkValueLimits(deepArray(depth))?.code).toBe('E_PROTOCOL_TOO_DEEP');
    }
    expect(checkValueLimits(deepObject(100_000))?.code).toBe('E_PROTOCOL_TOO_DEEP');
  });

  it('accepts what Netwright sends: 64 levels, typed arrays, large flat arrays', () => {
    expect(checkValueLimits(deepArray(VALUE_LIMITS.maxDepth))).toBeUndefined();
    expect(checkValueLimits({ a: new Float32Array(10_000_000), b: [1, 'x', null, true] })).toBeUndefined();
    expect(checkValueLimits(Array.from({ length: 1_000_000 }, (_, i) => i))).toBeUndefined();
  });

  it('refuses more values than the limit', () => {
    expect(checkValueLimits(new Array(11).fill(0), { maxDepth: 64, maxValues: 10 })?.code).toBe('E_PROTOCOL_TOO_LARGE');
    expect(checkValueLimits([[1, 2, 3], [4, 5, 6], [7, 8, 9]], { maxDepth: 64, maxValues: 10 })?.code).toBe('E_PROTOCOL_TOO_LARGE');
  });

  it('does not read inherited or prototype-named keys as structure', () => {
    const v = JSON.parse('{"__proto__": {"x": {"y": 1}}, "constructor": 1}');
    expect(checkValueLimits(v)).toBeUndefined();
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});

describe('RPC ends refuse values over the limits', () => {
  it('the client rejects such a request with a coded error before sending anything', async () => {
    const [clientEnd] = rawPair();
    const client = new RpcClient(clientEnd, vi.fn<Logger>());
    const err = await client.request('graph.analyze', { graph: deepArray(10_000) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpcError);
    expect((err as RpcError).code).toBe('E_PROTOCOL_TOO_DEEP');
    expect(clientEnd.sent).toEqual([]);
  });

  it('the engine answers such a message with a coded error and keeps serving', async () => {
    const [clientEnd, engineEnd] = rawPair();
    const log = vi.fn<Logger>();
    new EngineService(engineEnd, { runtime: 'in-process', pid: 1, backend: { kind: 'cpu', threads: 1, simd: false, description: 'cpu' } }, log);
    engineEnd.deliver({ kind: 'request', id: 3, method: 'graph.analyze', params: { graph: deepArray(50_000) } });
    engineEnd.deliver({ kind: 'request', id: 4, method: 'engine.ping', params: {} });
    await new Promise((r) => setTimeout(r, 20));
    expect(clientEnd.sent).toContainEqual({ kind: 'response', id: 3, ok: false, error: { code: 'E_PROTOCOL_TOO_DEEP', message: expect.stringMatching(/nested more than 64 levels/) } });
    expect(clientEnd.sent).toContainEqual(expect.objectContaining({ kind: 'response', id: 4, ok: true }));
  });
});
