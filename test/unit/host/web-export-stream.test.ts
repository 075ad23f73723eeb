/**
 * Issue #82: Export ▸ PyTorch… of a fine-tuned resnet18 (a 507 MB project) hung in web mode at
 * "Exporting PyTorch… 100%": the engine answered the whole export in one message, the page refused
 * it past 256 MiB (then 62 "chunk arrived out of order"), and Export stayed disabled until a
 * reload. Exports now stream engine → page → host → disk in parts of at most EXPORT_CHUNK_BYTES,
 * one in flight, numbered and checked where they land. Here the app's own Export
 * (training/export.ts `exportModel`) runs over web mode's wire encoding (chunk frames and a
 * reassembler on both sides, protocol/wire.ts) against the real engine service and the real host
 * file service (its file channel's schemas included), with an export several parts long.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import { EngineService, type EngineEnvironment } from '../../../src-engine/app/service';
import { createReferenceBackend } from '../../../src-engine/core/backend/reference';
import { createMemoryChannelPair, EXPORT_CHUNK_BYTES, RpcClient, type Channel } from '../../../src-engine/protocol';
import { encodeWireFrames, WIRE_CHUNK_BYTES, WireReassembler } from '../../../src-engine/protocol/wire';
import { refusedAnswer } from '../../../src-renderer/src/engine/connection';
import { EXPORT_LIMITS, unwrapFileMethod, type FileArgs, type FileMethod, type FileResult } from '../../../src-contracts/files';
import type { HostFiles } from '../../../src-contracts/host';
import { callFileOp, FileService } from '../../../src-main/host/files';
import { exportModel } from '../../../src-renderer/src/training/export';
import { createWindowStores, type WindowStores } from '../../../src-renderer/src/state/window-stores';

/** 784 → 6,000 → 10: 4.8 M parameters, a 19 MB ONNX file: five parts. */
const wide: GraphIR = {
  format: 'netwright.graph',
  version: 1,
  name: 'wide',
  nodes: [
    { id: 'x', op: 'Input', attrs: { shape: [784], source: 'features' }, inputs: [] },
    { id: 'fc1', op: 'Linear', attrs: { outFeatures: 6_000 }, inputs: ['x'] },
    { id: 'fc2', op: 'Linear', attrs: { outFeatures: 10 }, inputs: ['fc1'] },
  ],
  outputs: { logits: 'fc2' },
};

/** Each message as web mode sends it (chunk frames, protocol/wire.ts), put back together on the other side; `sizes`: each message's bytes on the wire. */
function wireChannel(inner: Channel, sizes: number[]): Channel {
  let stream = 0;
  const reassembler = new WireReassembler();
  return {
    send: (m) => {
      const frames = encodeWireFrames(m, ++stream);
      sizes.push(frames.reduce((a, f) => a + (typeof f === 'string' ? new TextEncoder().encode(f).length : f.length), 0));
      for (const f of frames) inner.send(f);
    },
    onMessage: (h) =>
      inner.onMessage((f) => {
        const m = reassembler.push(f as string | Uint8Array);
        if (m !== undefined) h(m);
      }),
    close: () => inner.close(),
  };
}

function setup() {
  const [a, b] = createMemoryChannelPair();
  const toPage: number[] = [];
  const env: EngineEnvironment = { runtime: 'in-process', pid: 1, backend: { kind: 'cpu', threads: 1, simd: false, description: 'test' }, training: { loadDataset: () => Promise.reject(new Error('no data here')), createBackend: async () => createReferenceBackend() } };
  new EngineService(wireChannel(b, toPage), env, () => {});
  const client = new RpcClient(wireChannel(a, []), () => {});
  const workspace = mkdtempSync(path.join(tmpdir(), 'nw-export-stream-'));
  const service = new FileService({ workspaceDir: workspace, stateDir: path.join(workspace, '.netwright') });
  // The host's file channel as web mode calls it: arguments checked against FileMethods, answers unwrapped.
  const call = async <M extends FileMethod>(op: M, ...args: FileArgs<M>): Promise<FileResult<M>> => unwrapFileMethod(op, await callFileOp(service, op, args));
  const appended: { seq: number; chars: number }[] = [];
  const files = {
    nativeDialogs: false,
    beginExport: (target: string, kind: 'file' | 'folder', list: { path: string; bytes: number }[]) => call('beginExport', target, kind, list),
    appendExport: async (id: string, seq: number, p: string, data: string) => {
      appended.push({ seq, chars: data.length });
      await call('appendExport', id, seq, p, data);
    },
    commitExport: (id: string) => call('commitExport', id),
    cancelExport: async (id: string) => void (await call('cancelExport', id)),
  } as unknown as HostFiles;
  return { client, files, workspace, toPage, appended, exportsDir: path.join(workspace, 'exports') };
}

let w: WindowStores;
const downloads: Blob[] = [];
beforeEach(() => {
  w = createWindowStores();
  downloads.length = 0;
  // Web mode downloads what it wrote: the Blob is kept here instead of a browser's download.
  vi.stubGlobal('URL', Object.assign(Object.create(URL) as typeof URL, { createObjectURL: (blob: Blob) => (downloads.push(blob), 'blob:test'), revokeObjectURL: () => {} }));
  vi.stubGlobal('document', { createElement: () => ({ click() {}, remove() {} }), body: { appendChild() {} } });
});
afterEach(() => {
  vi.unstubAllGlobals();
});

async function ready(client: RpcClient) {
  w.engine.setState({ client, state: 'ready' });
  w.exports.setState({ formats: (await client.request('model.formats', {})).formats });
}

describe('an export larger than many parts streams to disk (issue #82)', () => {
  it('arrives byte for byte, in numbered parts, no message over a part, and downloads the same bytes', async () => {
    const { client, files, toPage, appended, exportsDir } = setup();
    await ready(client);
    const source = { kind: 'initial' as const, graph: wide };
    // The same export answered whole (what the page used to receive in one message), to compare.
    const whole = (await client.request('model.export', { source, format: 'onnx' })).files[0].data;
    expect(whole.length).toBeGreaterThan(4 * EXPORT_CHUNK_BYTES);
    toPage.length = 0;
    const progress: number[] = [];
    const off = w.exports.subscribe((s) => s.busy?.writing && progress.push(s.busy.fraction));

    expect(await exportModel(w, files, 'onnx', source)).toBe(true);
    off();
    const written = readdirSync(exportsDir);
    expect(written).toEqual(['wide (untrained).onnx']);
    expect(Buffer.compare(readFileSync(path.join(exportsDir, written[0])), Buffer.from(whole))).toBe(0);
    // Numbered from 0, one after another, each at most a part (as base64).
    const parts = Math.ceil(whole.length / EXPORT_CHUNK_BYTES);
    expect(appended.map((p) => p.seq)).toEqual([...Array(parts).keys()]);
    expect(Math.max(...appended.map((p) => p.chars))).toBeLessThanOrEqual(Math.ceil(EXPORT_LIMITS.chunkBytes / 3) * 4);
    // No message from the engine carried more than a part (and a little framing).
    expect(Math.max(...toPage)).toBeLessThanOrEqual(EXPORT_CHUNK_BYTES + 4096);
    expect(progress.at(-1)).toBe(1);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    // The download is the file's bytes too, and Export is usable again.
    expect(Buffer.compare(Buffer.from(await downloads[0].arrayBuffer()), Buffer.from(whole))).toBe(0);
    expect(w.exports.getState().busy).toBeUndefined();
    expect(w.session.getState().notice?.kind).toBe('info');
  });

  it('a part out of order ends the export with a code, leaves no partial file, and the next export works', async () => {
    const { client, files, exportsDir } = setup();
    await ready(client);
    const source = { kind: 'initial' as const, graph: wide };
    // A part lost on the way: the third arrives numbered as the fourth.
    const lossy = { ...files, appendExport: (id: string, seq: number, p: string, data: string) => files.appendExport(id, seq >= 2 ? seq + 1 : seq, p, data) } as HostFiles;
    expect(await exportModel(w, lossy, 'onnx', source)).toBe(false);
    expect(w.session.getState().notice).toMatchObject({ kind: 'error', code: 'E_EXPORT_CHUNK_ORDER', message: expect.stringMatching(/Part 3 of the export arrived where part 2 was due/) });
    expect(w.exports.getState().busy).toBeUndefined();
    expect(existsSync(exportsDir) ? readdirSync(exportsDir) : []).toEqual([]);

    expect(await exportModel(w, files, 'onnx', source)).toBe(true);
    expect(readdirSync(exportsDir)).toEqual(['wide (untrained).onnx']);
  });

  it('Cancel stops it mid-way: nothing is left on disk, the engine lets the export go, and Export is usable again', async () => {
    const { client, files, appended, exportsDir } = setup();
    await ready(client);
    const source = { kind: 'initial' as const, graph: wide };
    const cancelling = {
      ...files,
      appendExport: async (id: string, seq: number, p: string, data: string) => {
        await files.appendExport(id, seq, p, data);
        if (seq === 1) w.exports.getState().busy?.cancel?.();
      },
    } as HostFiles;
    const opened: string[] = [];
    const request = client.request.bind(client);
    vi.spyOn(client, 'request').mockImplementation(((method: string, params: { handle?: string }, opts?: unknown) => {
      if (method === 'model.exportClose' && params.handle) opened.push(params.handle);
      return (request as (m: string, p: unknown, o?: unknown) => Promise<unknown>)(method, params, opts);
    }) as typeof client.request);
    expect(await exportModel(w, cancelling, 'onnx', source)).toBe(false);
    expect(appended.map((p) => p.seq)).toEqual([0, 1]);
    expect(w.session.getState().notice).toMatchObject({ code: 'E_EXPORT_CANCELLED' });
    expect(w.exports.getState().busy).toBeUndefined();
    expect(readdirSync(exportsDir)).toEqual([]);
    // The engine no longer holds it.
    expect(opened).toHaveLength(1);
    await vi.waitFor(() => expect(client.request('model.exportRead', { handle: opened[0], file: 0, offset: 0 })).rejects.toMatchObject({ code: 'E_EXPORT_GONE' }));
    expect(await exportModel(w, files, 'onnx', source)).toBe(true);
  });

  it('an export cancelled while the engine makes it is not kept there (a 500 MB export would stay in its memory)', async () => {
    const { client } = setup();
    const source = { kind: 'initial' as const, graph: wide };
    const abort = new AbortController();
    const opened = client.request('model.exportOpen', { source, format: 'onnx' }, { signal: abort.signal });
    abort.abort();
    await expect(opened).rejects.toMatchObject({ code: 'E_CANCELLED' });
    // Handles count from 1 on a fresh engine: none of the first few is held.
    for (let i = 1; i <= 4; i++) await expect(client.request('model.exportRead', { handle: `export-${i}`, file: 0, offset: 0 })).rejects.toMatchObject({ code: 'E_EXPORT_GONE' });
    // The next export is held and read as usual.
    const next = await client.request('model.exportOpen', { source, format: 'onnx' });
    expect((await client.request('model.exportRead', { handle: next.handle, file: 0, offset: 0 })).data.length).toBe(EXPORT_CHUNK_BYTES);
  });

  it('what an export interrupted by a crash left in exports/ goes when the host starts; an earlier export and another running host’s stay', async () => {
    const { workspace, exportsDir } = setup();
    const dead = 999_999_999;
    mkdirSync(path.join(exportsDir, `net-pytorch.tmp-${dead}-0f1e2d3c4b5a6978`), { recursive: true });
    writeFileSync(path.join(exportsDir, `net-pytorch.tmp-${dead}-0f1e2d3c4b5a6978`, 'weights.pt'), 'partial');
    writeFileSync(path.join(exportsDir, `net.onnx.tmp-${dead}-8f1e2d3c4b5a6970`), 'partial');
    writeFileSync(path.join(exportsDir, `other.onnx.tmp-${process.ppid}-1f1e2d3c4b5a6971`), 'another host is writing it');
    writeFileSync(path.join(exportsDir, 'net.onnx'), 'an earlier export');
    const removed = await new FileService({ workspaceDir: workspace, stateDir: path.join(workspace, '.netwright') }).cleanupTempFiles();
    expect(removed.map((p) => path.basename(p)).sort()).toEqual([`net-pytorch.tmp-${dead}-0f1e2d3c4b5a6978`, `net.onnx.tmp-${dead}-8f1e2d3c4b5a6970`]);
    expect(readdirSync(exportsDir).sort()).toEqual(['net.onnx', `other.onnx.tmp-${process.ppid}-1f1e2d3c4b5a6971`]);
  });

  it('a folder export (PyTorch) streams file after file, and its zip download holds the same files', async () => {
    const { client, files, exportsDir } = setup();
    await ready(client);
    const source = { kind: 'initial' as const, graph: wide };
    const whole = await client.request('model.export', { source, format: 'pytorch' });
    expect(await exportModel(w, files, 'pytorch', source)).toBe(true);
    const [folder] = readdirSync(exportsDir);
    for (const f of whole.files) expect(Buffer.compare(readFileSync(path.join(exportsDir, folder, f.path)), Buffer.from(f.data))).toBe(0);
    const { unzipSync } = await import('fflate');
    const zipped = unzipSync(new Uint8Array(await downloads[0].arrayBuffer()));
    for (const f of whole.files) expect(Buffer.compare(Buffer.from(zipped[`${folder}/${f.path}`]), Buffer.from(f.data))).toBe(0);
  });

  it('an answer the page refuses for its size fails its request with the code, instead of leaving it waiting', async () => {
    // What happened to the 507 MB export: refused past the page's total, its request never answered.
    const handlers = new Set<(m: unknown) => void>();
    const client = new RpcClient({ send: () => {}, onMessage: (h) => (handlers.add(h), () => handlers.delete(h)), close: () => {} }, () => {});
    const pending = client.request('engine.ping', {});
    const frames = encodeWireFrames({ kind: 'response', id: 1, ok: true, result: { data: new Uint8Array(3 * WIRE_CHUNK_BYTES) } }, 1);
    const page = new WireReassembler(2 * WIRE_CHUNK_BYTES);
    for (const f of frames) {
      try {
        page.push(f);
      } catch (e) {
        const refused = refusedAnswer(e);
        if (refused) handlers.forEach((h) => h(refused));
      }
    }
    await expect(pending).rejects.toMatchObject({ code: 'E_PROTOCOL_TOO_LARGE', message: expect.stringMatching(/more than 8388608 bytes/) });
  });
});
