// The user guide's screenshots (docs/guide/img/*.png), taken in the real UI at 1280×800: web mode
// (out/main/web.js, built once by `npm run build`) in a system Chromium, driven by the e2e
// harness's steps (test/e2e/harness.mjs). Run it after a change to the UI that the guide shows:
//
//   npm run build && node scripts/guide-screenshots.mjs [name ...]
//
// With names (design, train, watch, runs, compare, export, data), only those shots are taken; the
// training they need is done either way. A PNG over 200 KB is re-encoded with a palette, and any
// still over it is named (exit code 1), so the guide stays light to clone. Not a test: it asserts only that each step finds what it waits for.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { ROOT, replay } from '../test/e2e/harness.mjs';
import { CHROMIUM_FLAGS, chromiumBinary } from '../test/e2e/targets.mjs';

const OUT_DIR = path.join(ROOT, 'docs/guide/img');
const MAX_BYTES = 200 * 1024;
const VIEWPORT = { width: 1280, height: 800 };

/**
 * A screenshot over the limit (a canvas's dotted grid and antialiased text cost bytes) re-encoded
 * with a 256-colour palette by Pillow (Debian's python3-pil); undithered median cut keeps text
 * sharp. Returns the new size, or the old one where Pillow is missing.
 */
function shrink(file, bytes) {
  const script = 'import sys\nfrom PIL import Image\nim = Image.open(sys.argv[1]).convert("RGB")\nim.quantize(colors=256, method=Image.MEDIANCUT, dither=Image.NONE).save(sys.argv[1], optimize=True)';
  const r = spawnSync('/usr/bin/python3', ['-c', script, file], { encoding: 'utf8' });
  if (r.status !== 0) {
    console.error(`could not shrink ${path.basename(file)} (needs /usr/bin/python3 with Pillow): ${r.stderr || r.error}`);
    return bytes;
  }
  return statSync(file).size;
}

/** Start `node out/main/web.js` on a free port over a fresh workspace; resolves with its tokened address. */
async function startWeb(workspace) {
  const web = path.join(ROOT, 'out/main/web.js');
  if (!existsSync(web)) throw new Error('out/main/web.js is missing: run `npm run build` first');
  const proc = spawn(process.execPath, [web, '--port', '0', '--workspace', workspace], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`web host printed no address in 20 s:\n${output}`)), 20_000);
    const onData = (d) => {
      output += d;
      const m = /http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[0]);
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', (d) => (output += d));
    proc.once('exit', (code) => reject(new Error(`web host exited (${code}):\n${output}`)));
  });
  return { proc, url };
}

const openTemplate = (id) => [
  { click: '[data-testid=cmd-templates]' },
  { click: `[data-testid=template-${id}]` },
  { clickIfPresent: '[data-testid=confirm-ok]', until: '[data-testid=doc-title][data-dirty=false]', within: 3_000 },
  { expectGone: '[data-testid=template-gallery]' },
  { expect: '[data-testid=design-totals]', attr: ['data-errors', '0'] },
];
const setField = (name, value) => [{ fill: `[data-testid=train-${name}]`, value: String(value) }, { press: 'Enter' }];
/** A run of the epochs set with `optimizer` at `lr`, waited for until done. */
const trainWith = (optimizer, lr) => [
  { select: '[data-testid=train-optimizer]', value: optimizer },
  ...setField('lr', lr),
  { click: '[data-testid=train-start]' },
  { expect: '[data-testid=run-state]', attr: ['data-state', 'running'], within: 30_000 },
  { expect: '[data-testid=run-state]', attr: ['data-state', 'done'], within: 300_000 },
  { wait: 700 }, // charts redraw at most every 500 ms
];

async function main() {
  const wanted = new Set(process.argv.slice(2));
  const take = (name) => wanted.size === 0 || wanted.has(name);
  const browserPath = chromiumBinary();
  if (!browserPath) throw new Error('no Chromium found: install chromium or set CHROMIUM_PATH');
  mkdirSync(OUT_DIR, { recursive: true });
  const workspace = mkdtempSync(path.join(tmpdir(), 'netwright-guide-'));
  const host = await startWeb(workspace);
  const browser = await chromium.launch({ executablePath: browserPath, args: CHROMIUM_FLAGS, headless: true });
  const page = await browser.newPage({ viewport: VIEWPORT });
  page.on('dialog', (d) => void d.dismiss());
  const app = { page, target: 'web', workspace };
  const written = [];
  const shot = async (name) => {
    if (!take(name)) return;
    const file = path.join(OUT_DIR, `${name}.png`);
    await page.screenshot({ path: file, type: 'png' });
    let bytes = statSync(file).size;
    if (bytes > MAX_BYTES) bytes = shrink(file, bytes);
    written.push({ name, bytes });
    console.log(`${path.relative(ROOT, file)}  ${(bytes / 1024).toFixed(0)} KB`);
  };
  const run = (steps) => replay(app, steps, (where) => process.env.GUIDE_VERBOSE && console.log(where));
  try {
    await page.goto(host.url);
    await run([{ expect: '[data-testid=engine-status]', attr: ['data-state', 'ready'], within: 30_000 }]);

    // Design: a template on the canvas, one node selected so the inspector shows its settings.
    await run([...openTemplate('mnist-cnn'), { press: 'Shift+F' }, { wait: 500 }, { click: '[data-testid="node-conv1"] .op-node__head' }, { wait: 300 }]);
    await shot('design');

    // Train and watch: the MNIST MLP, three epochs with Adam, then with SGD.
    await run([
      ...openTemplate('mnist-mlp'),
      { click: '[data-testid=train-tab-curves]' },
      { expect: '[data-testid=dataset-preview]', within: 30_000 },
      ...setField('epochs', 3),
      { press: 'Shift+F' },
      ...trainWith('adam', 0.001),
    ]);
    await shot('train');
    await run([{ click: '[data-testid=train-tab-layers]' }, { expect: '[data-testid="activation-hist-fc1"]', within: 10_000 }, { wait: 700 }]);
    await shot('watch');

    // Runs and Compare: a second run with SGD, then both side by side.
    await run([{ click: '[data-testid=train-tab-curves]' }, ...trainWith('sgd', 0.05), { click: '[data-testid=train-tab-runs]' }, { expect: '[data-testid=runs] tbody tr:nth-child(2)', within: 10_000 }, { wait: 400 }]);
    await shot('runs');
    await run([
      { click: '[data-testid=runs] tbody tr:nth-child(1) [data-testid^=run-select-]' },
      { click: '[data-testid=runs] tbody tr:nth-child(2) [data-testid^=run-select-]' },
      { click: '[data-testid=runs-compare]' },
      { expect: '[data-testid=compare-loss]', attr: ['data-series', '2'], within: 10_000 },
      { wait: 700 },
    ]);
    await shot('compare');
    await run([{ click: '[data-testid=compare-close]' }, { expectGone: '[data-testid=compare]' }]);

    // Export: the menu of formats for the trained model.
    await run([{ click: '[data-testid=cmd-export]' }, { expect: '[data-testid=export-menu]', text: 'PyTorch' }, { wait: 300 }]);
    await shot('export');
    await run([{ press: 'Escape' }, { expectGone: '[data-testid=export-menu]', within: 5_000 }]);

    // Data: Add data… with a folder of images, one sub-folder per class, scanned and previewed.
    await run([
      ...openTemplate('mnist-cnn'),
      { click: '[data-testid=train-tab-curves]' },
      { imageFolder: 'fruit', classes: ['apple', 'banana', 'cherry', 'date'], perClass: 12, size: [24, 24] },
      { click: '[data-testid=train-add-data]' },
      { expect: '[data-testid=add-data-choose]' },
      { upload: '[data-testid=add-data-folder-input]', file: 'fruit' },
      { expect: '[data-testid=add-data-preview]', attr: ['data-kind', 'image-folder'], within: 60_000 },
      { wait: 400 },
    ]);
    await shot('data');
  } finally {
    await browser.close();
    host.proc.kill('SIGTERM');
    rmSync(workspace, { recursive: true, force: true });
  }
  const heavy = written.filter((w) => w.bytes > MAX_BYTES);
  if (heavy.length) {
    console.error(`over ${MAX_BYTES / 1024} KB: ${heavy.map((w) => `${w.name} (${(w.bytes / 1024).toFixed(0)} KB)`).join(', ')}`);
    process.exitCode = 1;
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
