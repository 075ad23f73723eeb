/**
 * What the canvas benchmarks share (bench/canvas.ts, bench/canvas-model.ts): Chromium with the e2e
 * suite's flags, the web host of the built app, frame timing and a pan gesture.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The browser and flags the e2e suite uses (test/e2e/targets.mjs), so the figures are comparable. */
export const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
export const chromiumBinary = (): string | undefined => [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => p && existsSync(p));

export interface Stats {
  n: number;
  median: number;
  p95: number;
  max: number;
  mean: number;
}

export function stats(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * (s.length - 1)))];
  return { n: s.length, median: q(0.5), p95: q(0.95), max: s[s.length - 1], mean: s.reduce((a, b) => a + b, 0) / s.length };
}

/** Times of `runs` calls of `f`, after `warmup` calls not counted. */
export function time(runs: number, f: () => void, warmup = 1): Stats {
  for (let i = 0; i < warmup; i++) f();
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    f();
    out.push(performance.now() - t0);
  }
  return stats(out);
}

export const fmt = (s: Stats): string => `median ${s.median.toFixed(2)} ms · p95 ${s.p95.toFixed(2)} ms · max ${s.max.toFixed(2)} ms (n=${s.n})`;

/** The built app's web host (out/main/web.js) on a free port, serving `workspace`. */
export async function startWebHost(workspace: string, nodeFlags: string[] = []): Promise<{ url: string; stop(): void }> {
  if (!existsSync(join(ROOT, 'out/main/web.js'))) throw new Error('build the app first: npx electron-vite build');
  const proc = spawn(process.execPath, [...nodeFlags, join(ROOT, 'out/main/web.js'), '--port', '0', '--workspace', workspace], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`web host did not start:\n${output}`)), 20_000);
    proc.stdout.on('data', (d) => {
      output += d;
      const m = /http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[0]);
      }
    });
    proc.stderr.on('data', (d) => (output += d));
  });
  return { url, stop: () => proc.kill('SIGINT') };
}

/**
 * The intervals between animation frames (ms) while `act` runs, and the canvas zoom at each frame.
 * The page must allow eval (`bypassCSP`): the recorder is evaluated from a string.
 */
export async function recordFrames(page: Page, act: () => Promise<void>): Promise<{ deltas: number[]; zooms: number[] }> {
  // A string, not a function: tsx would wrap a function with helpers the page does not have.
  await page.evaluate(`(() => {
    window.__frames = []; window.__zooms = [];
    window.__recording = true;
    const tick = (t) => { window.__frames.push(t); (window.__zooms ??= []).push(parseFloat((document.querySelector('.react-flow__viewport')?.style.transform ?? '').split('scale(')[1])); if (window.__recording) requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
  })()`);
  await act();
  const frames = (await page.evaluate('(() => { window.__recording = false; return window.__frames; })()')) as number[];
  const zooms = (await page.evaluate('window.__zooms')) as number[];
  return { deltas: frames.slice(1).map((t, i) => t - frames[i]), zooms };
}

/**
 * Pan by dragging empty canvas (a drag that starts on a node would move the node instead): three
 * loops of 40 mouse moves, each returning where it started, so the view stays on the graph.
 */
export async function panLoop(page: Page): Promise<void> {
  for (let round = 0; round < 3; round++) {
    const start = (await page.evaluate(`(() => {
      const r = document.querySelector('[data-testid=canvas]').getBoundingClientRect();
      for (let y = r.top + 40; y < r.bottom - 40; y += 17)
        for (let x = r.left + 40; x < r.right - 240; x += 23)
          if (document.elementFromPoint(x, y)?.classList.contains('react-flow__pane')) return { x, y };
      return null;
    })()`)) as { x: number; y: number } | null;
    if (!start) throw new Error('no empty canvas to start a pan from');
    await page.mouse.move(start.x, start.y);
    await page.mouse.down();
    for (let i = 1; i <= 40; i++) await page.mouse.move(start.x + Math.sin((2 * Math.PI * i) / 40) * 150, start.y + Math.sin((Math.PI * i) / 40) * 150);
    await page.mouse.up();
  }
}
