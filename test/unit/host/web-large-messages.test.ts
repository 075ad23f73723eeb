/**
 * Issue #32 item 5, through the real web host and engine child: a message larger than one
 * WebSocket frame may be — an ONNX file of 16 MB to import, whose base64 is over the host's 16 MiB
 * frame limit (web mode refused imports above ~12 MB), and the JSON export of its 3.9 M
 * parameters — travels as chunks and arrives whole; so do the file's bytes sent as they are. (test/unit/protocol/wire.test.ts puts a
 * message over the 64 MiB wire limit through the same chunking: a 17 M-parameter JSON export
 * used to leave the Export menu at 0 % forever.) And the app's own way in web mode (#47): the file
 * uploaded to the host once, read by the engine by path.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import { exportOnnx } from '../../../src-engine/core/export/onnx/export';
import { encodeWireFrames, WIRE_CHUNK_BYTES, WireReassembler } from '../../../src-engine/protocol/wire';
import { MAX_IMPORT_BYTES } from '../../../src-engine/protocol';
import { MODEL_UPLOAD, checkModelUpload } from '../../../src-contracts/files';
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

/** A connection to the engine through the host, as the page's: `call` sends a request in frames and waits for its answer. */
async function connect() {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/engine?token=${server.token}`, { origin: `http://127.0.0.1:${server.port}` });
  const reassembler = new WireReassembler();
  const messages: Record<string, unknown>[] = [];
  const seen = { frames: 0, largestFrame: 0 };
  ws.on('message', (d: Buffer, isBinary: boolean) => {
    seen.frames++;
    seen.largestFrame = Math.max(seen.largestFrame, d.length);
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
  return { ws, call, seen };
}

/** The 16 MB ONNX file of `wide`, made once for the tests here. */
let wideOnnx: Uint8Array | undefined;
const onnxOfWide = () => (wideOnnx ??= exportOnnx(randomModel(wide, 1)).bytes);

describe('web mode: messages larger than a frame', () => {
  it('imports a 16 MB ONNX file and exports its 3.9 M parameters as JSON, both in chunks', async () => {
    const onnx = onnxOfWide();
    const { ws, call, seen } = await connect();

    const data = Buffer.from(onnx).toString('base64');
    const imported = await call('model.import', { format: 'onnx', data });
    expect(imported.answer.error).toBeUndefined();
    expect(imported.sent.length).toBeGreaterThan(4);
    expect(Math.max(...imported.sent.map((f) => f.length))).toBeLessThan(16 * 2 ** 20);

    seen.frames = 0;
    const exported = await call('model.export', { source: { kind: 'current' }, format: 'json' });
    expect(exported.answer.error).toBeUndefined();
    const files = exported.answer.result!.files as { path: string; data: Uint8Array }[];
    const bytes = files.reduce((n, f) => n + f.data.length, 0);
    expect(bytes).toBeGreaterThan(16 * 2 ** 20);
    expect(seen.frames).toBeGreaterThan(4);
    expect(seen.largestFrame).toBeLessThanOrEqual(WIRE_CHUNK_BYTES + 24);
    const model = JSON.parse(new TextDecoder().decode(files[0].data)) as { graph: { nodes: { id: string }[] } };
    expect(model.graph.nodes.map((n) => n.id)).toEqual(expect.arrayContaining(['fc1', 'fc2']));

    // As the app imports (#29 item 2): the file's bytes as they are, in binary chunks, through the
    // host to the engine child; the answer is the graph alone, the weights stay in the engine.
    seen.frames = 0;
    const read = await call('model.read', { format: 'onnx', data: onnx });
    expect(read.answer.error).toBeUndefined();
    expect(read.sent.length).toBeGreaterThan(3);
    expect((read.answer.result!.graph as { nodes: { id: string }[] }).nodes.map((n) => n.id)).toEqual(expect.arrayContaining(['fc1', 'fc2']));
    expect(seen.frames).toBe(1);
    ws.close();
  }, 240_000);

  it('imports by upload (#47): the file is POSTed once, kept in the workspace and read by the engine by path; other paths, forged requests and files over the limit are refused, coded', async () => {
    const origin = `http://127.0.0.1:${server.port}`;
    const upload = (bytes: Uint8Array, headers: Record<string, string> = {}) =>
      fetch(`${origin}${MODEL_UPLOAD.route}`, { method: 'POST', headers: { 'Content-Type': 'application/octet-stream', 'X-Netwright-Token': server.token, Origin: origin, ...headers }, body: new Blob([new Uint8Array(bytes)]) });
    const res = await upload(onnxOfWide());
    expect(res.status).toBe(200);
    const { path: kept } = checkModelUpload(await res.json());
    expect(kept).toMatch(/^\.netwright\/imports\/[^/]+\.onnx$/);
    expect(readFileSync(path.join(server.workspaceDir, kept)).length).toBe(onnxOfWide().length);

    const { ws, call } = await connect();
    const read = await call('model.read', { format: 'onnx', path: kept });
    expect(read.answer.error).toBeUndefined();
    // Only the path crossed the socket.
    expect(read.sent).toHaveLength(1);
    expect((read.answer.result!.graph as { nodes: { id: string }[] }).nodes.map((n) => n.id)).toEqual(expect.arrayContaining(['fc1', 'fc2']));
    const loaded = await call('model.load', { staged: read.answer.result!.staged });
    expect(loaded.answer.error).toBeUndefined();

    // The engine reads by path only inside the workspace.
    const outside = path.join(mkdtempSync(path.join(tmpdir(), 'netwright-outside-')), 'm.onnx');
    writeFileSync(outside, onnxOfWide());
    for (const p of [outside, '../m.onnx']) expect((await call('model.read', { format: 'onnx', path: p })).answer.error?.code).toBe('DATA_NOT_ALLOWED');
    // A corrupt file uploads, and its read says what it is.
    const corrupt = checkModelUpload(await (await upload(new Uint8Array([8, 255, 255, 255, 255, 1, 2, 3]))).json());
    expect((await call('model.read', { format: 'onnx', path: corrupt.path })).answer.error?.code).toBe('E_IMPORT_FORMAT');
    // One upload is kept at a time.
    expect(existsSync(path.join(server.workspaceDir, kept))).toBe(false);
    ws.close();

    expect((await upload(new Uint8Array(8), { 'X-Netwright-Token': 'forged' })).status).toBe(403);
    expect((await upload(new Uint8Array(8), { Origin: 'http://evil.example' })).status).toBe(403);
    const huge = await new Promise<{ status?: number; body: string }>((resolve, reject) => {
      const req = http.request(`${origin}${MODEL_UPLOAD.route}`, { method: 'POST', headers: { 'Content-Type': 'application/octet-stream', 'X-Netwright-Token': server.token, Origin: origin, 'Content-Length': String(MAX_IMPORT_BYTES + 1) } }, (r) => {
        let body = '';
        r.on('data', (c) => (body += c));
        r.on('end', () => resolve({ status: r.statusCode, body }));
      });
      req.on('error', reject);
      req.write(new Uint8Array(1024));
    });
    expect(huge.status).toBe(413);
    expect(() => checkModelUpload(JSON.parse(huge.body))).toThrow(expect.objectContaining({ code: 'E_IMPORT_TOO_LARGE' }));
  }, 240_000);
});
