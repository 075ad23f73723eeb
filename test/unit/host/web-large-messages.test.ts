/**
 * Issue #32 item 5, through the real web host and engine child: a message larger than one
 * WebSocket frame may be — an ONNX file of 16 MB to import, whose base64 is over the host's 16 MiB
 * frame limit (web mode refused imports above ~12 MB), and the JSON export of its 3.9 M
 * parameters — travels as chunks and arrives whole; so do the file's bytes sent as they are. (test/unit/protocol/wire.test.ts puts a
 * message over the 64 MiB wire limit through the same chunking: a 17 M-parameter JSON export
 * used to leave the Export menu at 0 % forever.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import { exportOnnx } from '../../../src-engine/core/export/onnx/export';
import { encodeWireFrames, WIRE_CHUNK_BYTES, WireReassembler } from '../../../src-engine/protocol/wire';
import type { WebServer } from '../../../src-main/web/server';
import { startTestServer } from './attack-kit';
import { randomModel } from '../engine/export/onnx/harness';

let server: WebServer;

beforeAll(async () => {
  server = await startTestServer({
    token: 'large-token',
  });
});
afterAll(async () => {
  await server?.close();
});

const wide: GraphIR = {
  format: 'netwright.graph',
  version: 1,
  name: 'wide',
  nodes: [
    { id: 'x', op: 'Input', attrs: { shape: [784], source: 'features' }, inputs: [] },
    { id: 'fc1', op: 'Linear', attrs: { outFeatures: 5_000 }, inputs: ['x'] },
    { id: 'fc2', op: 'Linear', attrs: { outFeatures: 10 }, inputs: ['fc1'] },
  ],
  outputs: { logits: 'fc2' },
};

describe('web mode: messages larger than a frame', () => {
  it('imports a 16 MB ONNX file and exports its 3.9 M parameters as JSON, both in chunks', async () => {
    const onnx = exportOnnx(randomModel(wide, 1)).bytes;
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/engine?token=${server.token}`, { origin: `http://127.0.0.1:${server.port}` });
    const reassembler = new WireReassembler();
    const messages: Record<string, unknown>[] = [];
    let frames = 0;
    let largestFrame = 0;
    ws.on('message', (d: Buffer, isBinary: boolean) => {
      frames++;
      largestFrame = Math.max(largestFrame, d.length);
      const m = reassembler.push(isBinary ? new Uint8Array(d) : String(d));
      if (m !== undefined) messages.push(m as Record<string, unknown>);
    });
    await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
    const next = async (pred: (m: Record<string, unknown>) => boolean, ms: number) => {
      for (const t0 = Date.now(); Date.now() - t0 < ms; await new Promise((r) => setTimeout(r, 20))) {
        const hit = messages.find(pred);
        if (hit) return hit;
      }
      throw new Error('timed out');
    };
    await next((m) => m.kind === 'host' && m.state === 'ready', 20_000);
    let id = 1;
    const call = async (method: string, params: unknown) => {
      const my = id++;
      const sent = encodeWireFrames({ kind: 'request', id: my, method, params }, my);
      for (const f of sent) ws.send(f);
      return { sent, answer: (await next((m) => m.id === my, 120_000)) as { ok: boolean; result?: Record<string, unknown>; error?: { code: string; message: string } } };
    };

    const data = Buffer.from(onnx).toString('base64');
    const imported = await call('model.import', { format: 'onnx', data });
    expect(imported.answer.error).toBeUndefined();
    expect(imported.sent.length).toBeGreaterThan(4);
    expect(Math.max(...imported.sent.map((f) => f.length))).toBeLessThan(16 * 2 ** 20);

    frames = 0;
    const exported = await call('model.export', { source: { kind: 'current' }, format: 'json' });
    expect(exported.answer.error).toBeUndefined();
    const files = exported.answer.result!.files as { path: string; data: Uint8Array }[];
    const bytes = files.reduce((n, f) => n + f.data.length, 0);
    expect(bytes).toBeGreaterThan(16 * 2 ** 20);
    expect(frames).toBeGreaterThan(4);
    expect(largestFrame).toBeLessThanOrEqual(WIRE_CHUNK_BYTES + 24);
    const model = JSON.parse(new TextDecoder().decode(files[0].data)) as { graph: { nodes: { id: string }[] } };
    expect(model.graph.nodes.map((n) => n.id)).toEqual(expect.arrayContaining(['fc1', 'fc2']));

    // As the app imports (#29 item 2): the file's bytes as they are, in binary chunks, through the
    // host to the engine child; the answer is the graph alone, the weights stay in the engine.
    frames = 0;
    const read = await call('model.read', { format: 'onnx', data: onnx });
    expect(read.answer.error).toBeUndefined();
    expect(read.sent.length).toBeGreaterThan(3);
    expect((read.answer.result!.graph as { nodes: { id: string }[] }).nodes.map((n) => n.id)).toEqual(expect.arrayContaining(['fc1', 'fc2']));
    expect(frames).toBe(1);
    ws.close();
  }, 240_000);
});
