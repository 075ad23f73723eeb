/**
 * The web demo export (#85 deliverable 4): `netwright export --format web` of a briefly trained
 * MNIST MLP, opened in headless Chromium from disk with the network off (every request that is not
 * `file:` aborted and recorded) and from a local static server; test digits given through the
 * page's file input are classified as `netwright predict` classifies them (same class, top
 * probability within 1e-4), a 28 × 28 grey PNG and a 40 × 40 RGB one (resized and converted as
 * training does), one dropped on the page and a digit drawn on its pad; a fake camera's frames are
 * classified; a text model reads a typed text as `predict --text` does. SCREENSHOT=path keeps a screenshot of the page. About 15 s.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../../../../src-engine/node/datasets';
import { main as exportCli } from '../../../../src-engine/node/export-cli';
import { main as predictCli } from '../../../../src-engine/node/predict-cli';
import { main as trainCli } from '../../../../src-engine/node/train-cli';
import { encodePng } from '../data/user-data-fixtures';
import { runCli } from './cli-run';
import { setupEngine } from '../../session/fixtures';
import { webDemoRuntime } from '../../../../src-engine/node/web-demo-runtime';

const EXAMPLES = join(import.meta.dirname, '..', '..', '..', '..', 'examples');
const CHROMIUM = '/usr/bin/chromium';

/** Test digit `i` of MNIST as 8-bit grey pixels. */
function digit(i: number): Uint8Array {
  const mnist = loadDataset({ name: 'mnist' }).test!;
  return Uint8Array.from(mnist.features.subarray(i * 784, (i + 1) * 784), (v) => Math.round(v * 255));
}

/** `grey` (28 × 28) scaled to `size` × `size` RGB by nearest neighbour, tinted so the channels differ. */
function rgbDigit(grey: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const v = grey[Math.floor((y * 28) / size) * 28 + Math.floor((x * 28) / size)];
      out.set([v, Math.round(v * 0.8), Math.round(v * 0.6)], (y * size + x) * 3);
    }
  }
  return out;
}

type Shown = { name: string; index: number; probability: number };

/** The page's answer for `file` given through its file input. */
async function classify(page: Page, file: string): Promise<Shown> {
  await page.setInputFiles('#file', file);
  const name = file.split('/').pop()!;
  await page.waitForFunction((n) => document.getElementById('status')?.textContent?.includes(n) || document.getElementById('error')?.textContent, name);
  expect(await page.textContent('#error')).toBe('');
  return page.evaluate(() => {
    const c = document.getElementById('top-class')!;
    return { name: c.textContent!, index: Number(c.dataset.index), probability: Number(document.getElementById('top-probability')!.dataset.probability) };
  });
}

describe.skipIf(!existsSync(CHROMIUM))('web demo export', () => {
  let dir: string;
  let modelJson: string;
  let images: string[];
  let expected: Map<string, { probability: number; class: string }>;
  let browser: Browser;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nw-web-demo-'));
    modelJson = join(dir, 'digits.model.json');
    const trained = await runCli(trainCli, [join(EXAMPLES, 'mnist-mlp.json'), '--epochs', '1', '--limit', '512', '--threads', '1', '--runs', join(dir, 'runs'), '--export', modelJson]);
    expect(trained.code, trained.err).toBe(0);
    const exported = await runCli(exportCli, [modelJson, '--format', 'web', '--out', join(dir, 'demo')]);
    expect(exported.code, exported.err).toBe(0);
    images = [join(dir, 'seven.png'), join(dir, 'two-rgb-40.png'), join(dir, 'one.png')];
    writeFileSync(images[0], encodePng(digit(0), 28, 28, 1));
    writeFileSync(images[1], encodePng(rgbDigit(digit(1), 40), 40, 40, 3));
    writeFileSync(images[2], encodePng(digit(2), 28, 28, 1));
    const predicted = await runCli(predictCli, [modelJson, ...images, '--json', '--threads', '1']);
    expect(predicted.code, predicted.err).toBe(0);
    expected = new Map();
    for (const line of predicted.out.trim().split('\n')) {
      const p = JSON.parse(line) as { input: string; values: number[]; predicted: number; classNames: string[] };
      expected.set(p.input, { probability: p.values[p.predicted], class: p.classNames[p.predicted] ?? String(p.predicted) });
    }
    // A fake camera (Chromium's test pattern), allowed without asking.
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'] });
  }, 60_000);
  afterAll(() => browser?.close());

  it('writes the page, the model, the runtime and the model card, and nothing that reaches a network', () => {
    const html = readFileSync(join(dir, 'demo', 'index.html'), 'utf8');
    expect(html).toMatch(/http-equiv="Content-Security-Policy" content="default-src 'self' file:;[^"]*"/);
    expect(html).not.toMatch(/https?:\/\//);
    expect(readFileSync(join(dir, 'demo', 'model.js'), 'utf8')).toMatch(/^globalThis\.NETWRIGHT_DEMO_MODEL = "/);
    expect(readFileSync(join(dir, 'demo', 'README.md'), 'utf8')).toMatch(/^# Model card/);
    expect(readFileSync(join(dir, 'demo', 'netwright-demo.js'), 'utf8')).not.toMatch(/\bfetch\(|XMLHttpRequest|WebSocket|importScripts/);
  });

  it('opened from disk offline, classifies test digits as netwright predict does', async () => {
    const context = await browser.newContext();
    await context.setOffline(true);
    const refused: string[] = [];
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:')) return route.continue();
      refused.push(url);
      return route.abort();
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(pathToFileURL(join(dir, 'demo', 'index.html')).href);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 10_000 });
    for (const image of images) {
      const shown = await classify(page, image);
      const want = expected.get(image)!;
      expect(shown.name, image).toBe(want.class);
      expect(Math.abs(shown.probability - want.probability), image).toBeLessThan(1e-4);
    }
    // A file dropped on the page: answered as the file input answers it.
    await page.evaluate((b64) => {
      const dt = new DataTransfer();
      dt.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], 'dropped.png', { type: 'image/png' }));
      document.getElementById('drop')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, readFileSync(images[2]).toString('base64'));
    await page.waitForFunction(() => document.getElementById('status')?.textContent?.includes('dropped.png'));
    const dropped = await page.evaluate(() => Number(document.getElementById('top-probability')!.dataset.probability));
    expect(Math.abs(dropped - expected.get(images[2])!.probability)).toBeLessThan(1e-4);
    // A digit drawn on the pad: answered as predict answers the pad's pixels (280 × 280 RGB, resized to 28 × 28).
    const pad = (await page.locator('#pad').boundingBox())!;
    await page.mouse.move(pad.x + pad.width * 0.5, pad.y + pad.height * 0.15);
    await page.mouse.down();
    await page.mouse.move(pad.x + pad.width * 0.52, pad.y + pad.height * 0.5, { steps: 8 });
    await page.mouse.move(pad.x + pad.width * 0.5, pad.y + pad.height * 0.85, { steps: 8 });
    await page.mouse.up();
    await page.waitForFunction(() => document.getElementById('status')?.textContent?.includes('the drawing'));
    const drawn = await page.evaluate(() => {
      const c = document.getElementById('top-class')!;
      const rgba = (document.getElementById('pad') as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, 280, 280).data;
      return { name: c.textContent!, probability: Number(document.getElementById('top-probability')!.dataset.probability), rgb: Array.from(rgba).filter((_, i) => i % 4 !== 3) };
    });
    const drawing = join(dir, 'drawing.png');
    writeFileSync(drawing, encodePng(Uint8Array.from(drawn.rgb), 280, 280, 3));
    const fromPredict = JSON.parse((await runCli(predictCli, [modelJson, drawing, '--json', '--threads', '1'])).out) as { values: number[]; predicted: number; classNames: string[] };
    expect(drawn.rgb.some((v) => v > 0)).toBe(true);
    expect(drawn.name).toBe(fromPredict.classNames[fromPredict.predicted]);
    expect(Math.abs(drawn.probability - fromPredict.values[fromPredict.predicted])).toBeLessThan(1e-4);
    if (process.env.SCREENSHOT) await page.screenshot({ path: process.env.SCREENSHOT, fullPage: true });
    expect(errors).toEqual([]);
    expect(refused).toEqual([]);
    await context.close();
  }, 30_000);

  it("a camera's frames are classified (Chromium's fake camera), offline from disk", async () => {
    const context = await browser.newContext({ permissions: ['camera'] });
    await context.setOffline(true);
    const page = await context.newPage();
    await page.goto(pathToFileURL(join(dir, 'demo', 'index.html')).href);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 10_000 });
    await page.click('#camera-start');
    await page.waitForFunction(() => document.getElementById('status')?.textContent?.includes('the camera') || document.getElementById('error')?.textContent, undefined, { timeout: 10_000 });
    expect(await page.textContent('#error')).toBe('');
    const shown = await page.evaluate(() => ({ name: document.getElementById('top-class')!.textContent, width: (document.getElementById('video') as HTMLVideoElement).videoWidth }));
    // The frame was read from the camera's stream (the fake one is 640 wide), and a class shown.
    expect(shown.width).toBeGreaterThan(0);
    expect(Array.from({ length: 10 }, (_, i) => String(i))).toContain(shown.name);
    await context.close();
  }, 30_000);

  it('a text model reads a typed text through its own tokenizer, as netwright predict --text does', async () => {
    const modelJson = join(dir, 'fortunes.model.json');
    const trained = await runCli(trainCli, [join(EXAMPLES, 'fortunes-topics-bow.json'), '--epochs', '1', '--limit', '128', '--threads', '1', '--runs', join(dir, 'runs'), '--export', modelJson]);
    expect(trained.code, trained.err).toBe(0);
    expect((await runCli(exportCli, [modelJson, '--format', 'web', '--out', join(dir, 'fortunes')])).code).toBe(0);
    const text = 'The compiler crashed again; science and poems will not save the politics of this program.';
    const p = JSON.parse((await runCli(predictCli, [modelJson, '--text', text, '--json'])).out) as { values: number[]; predicted: number; classNames: string[] };
    const context = await browser.newContext();
    await context.setOffline(true);
    const page = await context.newPage();
    await page.goto(pathToFileURL(join(dir, 'fortunes', 'index.html')).href);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 10_000 });
    expect(await page.isVisible('#image-input')).toBe(false);
    await page.fill('#typed-text', text);
    await page.click('#text-go');
    await page.waitForFunction(() => document.getElementById('status')?.textContent?.includes('the text'));
    const shown = await page.evaluate(() => ({ name: document.getElementById('top-class')!.textContent, p: Number(document.getElementById('top-probability')!.dataset.probability) }));
    expect(shown.name).toBe(p.classNames[p.predicted]);
    expect(Math.abs(shown.p - p.values[p.predicted])).toBeLessThan(1e-4);
    await context.close();
  }, 30_000);

  it('served by a static server, classifies the same', async () => {
    const root = join(dir, 'demo');
    const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.md': 'text/markdown' };
    const server: Server = createServer((req, res) => {
      const name = (req.url ?? '/').split('?')[0].replace(/^\/$/, '/index.html').slice(1);
      if (!/^[\w.-]+$/.test(name) || !existsSync(join(root, name))) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': types[extname(name)] ?? 'application/octet-stream' }).end(readFileSync(join(root, name)));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const context = await browser.newContext();
    const elsewhere: string[] = [];
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(`${origin}/`)) return route.continue();
      elsewhere.push(url);
      return route.abort();
    });
    try {
      const page = await context.newPage();
      await page.goto(`${origin}/`);
      await page.waitForSelector('body[data-ready="true"]', { timeout: 10_000 });
      const shown = await classify(page, images[0]);
      expect(shown.name).toBe(expected.get(images[0])!.class);
      expect(Math.abs(shown.probability - expected.get(images[0])!.probability)).toBeLessThan(1e-4);
      expect(elsewhere).toEqual([]);
    } finally {
      await context.close();
      server.close();
    }
  }, 30_000);
});

describe("the app's Export ▸ Web page…", () => {
  it('is listed from the formats table and writes the same folder through the engine service, the script given by the host', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nw-web-demo-app-'));
    const exported = await runCli(exportCli, [join(EXAMPLES, 'mnist-mlp.json'), '--format', 'json', '--out', join(dir, 'm.netwright-model.json')]);
    expect(exported.code, exported.err).toBe(0);
    const model = JSON.parse(readFileSync(join(dir, 'm.netwright-model.json'), 'utf8')) as object;
    const { client } = setupEngine({ pageRuntime: webDemoRuntime });
    await client.request('model.load', { model });
    const formats = (await client.request('model.formats', {})).formats;
    expect(formats.find((f) => f.id === 'web')).toMatchObject({ label: 'Web page', kind: 'folder', name: '-web' });
    const r = await client.request('model.export', { source: { kind: 'current' }, format: 'web' });
    expect(r.kind).toBe('folder');
    expect(r.files.map((f) => f.path).sort()).toEqual(['README.md', 'index.html', 'model.js', 'netwright-demo.js']);
    const text = (p: string) => new TextDecoder().decode(r.files.find((f) => f.path === p)!.data);
    expect(text('netwright-demo.js')).toBe(webDemoRuntime());
    const held = (text('model.js').match(/^globalThis\.NETWRIGHT_DEMO_MODEL = (".*");$/m) ?? [])[1];
    expect((JSON.parse(JSON.parse(held)) as { params: unknown }).params).toEqual((model as { params: unknown }).params);
    // A host without the script: refused by code, nothing half-written.
    const bare = setupEngine();
    await bare.client.request('model.load', { model });
    await expect(bare.client.request('model.export', { source: { kind: 'current' }, format: 'web' })).rejects.toMatchObject({ code: 'E_EXPORT_UNSUPPORTED' });
  }, 30_000);
});
