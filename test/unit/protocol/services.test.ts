import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createMemoryChannelPair, defineService, EngineEvents, EngineMethods, ErrorCodes, RpcClient, SERVICES, type EngineMethod } from '../../../src-engine/protocol';
import type { ServiceHandlers } from '../../../src-engine/protocol/rpc';
import { serviceTables } from '../../../src-engine/protocol/service';
import { EngineService } from '../../../src-engine/app/service';

/**
 * The protocol is one contract per service (#45): each method and event declared once, in one
 * service; the engine's handler group for a service must answer every method it declares.
 */
describe('the protocol, one service at a time', () => {
  it('declares every method and every event in exactly one service', () => {
    const methods = Object.values(SERVICES).flatMap((s) => Object.keys(s.methods));
    const events = Object.values(SERVICES).flatMap((s) => Object.keys(s.events));
    expect(new Set(methods).size).toBe(methods.length);
    expect(new Set(events).size).toBe(events.length);
    expect([...methods].sort()).toEqual(Object.keys(EngineMethods).sort());
    expect([...events].sort()).toEqual(Object.keys(EngineEvents).sort());
    expect(methods).toContain('train.start');
    expect(events).toContain('probe.frame');
  });

  it('refuses two services that declare the same method', () => {
    const method = { params: z.object({}), result: z.object({}) };
    const a = defineService({ name: 'a', methods: { 'x.run': method }, events: {}, limits: {} });
    const b = defineService({ name: 'b', methods: { 'x.run': method }, events: {}, limits: {} });
    expect(() => serviceTables([a, b])).toThrow(/Two services declare the method x\.run: a and b/);
  });

  it('a handler group that leaves out one of its service’s methods does not compile', () => {
    const hello = () => ({ name: 'netwright-engine' as const, version: '0', protocol: 1, pid: 1, runtime: 'in-process' as const, backend: { kind: 'cpu' as const, threads: 1, simd: false, description: 'cpu' } });
    const analyze = () => ({ diagnostics: [], shapes: {}, params: 0, flopsPerSample: 0 });
    const latency = () => ({ batchSize: 1 as const, nodes: [], sumMs: 0, forwardMs: 0, repeats: 1, backend: 'cpu' });
    const complete: ServiceHandlers<typeof SERVICES.engine> = { 'engine.hello': hello, 'engine.ping': () => ({ time: 0 }), 'graph.analyze': analyze, 'graph.latency': latency };
    // @ts-expect-error `engine.ping` has no handler: every method the engine service declares needs one.
    const missing: ServiceHandlers<typeof SERVICES.engine> = { 'engine.hello': hello, 'graph.analyze': analyze, 'graph.latency': latency };
    expect(Object.keys(complete)).toHaveLength(Object.keys(SERVICES.engine.methods).length);
    expect(Object.keys(missing)).not.toContain('engine.ping');
  });

  it('the engine answers every method of every service (none is unknown to it)', async () => {
    const [clientEnd, engineEnd] = createMemoryChannelPair();
    const service = new EngineService(engineEnd, { runtime: 'in-process', pid: 1, backend: { kind: 'cpu', threads: 1, simd: false, description: 'cpu' } }, () => {});
    const client = new RpcClient(clientEnd, () => {});
    // Parameters of the wrong shape: each request is refused by its schema (or answered), never as unknown.
    const codes = await Promise.all(
      (Object.keys(EngineMethods) as EngineMethod[]).map((m) =>
        client.request(m, { bad: true } as never).then(
          () => 'answered',
          (e: { code: string }) => e.code,
        ),
      ),
    );
    expect(codes).not.toContain(ErrorCodes.unknownMethod);
    expect(codes.filter((c) => c === ErrorCodes.badParams).length).toBeGreaterThan(20);
    service.dispose();
    client.dispose();
  });

  it('keeps every protocol file under 400 lines', () => {
    const root = join(__dirname, '../../../src-engine/protocol');
    const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    const long = files.map((f) => [f, readFileSync(join(root, f), 'utf8').split('\n').length] as const).filter(([, n]) => n > 400);
    expect(long).toEqual([]);
  });
});
