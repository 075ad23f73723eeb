/**
 * The GPU window's page, as Electron ships it, in a real Chromium with WebGPU (on SwiftShader
 * here): `src-renderer/gpu.html` built by Vite, served from 127.0.0.1 (a secure context), and a
 * channel from this process to its worker's wire server. Electron's main hands that page a
 * MessagePort through the GPU preload; here the test posts the page the same window message with
 * a port of its own, whose far end is bridged to this process through Playwright.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import type { Channel } from '../../../src-engine/protocol/channel';
import { GPU_PORT_MESSAGE } from '../../../src-contracts/host';

const ROOT = path.resolve(__dirname, '../../..');

/** Debian's Chromium (what .ci/run installs), or CHROMIUM_PATH. */
export function chromiumPath(): string {
  const found = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => p && existsSync(p));
  if (!found) throw new Error('The GPU window test needs Chromium: `apt-get install chromium` (Debian/Ubuntu), or set CHROMIUM_PATH.');
  return found;
}

/** Build the GPU page alone (the renderer's `gpu` entry) into a temporary folder. */
async function buildGpuPage(): Promise<string> {
  const outDir = mkdtempSync(path.join(tmpdir(), 'nw-gpu-page-'));
  await build({
    configFile: false,
    root: path.join(ROOT, 'src-renderer'),
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true, minify: false, rollupOptions: { input: path.join(ROOT, 'src-renderer/gpu.html') } },
    worker: { format: 'es' },
  });
  return outDir;
}

function serve(dir: string): Promise<http.Server> {
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript' };
  const server = http.createServer((req, res) => {
    const file = path.join(dir, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    if (!file.startsWith(dir) || !existsSync(file)) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** JSON with each Uint8Array as base64: what crosses Playwright's bridge (both ends use it). */
const BRIDGE_CODEC = `
  const b64 = (u) => { let s = ''; for (let i = 0; i < u.length; i += 0x8000) s += String.fromCharCode.apply(null, u.subarray(i, i + 0x8000)); return btoa(s); };
  const unb64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  const encode = (v) => JSON.stringify(v, (k, x) => (x instanceof Uint8Array ? { $u8: b64(x) } : x));
  const decode = (s) => JSON.parse(s, (k, x) => (x && typeof x === 'object' && typeof x.$u8 === 'string' ? unb64(x.$u8) : x));
`;
const encode = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (x instanceof Uint8Array ? { $u8: Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('base64') } : x));
const decode = (s: string): unknown =>
  JSON.parse(s, (_k, x: unknown) => (x && typeof x === 'object' && typeof (x as { $u8?: unknown }).$u8 === 'string' ? new Uint8Array(Buffer.from((x as { $u8: string }).$u8, 'base64')) : x));

export interface ChromiumGpu {
  /** Opens a new connection to the page's worker (as main does for each engine request). */
  connect(): Promise<Channel>;
  page: Page;
  close(): Promise<void>;
}

/** Launch Chromium with WebGPU, open the built GPU page, and bridge connections to its worker. */
export async function openChromiumGpu(): Promise<ChromiumGpu> {
  const dir = await buildGpuPage();
  const server = await serve(dir);
  const browser: Browser = await chromium.launch({
    executablePath: chromiumPath(),
    // The e2e flags, but with the GPU process on (WebGPU needs it; Chromium picks SwiftShader here).
    args: ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    headless: true,
  });
  const page = await browser.newPage();
  const listeners = new Map<number, { message: Set<(m: unknown) => void>; close: Set<() => void> }>();
  const closeAll = () => {
    for (const l of listeners.values()) l.close.forEach((h) => h());
    listeners.clear();
  };
  page.on('close', closeAll);
  page.on('crash', closeAll);
  await page.exposeBinding('__nwToNode', (_src, conn: number, s: string) => {
    const m = decode(s);
    listeners.get(conn)?.message.forEach((h) => h(m));
  });
  const port = (server.address() as { port: number }).port;
  await page.goto(`http://127.0.0.1:${port}/gpu.html`);
  await page.evaluate(`(() => {
    ${BRIDGE_CODEC}
    window.__nwPorts = new Map();
    window.__nwOpen = (conn) => {
      const ch = new MessageChannel();
      ch.port1.onmessage = (e) => window.__nwToNode(conn, encode(e.data));
      window.__nwPorts.set(conn, ch.port1);
      window.postMessage({ type: ${JSON.stringify(GPU_PORT_MESSAGE)} }, '*', [ch.port2]);
    };
    window.__nwFromNode = (conn, s) => window.__nwPorts.get(conn)?.postMessage(decode(s));
  })()`);
  let nextConn = 1;
  return {
    page,
    async connect() {
      const conn = nextConn++;
      const l = { message: new Set<(m: unknown) => void>(), close: new Set<() => void>() };
      listeners.set(conn, l);
      await page.evaluate((c) => (window as unknown as { __nwOpen(c: number): void }).__nwOpen(c), conn);
      // One evaluate at a time, so messages arrive in the order sent.
      let chain = Promise.resolve();
      return {
        send: (m) => {
          const s = encode(m);
          chain = chain.then(() => page.evaluate(([c, t]) => (window as unknown as { __nwFromNode(c: number, t: string): void }).__nwFromNode(c, t), [conn, s] as const).catch(() => {}));
        },
        onMessage: (h) => (l.message.add(h), () => l.message.delete(h)),
        onClose: (h) => (l.close.add(h), () => l.close.delete(h)),
        close: () => {
          l.close.forEach((h) => h());
          listeners.delete(conn);
        },
      };
    },
    async close() {
      await browser.close();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
