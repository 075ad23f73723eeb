/**
 * Issue #17, class 3, through the real web host and engine child: a project's dataset cannot read
 * outside the workspace or exhaust the engine's memory, and a design too large for memory is
 * refused before it allocates. The engine must be the same process afterwards, its RSS bounded.
 */
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION } from '../../../src-engine/protocol';
import type { WebServer } from '../../../src-main/web/server';
import { connectClient, rssOf, startTestServer } from './attack-kit';
import { encodePng } from '../engine/data/user-data-fixtures';

let server: WebServer;
let outside: string;

beforeAll(async () => {
  const workspace = mkdtempSync(path.join(tmpdir(), 'netwright-workspace-'));
  outside = mkdtempSync(path.join(tmpdir(), 'netwright-outside-'));
  writeFileSync(path.join(outside, 'secret.csv'), 's3cr3t,b\n1,2\n');
  writeFileSync(path.join(workspace, 'ok.csv'), 'a,b,label\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n');
  symlinkSync(path.join(outside, 'secret.csv'), path.join(workspace, 'link.csv'));
  // #30: an image folder in the workspace, with a link out, a zero-byte file and a decompression bomb.
  for (const [cls, rgb] of [['cats', [200, 120, 40]], ['dogs', [40, 80, 200]]] as const) {
    mkdirSync(path.join(workspace, 'photos', cls), { recursive: true });
    for (let i = 0; i < 4; i++) writeFileSync(path.join(workspace, 'photos', cls, `${i}.png`), encodePng(Uint8Array.from({ length: 8 * 6 * 3 }, (_, k) => rgb[k % 3]), 8, 6, 3));
  }
  writeFileSync(path.join(outside, 'far.png'), encodePng(new Uint8Array(3), 1, 1, 3));
  symlinkSync(path.join(outside, 'far.png'), path.join(workspace, 'photos', 'cats', 'far.png'));
  writeFileSync(path.join(workspace, 'photos', 'dogs', 'zero.png'), new Uint8Array(0));
  writeFileSync(path.join(workspace, 'photos', 'dogs', 'bomb.png'), encodePng(new Uint8Array(3), 1, 1, 3, { width: 40_000, height: 40_000 }));
  server = await startTestServer({
    workspaceDir: workspace,
    token: 'data-token',
  });
});
afterAll(async () => {
  await server?.close();
});

async function session() {
  const c = await connectClient(server.port, server.token);
  await c.next((m) => m.kind === 'host' && m.state === 'ready', 20_000);
  let id = 100;
  const call = async (method: string, params: unknown) => {
    const my = id++;
    c.ws.send(JSON.stringify({ kind: 'request', id: my, method, params }));
    return (await c.next((m) => m.id === my, 20_000)) as { ok: boolean; result?: { pid?: number }; error?: { code: string; message: string } };
  };
  const pid = (await call('engine.hello', { client: 'test', protocol: PROTOCOL_VERSION })).result!.pid!;
  return { c, call, pid };
}

const preview = (options: Record<string, unknown>, name = 'csv') => ({ dataset: { name, options }, samples: 2 });

describe('web mode: datasets a project names', () => {
  it('reads a CSV in the workspace; refuses /etc/passwd, outside files and links out, without echoing them', async () => {
    const { c, call, pid } = await session();
    expect(await call('dataset.preview', preview({ path: 'ok.csv' }))).toMatchObject({ ok: true });
    for (const p of ['/etc/passwd', path.join(outside, 'secret.csv'), 'link.csv', '../../../../../../etc/passwd']) {
      const r = await call('dataset.preview', preview({ path: p }));
      expect(r, p).toMatchObject({ ok: false, error: { code: 'DATA_NOT_ALLOWED' } });
      expect(r.error!.message).not.toMatch(/root:|s3cr3t/);
    }
    expect((await call('engine.hello', { client: 'test', protocol: PROTOCOL_VERSION })).result!.pid).toBe(pid);
    c.ws.close();
  });

  it('an image folder in the workspace previews through the protocol: class names from the folders, colour samples; outside it is refused (#30)', async () => {
    const { c, call, pid } = await session();
    const r = (await call('dataset.preview', { dataset: { name: 'image-folder', options: { path: 'photos', shape: [3, 6, 8] } }, samples: 2 })) as {
      ok: boolean;
      result?: { featureShape: number[]; classNames: string[]; classBalance: number[]; counts: { train: number; val: number; test: number }; source: { fingerprint: string; files: number; skipped: { path: string; reason: string }[] } };
    };
    expect(r).toMatchObject({ ok: true, result: { featureShape: [3, 6, 8], classNames: ['cats', 'dogs'] } });
    // 8 readable images (the link out, the empty file and the bomb are skipped), split train/val/test.
    const counts = r.result!.counts;
    expect(counts.train + counts.val + counts.test).toBe(8);
    // Never a silent drop: the preview lists each skip with why.
    const skipped = Object.fromEntries(r.result!.source.skipped.map((k) => [k.path, k.reason]));
    expect(Object.keys(skipped).sort()).toEqual(['cats/far.png', 'dogs/bomb.png', 'dogs/zero.png']);
    expect(skipped['dogs/bomb.png']).toMatch(/refused before decoding/);
    expect(r.result!.source.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(await call('dataset.preview', { dataset: { name: 'image-folder', options: { path: outside } } })).toMatchObject({ ok: false, error: { code: 'DATA_NOT_ALLOWED' } });
    expect(await call('dataset.preview', { dataset: { name: 'image-folder', options: { path: 'ok.csv' } } })).toMatchObject({ ok: false, error: { code: 'DATA_NOT_A_FILE' } });
    expect((await call('engine.hello', { client: 'test', protocol: PROTOCOL_VERSION })).result!.pid).toBe(pid);
    c.ws.close();
  });

  it('scans an image folder through the protocol: data.scanProgress events, skips with reasons, a fingerprint that notices a change (#30 item 2)', async () => {
    const { c, call, pid } = await session();
    type Scan = { ok: boolean; result?: { fingerprint: string; files: number; classes: { name: string; count: number; thumbnails: unknown[] }[]; skipped: { path: string; reason: string }[]; dataset: { options: { fingerprint: string } } }; error?: { code: string } };
    const scan = (id: string, check = false) => call('data.scan', { scanId: id, path: 'photos', ...(check ? { check } : {}) }) as Promise<Scan>;
    const r = await scan('web-1');
    expect(r).toMatchObject({ ok: true, result: { files: 10 } });
    expect(r.result!.classes.map((k) => [k.name, k.count, k.thumbnails.length])).toEqual([
      ['cats', 4, 4],
      ['dogs', 4, 4],
    ]);
    expect(r.result!.skipped.map((k) => k.path).sort()).toEqual(['cats/far.png', 'dogs/bomb.png', 'dogs/zero.png']);
    // The progress events came over the socket, for this scan, ending at every file read.
    const progress = c.received.filter((m) => m.kind === 'event' && m.event === 'data.scanProgress').map((m) => m.data as { scanId: string; phase: string; done: number; files: number });
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress.every((p) => p.scanId === 'web-1')).toBe(true);
    expect(progress.at(-1)).toMatchObject({ phase: 'reading', done: 10, files: 10 });
    // Used as answered, the folder trains (no DATA_CHANGED); changed on disk, the same dataset is refused and the check says so.
    const dataset = { name: 'image-folder', options: { ...r.result!.dataset.options, path: 'photos', shape: [3, 6, 8] } };
    expect(await call('dataset.preview', { dataset, samples: 1 })).toMatchObject({ ok: true });
    writeFileSync(path.join(server.workspaceDir, 'photos', 'cats', '1.png'), encodePng(new Uint8Array(8 * 6 * 3).fill(9), 8, 6, 3));
    const again = await scan('web-2', true);
    expect(again.result!.fingerprint).not.toBe(r.result!.fingerprint);
    expect(await call('dataset.preview', { dataset, samples: 1 })).toMatchObject({ ok: false, error: { code: 'DATA_CHANGED' } });
    expect(await call('data.scan', { scanId: 'web-3', path: outside })).toMatchObject({ ok: false, error: { code: 'DATA_NOT_ALLOWED' } });
    expect((await call('engine.hello', { client: 'test', protocol: PROTOCOL_VERSION })).result!.pid).toBe(pid);
    c.ws.close();
  });

  it('refuses memory bombs in a loop with coded errors; the engine stays the same process, its RSS bounded', async () => {
    const { c, call, pid } = await session();
    const bombs: [unknown, string][] = [
      [preview({ path: '/dev/zero' }), 'DATA_NOT_ALLOWED'],
      [preview({ path: '/dev/urandom' }), 'DATA_NOT_ALLOWED'],
      [preview({ samples: 1e9 }, 'two-moons'), 'DATA_TOO_LARGE'],
      [preview({ samples: 1e7 }, 'blobs'), 'DATA_TOO_LARGE'],
      [preview({ dir: '/dev' }, 'mnist'), 'DATA_NOT_ALLOWED'],
    ];
    let base = 0;
    for (let i = 0; i < 200; i++) {
      if (i === 20) base = (await rssOf(pid)) ?? 0;
      const [params, code] = bombs[i % bombs.length];
      expect(await call('dataset.preview', params)).toMatchObject({ ok: false, error: { code } });
    }
    expect(((await rssOf(pid)) ?? 0) - base).toBeLessThan(64 * 2 ** 20);
    expect((await call('engine.hello', { client: 'test', protocol: PROTOCOL_VERSION })).result!.pid).toBe(pid);
    c.ws.close();
  });

  it('refuses to train a layer too large for memory (Linear 784→200,000→1,000 at batch 64: 357 M weights, 5.3 GiB with their gradients and Adam\'s moments, more than the CPU backend\'s 4 GiB) before allocating it', async () => {
    const { c, call, pid } = await session();
    const g = JSON.parse(readFileSync(path.resolve('examples/two-moons-mlp.json'), 'utf8')) as { nodes: { id: string; attrs: Record<string, unknown> }[]; training: { batchSize: number } };
    // The memory check runs before the data is loaded, so the Input need not match two-moons.
    g.nodes.find((n) => n.id === 'xy')!.attrs.shape = [784];
    g.nodes.find((n) => n.id === 'fc1')!.attrs.outFeatures = 200_000;
    g.nodes.find((n) => n.id === 'fc2')!.attrs.outFeatures = 1000;
    g.training.batchSize = 64;
    const before = (await rssOf(pid)) ?? 0;
    const r = await call('train.start', { graph: g, probes: false });
    expect(r).toMatchObject({ ok: false, error: { code: 'E_TRAIN_TOO_MUCH_MEMORY' } });
    expect(r.error!.message).toMatch(/at batch 64 needs (about )?\d/);
    expect(((await rssOf(pid)) ?? 0) - before).toBeLessThan(64 * 2 ** 20);
    expect((await call('engine.hello', { client: 'test', protocol: PROTOCOL_VERSION })).result!.pid).toBe(pid);
    c.ws.close();
  });
});
