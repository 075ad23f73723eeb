/**
 * Canvas benchmark (not a test): a generated 1,000-node network.
 *
 * 1. In Node: the live compile the canvas runs after every edit (`analyzeDesign` = the engine's
 *    `analyzeGraph` + per-node figures), plus auto-layout, IR → React Flow conversion and project
 *    parsing.
 * 2. In Chromium (web mode, the built app): open the project through the UI, then record
 *    requestAnimationFrame intervals while panning (mouse drag) and zooming (wheel), and the
 *    compile time the status bar reports after edits.
 *
 * Run: `npx electron-vite build && npx tsx bench/canvas.ts` (env: CANVAS_NODES, default 1000;
 * CANVAS_SKIP_BROWSER=1 for the Node part only; CANVAS_TRACE=1 records a Chromium trace of each
 * measurement and prints where the renderer's main thread spent its time). Prints a table and writes
 * `bench/results/canvas-<date>.json`.
 */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { analyzeDesign } from '../src-renderer/src/editor/analysis';
import { FlowCache, toFlow } from '../src-renderer/src/editor/flow';
import { autoLayout } from '../src-renderer/src/editor/layout';
import { parseProject, serializeProject } from '../src-renderer/src/editor/project';
import { generateGraph } from './canvas-graph';
import { CHROMIUM_FLAGS, chromiumBinary, fmt, panLoop, recordFrames, startWebHost, stats, time } from './browser';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SIZE = Number(process.env.CANVAS_NODES ?? 1000);

function nodePart() {
  const graph = generateGraph(SIZE);
  // The file is saved with a scrambled layout (a grid in reverse order), so the in-page Layout
  // command below moves every node, as it does for a design drawn by hand.
  const cols = Math.ceil(Math.sqrt(graph.nodes.length));
  const scrambled = Object.fromEntries(graph.nodes.map((n, i) => [n.id, { x: ((graph.nodes.length - 1 - i) % cols) * 260, y: Math.floor((graph.nodes.length - 1 - i) / cols) * 140 }]));
  const text = serializeProject({ graph, layout: scrambled });
  const doc = { graph, layout: autoLayout(graph) };
  const check = analyzeDesign(graph);
  if (check.diagnostics.some((d) => d.severity === 'error')) throw new Error(`generated graph has errors: ${check.diagnostics[0].message}`);
  const results = {
    nodes: graph.nodes.length,
    params: check.params,
    compile: time(40, () => analyzeDesign(graph), 5),
    layout: time(20, () => autoLayout(graph), 5),
    toFlowCold: time(20, () => toFlow(doc, new Set(), new FlowCache()), 5),
    parse: time(20, () => parseProject(text), 5),
  };
  console.log(`Node ${process.version}, ${results.nodes} nodes, ${results.params.toLocaleString()} params`);
  console.log(`  compile (analyzeDesign)  ${fmt(results.compile)}`);
  console.log(`  auto-layout              ${fmt(results.layout)}`);
  console.log(`  IR → React Flow (cold)   ${fmt(results.toFlowCold)}`);
  console.log(`  parse project file       ${fmt(results.parse)}`);
  return { results, text };
}

async function browserPart(text: string) {
  const exe = chromiumBinary();
  if (!exe) throw new Error('no Chromium found (set CHROMIUM_PATH)');
  if (!existsSync(join(ROOT, 'out/main/web.js'))) throw new Error('build the app first: npx electron-vite build');
  const workspace = mkdtempSync(join(tmpdir(), 'netwright-bench-'));
  writeFileSync(join(workspace, 'bench-1000.netwright.json'), text);
  const host = await startWebHost(workspace);
  const browser = await chromium.launch({ executablePath: exe, args: CHROMIUM_FLAGS, headless: true });
  try {
    // bypassCSP: the recorder below is evaluated from strings (the app's CSP forbids eval); rendering is unaffected.
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, bypassCSP: true });
    await page.goto(host.url);
    await page.locator('[data-testid=canvas] .react-flow').waitFor();
    const t0 = Date.now();
    await page.click('[data-testid=cmd-open]');
    await page.click('[data-testid="open-file-bench-1000.netwright.json"]');
    await page.waitForFunction(`document.querySelector('[data-testid=canvas]')?.getAttribute('data-nodes') === '${SIZE}'`, undefined, { timeout: 60_000 });
    // Attached, not visible: at fit a 1,000-node graph is drawn by TinyGraph, its cards skipped.
    await page.waitForSelector('[data-testid^="node-"][data-op]', { state: 'attached' });
    const openMs = Date.now() - t0;
    await page.waitForTimeout(500);
    const canvas = (await page.locator('[data-testid=canvas]').boundingBox())!;
    const cx = canvas.x + canvas.width / 2;
    const cy = canvas.y + canvas.height / 2;

    const tracing = process.env.CANVAS_TRACE ? await page.context().newCDPSession(page) : null;
    /**
     * CANVAS_TRACE=1: the main thread's busiest trace events (total ms by name) while `act` runs;
     * CANVAS_TRACE=js: the JavaScript functions with the most self time (V8's sampling profiler).
     */
    const traced = async (label: string, act: () => Promise<void>) => {
      if (!tracing) return act();
      if (process.env.CANVAS_TRACE === 'js') {
        await tracing.send('Profiler.enable');
        await tracing.send('Profiler.setSamplingInterval', { interval: 200 });
        await tracing.send('Profiler.start');
        await act();
        const { profile } = await tracing.send('Profiler.stop');
        const dt = (profile.endTime - profile.startTime) / 1000 / Math.max(1, profile.samples?.length ?? 1);
        const self = new Map<string, number>();
        const byId = new Map(profile.nodes.map((n) => [n.id, n]));
        for (const id of profile.samples ?? []) {
          const f = byId.get(id)!.callFrame;
          const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber + 1}`;
          self.set(key, (self.get(key) ?? 0) + dt);
        }
        const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, 15);
        console.log(`  js ${label}: ${top.map(([n, ms]) => `${n} ${ms.toFixed(0)}`).join(' · ')} (ms self)`);
        return;
      }
      type TraceEvent = { name: string; ph: string; dur?: number; tid: number; pid: number; args?: { name?: string } };
      const events: TraceEvent[] = [];
      tracing.on('Tracing.dataCollected', (e) => void events.push(...(e.value as unknown as TraceEvent[])));
      const done = new Promise<void>((resolve) => tracing.once('Tracing.tracingComplete', () => resolve()));
      await tracing.send('Tracing.start', { categories: 'devtools.timeline,disabled-by-default-devtools.timeline,blink,cc,viz', transferMode: 'ReportEvents' });
      await act();
      await tracing.send('Tracing.end');
      await done;
      const main = events.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
      const totals = new Map<string, number>();
      for (const e of events) if (e.ph === 'X' && e.dur && (!main || (e.tid === main.tid && e.pid === main.pid))) totals.set(e.name, (totals.get(e.name) ?? 0) + e.dur / 1000);
      const top = [...totals].sort((a, b) => b[1] - a[1]).slice(0, 12);
      console.log(`  trace ${label}: ${top.map(([n, ms]) => `${n} ${ms.toFixed(0)}`).join(' · ')} (ms, nested events overlap)`);
    };

    const record = async (label: string, act: () => Promise<void>) => {
      const { deltas, zooms } = await recordFrames(page, () => traced(label, act));
      const visible = await page.locator('.react-flow__node').count();
      const viewport = await page.locator('.react-flow__viewport').getAttribute('style');
      if (process.env.CANVAS_SCREENSHOTS) await page.screenshot({ path: join(ROOT, 'test-results', `canvas-bench-${label.replace(/\W+/g, '-')}.png`) });
      if (!/translate|scale/.test(viewport ?? '')) throw new Error('no viewport transform found');
      const s = stats(deltas);
      console.log(`  ${label.padEnd(24)} frame ${fmt(s)} · ${(1000 / s.mean).toFixed(0)} fps mean · ${visible} nodes rendered · ${/scale\(([\d.]+)\)/.exec(viewport ?? '')?.[1] ?? '?'}× zoom`);
      const long = deltas.map((d, i) => [d, zooms[i + 1]] as const).filter(([d]) => d > 50).map(([d, z]) => `${d.toFixed(0)} (at ${Number(z).toFixed(2)}×)`);
      if (long.length) console.log(`  ${''.padEnd(24)} ${long.length} frames over 50 ms: ${long.join(', ')} ms`);
      return { ...s, visibleNodes: visible, viewport };
    };

    const pan = () => panLoop(page);
    // `notches` wheel notches in (negative: out), then as many back; each notch is ×1.18 or so.
    const zoom = (notches: number, rounds = 1) => async () => {
      await page.mouse.move(cx, cy);
      for (let r = 0; r < rounds; r++)
        for (let i = 0; i < 2 * Math.abs(notches); i++) {
          await page.mouse.wheel(0, (i < Math.abs(notches) ? -120 : 120) * Math.sign(notches));
          await page.waitForTimeout(16);
        }
    };

    console.log(`Chromium (headless, software rendering), ${SIZE} nodes — opened and drawn in ${openMs} ms`);

    // The Layout command as the user sees it: click to the first frame painted with every node moved
    // (the layout, the edit, React Flow's update and the paint; not the fit animation after it).
    const layoutMs: number[] = [];
    for (let i = 0; i < 3; i++) {
      if (i > 0) {
        await page.click('[data-testid=cmd-undo]');
        await page.waitForTimeout(300);
      }
      const first = `document.querySelector('[data-testid^="node-"][data-op]')?.closest('.react-flow__node')?.style.transform`;
      const before = (await page.evaluate(first)) as string;
      let ms = 0;
      await traced(`Layout ${i + 1}`, async () => {
        ms = (await page.evaluate(`new Promise((resolve) => {
        const t0 = performance.now();
        document.querySelector('[data-testid=cmd-layout]').click();
        const check = () => (${first}) !== ${JSON.stringify(before)} ? setTimeout(() => resolve(performance.now() - t0), 0) : requestAnimationFrame(check);
        requestAnimationFrame(check);
      })`)) as number;
      });
      layoutMs.push(ms);
      await page.waitForTimeout(400);
    }
    const layoutInPage = stats(layoutMs);
    console.log(`  Layout command (painted) ${fmt(layoutInPage)}`);

    await page.click('[data-testid=cmd-fit]');
    await page.waitForTimeout(400);
    const fitPan = await record('pan, zoomed to fit', pan);
    // Around fit, every node stays in view (issue #18's "zoom at fit with all nodes visible"): out
    // to about half the fit's zoom and back, twice. Then from fit in through both levels of detail
    // to about 5× the fit's zoom (cards in full) and back, which crosses each level twice.
    const aroundFitZoom = await record('wheel zoom around fit', zoom(-4, 2));
    await page.click('[data-testid=cmd-fit]');
    await page.waitForTimeout(400);
    const fitZoom = await record('wheel zoom, fit to 5×', zoom(10));
    await page.click('[data-testid=cmd-fit]');
    await page.waitForTimeout(400);
    // Zoom in to about 100 % on the node nearest the centre (a realistic editing view: nodes under
    // the pointer, not the empty space between the graph's columns).
    const target = (await page.evaluate(`(() => {
      let best = null;
      for (const el of document.querySelectorAll('.react-flow__node')) {
        const r = el.getBoundingClientRect();
        const x = r.left + r.width / 2, y = r.top + r.height / 2;
        const d = (x - ${cx}) ** 2 + (y - ${cy}) ** 2;
        if (!best || d < best.d) best = { x, y, d };
      }
      return best;
    })()`)) as { x: number; y: number } | null;
    if (!target) throw new Error('no node on the canvas to zoom in on');
    await page.mouse.move(target.x, target.y);
    for (let i = 0; i < 12; i++) {
      await page.mouse.wheel(0, -200);
      await page.waitForTimeout(30);
    }
    await page.waitForTimeout(400);
    const closePan = await record('pan, zoomed in', pan);
    if (closePan.visibleNodes === 0) throw new Error('the zoomed-in pan rendered no nodes: it measures an empty canvas');

    // The compile time the app itself measures after real edits (add a node, undo).
    const compileMs: number[] = [];
    for (let i = 0; i < 6; i++) {
      await page.dblclick('[data-testid="palette-item-ReLU"]');
      await page.waitForFunction(`document.querySelector('[data-testid=design-totals]')?.getAttribute('data-pending') === 'false'`);
      compileMs.push(Number(await page.locator('[data-testid=design-totals]').getAttribute('data-compile-ms')));
      await page.click('[data-testid=cmd-undo]');
      await page.waitForFunction(`document.querySelector('[data-testid=design-totals]')?.getAttribute('data-pending') === 'false'`);
      compileMs.push(Number(await page.locator('[data-testid=design-totals]').getAttribute('data-compile-ms')));
    }
    const compile = stats(compileMs);
    console.log(`  compile in the page      ${fmt(compile)}`);
    return { openMs, layoutInPage, fitPan, aroundFitZoom, fitZoom, closePan, compile };
  } finally {
    await browser.close();
    host.stop();
  }
}

const node = nodePart();
const browserResults = process.env.CANVAS_SKIP_BROWSER ? undefined : await browserPart(node.text);
mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
const file = join(ROOT, 'bench/results', `canvas-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}.json`);
writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), node: process.version, size: SIZE, ...node.results, browser: browserResults }, null, 2));
console.log(`wrote ${file}`);
