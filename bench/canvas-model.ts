/**
 * Canvas benchmark of a real imported model (#29 item 2): torchvision's densenet121 as torch.onnx
 * writes it (372 nodes, 66 groups from its module scopes), made by
 * test/golden/gen_torchvision_onnx.py into node_modules/.cache (the torchvision import tests' cache).
 *
 * 1. In Node: the engine's import, and the canvas's part of opening it (parse, groups opened and
 *    folded, layout with groups; IR → React Flow).
 * 2. In Chromium at 1280×800 (web mode, the built app, the real renderer): Import ONNX through the
 *    UI until the laid-out design is painted; the same design opened from a saved project (the
 *    canvas alone, no weights); frames while panning at fit with the groups as imported (blocks
 *    folded) and with every group open; screenshots at fit of the folded design and of
 *    `denseblock1` opened (test-results/densenet121-*.png).
 *
 * Run: `npx electron-vite build && npx tsx bench/canvas-model.ts` (env: CANVAS_MODEL, default
 * densenet121; any model of the generator's index; CANVAS_SKIP_BROWSER; CANVAS_IMPORT_ONLY: the
 * browser's Import ONNX alone, with its phases). Prints a table and writes
 * `bench/results/canvas-model-<date>.json`.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { importOnnx } from '../src-engine/core/import/onnx';
import { FlowCache, toFlow } from '../src-renderer/src/editor/flow';
import { parseProject, serializeProject } from '../src-renderer/src/editor/project';
import { torchvisionFixtures } from '../test/unit/engine/export/onnx/torchvision-fixtures';
import { CHROMIUM_FLAGS, chromiumBinary, fmt, panLoop, recordFrames, startWebHost, stats, time } from './browser';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const MODEL = process.env.CANVAS_MODEL ?? 'densenet121';
const VIEW = { width: 1280, height: 800 };

function nodePart(file: string) {
  const bytes = readFileSync(file);
  const importMs = time(3, () => importOnnx(bytes));
  const { model } = importOnnx(bytes);
  const text = JSON.stringify({ ...model.graph, name: MODEL });
  // The canvas at 1280×800 less the side panels is about 1.6 wide for 1 high.
  const open = time(10, () => parseProject(text, { aspect: 1.6 }));
  const parsed = parseProject(text, { aspect: 1.6 });
  if (!parsed.ok) throw new Error(parsed.message);
  const flow = time(10, () => toFlow(parsed.doc, new Set(), new FlowCache()));
  const drawn = toFlow(parsed.doc);
  const results = { nodes: model.graph.nodes.length, groups: model.graph.groups?.length ?? 0, drawnFolded: drawn.nodes.length, importMs, open, flow };
  console.log(`Node ${process.version}, ${MODEL}: ${results.nodes} nodes, ${results.groups} groups; as imported ${results.drawnFolded} cards and nodes drawn`);
  console.log(`  engine import (importOnnx)          ${fmt(importMs)}`);
  console.log(`  canvas open (parse, groups, layout) ${fmt(open)}`);
  console.log(`  IR → React Flow (cold)              ${fmt(flow)}`);
  return { results, project: serializeProject(parsed.doc, parsed.ui), nodes: results.nodes };
}

/** Resolves when the canvas shows `nodes` nodes and a group card or frame is painted. */
async function painted(page: Page, nodes: number): Promise<void> {
  await page.waitForFunction(`document.querySelector('[data-testid=canvas]')?.getAttribute('data-nodes') === '${nodes}' && !!document.querySelector('.react-flow__node-op-group, .react-flow__node-group-frame')`, undefined, { timeout: 120_000, polling: 'raf' });
  await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
}

/**
 * The import's phases in the page, from the renderer's `import:*` performance marks
 * (src-renderer/src/training/export.ts): the file put where the engine reads it (web mode: its
 * upload to the host), the engine's read (the file read, parsed, folded, shapes),
 * the canvas's layout, the engine's load, the stores, then until the bench saw it painted.
 */
// A string: tsx's transform names functions with a helper the page does not have.
const importPhases = `(() => {
  const at = (name) => performance.getEntriesByName(name, 'mark')[0]?.startTime ?? NaN;
  const marks = ['import:start', 'import:sent', 'import:read', 'import:laid-out', 'import:confirmed', 'import:loaded', 'import:stored'].map(at);
  const labels = ['file where the engine reads it (upload)', 'engine read, parse, IR (model.read)', 'canvas layout (parseProject)', 'confirm discard', 'engine load (model.load)', 'stores updated'];
  const out = {};
  labels.forEach((l, i) => (out[l] = marks[i + 1] - marks[i]));
  out['render → painted'] = performance.now() - marks[6];
  return out;
})()`;

async function browserPart(file: string, project: string, nodes: number) {
  const exe = chromiumBinary();
  if (!exe) throw new Error('no Chromium found (set CHROMIUM_PATH)');
  const workspace = mkdtempSync(join(tmpdir(), 'netwright-bench-'));
  writeFileSync(join(workspace, `${MODEL}.netwright.json`), project);
  const host = await startWebHost(workspace);
  const browser = await chromium.launch({ executablePath: exe, args: CHROMIUM_FLAGS, headless: true });
  const shots = join(ROOT, 'test-results');
  mkdirSync(shots, { recursive: true });
  try {
    const page = await browser.newPage({ viewport: VIEW, bypassCSP: true });
    await page.goto(host.url);
    await page.locator('[data-testid=canvas] .react-flow').waitFor();
    await page.locator('[data-testid=engine-status][data-state=ready], [data-testid=cmd-import-onnx]').first().waitFor();
    await page.waitForTimeout(1000);

    // Import ONNX as the user does: the file is read by the engine (weights included), the design
    // opens laid out with its groups.
    const importMs: number[] = [];
    const phases: Record<string, number>[] = [];
    for (let i = 0; i < 3; i++) {
      if (i > 0) {
        await page.click('[data-testid=cmd-new]');
        await page.locator('[data-testid=confirm-ok]').click({ timeout: 2000 }).catch(() => undefined);
        await page.waitForFunction(`document.querySelector('[data-testid=canvas]')?.getAttribute('data-nodes') === '0'`);
      }
      await page.evaluate('performance.clearMarks()');
      const t0 = Date.now();
      await page.locator('[data-testid=import-onnx-file]').setInputFiles(file);
      // The app asks before discarding a design it would lose: answered as soon as it asks (a fixed
      // wait for a question that may never come would be timed too).
      const asked = await page.waitForFunction(`!!document.querySelector('[data-testid=confirm-ok]') || document.querySelector('[data-testid=canvas]')?.getAttribute('data-nodes') === '${nodes}'`, undefined, { timeout: 120_000, polling: 'raf' });
      await asked.dispose();
      await page.locator('[data-testid=confirm-ok]').click({ timeout: 50 }).catch(() => undefined);
      await painted(page, nodes);
      importMs.push(Date.now() - t0);
      phases.push(await page.evaluate<Record<string, number>>(importPhases));
    }
    const imported = stats(importMs);
    console.log(`Chromium (headless, software rendering) ${VIEW.width}×${VIEW.height}, ${MODEL}`);
    console.log(`  Import ONNX → laid out, painted     ${fmt(imported)}`);
    const phaseStats = Object.fromEntries(Object.keys(phases[0] ?? {}).map((k) => [k, stats(phases.map((p) => p[k]))]));
    for (const [k, s] of Object.entries(phaseStats)) console.log(`    ${k.padEnd(33)} ${fmt(s)}`);

    // CANVAS_IMPORT_ONLY: the import alone (A/B rounds of it).
    if (process.env.CANVAS_IMPORT_ONLY) return { imported, phases: phaseStats };

    // The same design from a saved project: the canvas's part alone.
    const openMs: number[] = [];
    for (let i = 0; i < 3; i++) {
      await page.click('[data-testid=cmd-new]');
      await page.locator('[data-testid=confirm-ok]').click({ timeout: 2000 }).catch(() => undefined);
      await page.waitForFunction(`document.querySelector('[data-testid=canvas]')?.getAttribute('data-nodes') === '0'`);
      await page.click('[data-testid=cmd-open]');
      const t0 = Date.now();
      await page.click(`[data-testid="open-file-${MODEL}.netwright.json"]`);
      await painted(page, nodes);
      openMs.push(Date.now() - t0);
    }
    const opened = stats(openMs);
    console.log(`  Open saved project → painted        ${fmt(opened)}`);

    const fit = async () => {
      await page.keyboard.press('Shift+F');
      await page.waitForTimeout(700);
    };
    const pan = async (label: string) => {
      const { deltas } = await recordFrames(page, () => panLoop(page));
      const s = stats(deltas);
      const drawn = await page.locator('.react-flow__node').count();
      const zoom = /scale\(([\d.]+)\)/.exec((await page.locator('.react-flow__viewport').getAttribute('style')) ?? '')?.[1] ?? '?';
      console.log(`  ${label.padEnd(35)} frame ${fmt(s)} · ${(1000 / s.mean).toFixed(0)} fps mean · ${drawn} cards/nodes · ${zoom}× zoom`);
      return { ...s, fps: 1000 / s.mean, drawn, zoom };
    };

    await fit();
    await page.screenshot({ path: join(shots, `${MODEL}-folded-1280x800.png`) });
    const panFolded = await pan('pan at fit, blocks folded');

    // One dense block opened (its layers folded), then every group open.
    const block = (await page.locator('[data-testid^="group-open-"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')))).find((id) => /block1$/.test(id ?? '')) ?? null;
    if (block) {
      await page.click(`[data-testid="${block}"]`);
      await page.waitForTimeout(300);
      await fit();
      await page.screenshot({ path: join(shots, `${MODEL}-block1-open-1280x800.png`) });
    }
    await page.keyboard.press('Shift+E');
    await page.waitForTimeout(1500);
    await fit();
    await page.screenshot({ path: join(shots, `${MODEL}-all-open-1280x800.png`) });
    const panOpen = await pan('pan at fit, every group open');
    return { imported, phases: phaseStats, opened, panFolded, panOpen };
  } finally {
    await browser.close();
    host.stop();
  }
}

const file = join(torchvisionFixtures(), `${MODEL}.onnx`);
const node = nodePart(file);
const browserResults = process.env.CANVAS_SKIP_BROWSER ? undefined : await browserPart(file, node.project, node.nodes);
mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
const out = join(ROOT, 'bench/results', `canvas-model-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}.json`);
writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), node: process.version, model: MODEL, ...node.results, browser: browserResults }, null, 2));
console.log(`wrote ${out}`);
