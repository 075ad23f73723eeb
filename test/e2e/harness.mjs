// One harness, two targets: launches Netwright (Electron via Playwright's _electron, or web mode
// in Chromium) and replays scenarios described as data.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, _electron } from 'playwright-core';
import { PNG } from 'pngjs';
import { CHROMIUM_FLAGS, chooseTarget } from './targets.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A fresh, empty workspace folder per launch, so tests never see a user's projects. */
export const E2E_WORKSPACE = mkdtempSync(path.join(tmpdir(), 'netwright-e2e-'));

/** Chromium's SwiftShader Vulkan driver (Debian's chromium): the engine's WebGPU adapter where there is no GPU. */
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

async function startWebHost() {
  const args = [path.join(ROOT, 'out/main/web.js'), '--port', '0', '--workspace', E2E_WORKSPACE];
  // Without a Vulkan driver named, the engine gets SwiftShader, a fallback adapter: forced GPU runs
  // train on it; Auto still never picks it.
  const env = { ...process.env };
  if (!env.VK_ICD_FILENAMES && !env.VK_DRIVER_FILES && existsSync(SWIFTSHADER_ICD)) env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  const proc = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`web host did not print its address in 20 s:\n${output}`)), 20_000);
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
    proc.once('exit', (code) => reject(new Error(`web host exited (${code}) before serving:\n${output}`)));
  });
  return { proc, url };
}

/**
 * The environment the browser (or Electron) runs in: ours, with a UTF-8 locale where ours names
 * none. NOTE: run under `env -i` (the README's clean-environment check), Chromium falls back to
 * the C locale, cannot put a non-ASCII character in a download's file name ("MNIST CNN (2×
 * Conv-BN-ReLU-Pool…).onnx") and names the file "download" instead; a desktop session always has a
 * UTF-8 locale.
 */
function browserEnv() {
  const named = [process.env.LC_ALL, process.env.LC_CTYPE, process.env.LANG].find((v) => v);
  return named && /utf-?8/i.test(named) ? process.env : { ...process.env, LC_ALL: 'C.UTF-8' };
}

/** Launch the app on the chosen target. Returns `{ page, target, close }`. */
export async function launchApp() {
  const target = chooseTarget(ROOT);
  if (target.kind === 'electron') {
    const app = await _electron.launch({ executablePath: target.executable, args: [path.join(ROOT, 'out/main/main.js')], cwd: ROOT, env: browserEnv() });
    const page = await app.firstWindow();
    return { page, target: target.kind, close: () => app.close() };
  }
  const host = await startWebHost();
  const browser = await chromium.launch({ executablePath: target.executable, args: CHROMIUM_FLAGS, headless: true, env: browserEnv() });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const consoleErrors = [];
  page.on('console', (msg) => msg.type() === 'error' && consoleErrors.push(msg.text()));
  // "Leave site? Changes may not be saved": a scenario that reloads a dirty page means to leave.
  page.on('dialog', (d) => void (d.type() === 'beforeunload' ? d.accept() : d.dismiss()));
  await page.goto(host.url);
  return {
    page,
    target: target.kind,
    workspace: E2E_WORKSPACE,
    /** The web host's pid (its engine is its child): benchmarks read their CPU time. */
    hostPid: host.proc.pid,
    consoleErrors,
    close: async () => {
      await browser.close();
      host.proc.kill('SIGTERM');
    },
  };
}

/**
 * The window as a PNG at `file`. Chromium encodes it for speed (a file a fifth larger, in half the
 * time of Playwright's screenshot: 0.4 s instead of 0.9 s a shot on a busy 2-core machine, and the
 * suite takes 80); Playwright's screenshot where the page has no DevTools session to ask.
 */
/**
 * Whether `{ screenshot }` steps write their PNGs (to look at: they assert nothing). `npm run test:e2e`
 * writes them; `npm test` passes E2E_SCREENSHOTS=0 and saves their time (~0.4 s each, 88 of them).
 */
const SCREENSHOTS = process.env.E2E_SCREENSHOTS !== '0';

async function screenshot(app, file) {
  try {
    app.cdp ??= await app.page.context().newCDPSession(app.page);
    const { data } = await app.cdp.send('Page.captureScreenshot', { format: 'png', optimizeForSpeed: true });
    writeFileSync(file, Buffer.from(data, 'base64'));
  } catch {
    await app.page.screenshot({ path: file });
  }
}

/**
 * Replay one scenario: a list of steps, each a plain object.
 * - `{ expect: selector, attr: [name, value] | text: RegExp-string | notAttr: [name, value or remembered name], within?: ms }`
 *   (each waited for until `within`, default 15 s)
 * - `{ killEngine: true }` — kills the engine process whose pid the status bar shows
 * - `{ screenshot: name }`
 * - `{ dragFromPalette: op, to: [x, y] }` — drag a palette entry onto the canvas at (x, y) px from its top-left;
 *   `{ dragFromPalette: op, onto: selector }` — onto the centre of an element on the canvas (an edge's label)
 * - `{ dragBy: selector, by: [dx, dy] }` — press on the element's centre, move by (dx, dy) px, release (a splitter)
 * - `{ expectSize: selector, width?, height?, tolerance? }` — the element's box is that size (± tolerance px, default 2)
 * - `{ connect: [sourceId, targetId, slot] }` — drag from a node's output handle to an input handle
 * - `{ dblclickCanvas: [x, y] }` — double-click the canvas at (x, y) px from its top-left
 * - `{ click: selector, modifiers? }` (e.g. `['Control']`: add to the selection), `{ dblclick: selector }`, `{ fill: selector, value }` (types into a field),
 *   `{ select: selector, value }`, `{ press: 'Control+Z' }`, `{ reload: true }`, `{ wait: ms }` (let an animation finish)
 * - `{ expectCount: selector, count }`, `{ expectGone: selector, within? }`
 * - `{ expectNotClipped: selector }` — no text in the element is cut: no box inside it (or it) hides
 *   overflowing content (an ellipsis), and nothing sticks out past its edges; a box marked
 *   `data-may-truncate` (a long name with a tooltip) may be shortened
 * - `{ expectUncovered: selector }` — the element shows and nothing lies over it: at its centre and
 *   near each corner the topmost element is it or inside it (a modal over a panel fails)
 * - `{ expectNoneVisible: selector, within? }` — every match (if any) hidden by CSS (display, visibility, content-visibility)
 * - `{ rememberGraph: name }` / `{ expectGraph: name }` — every node (id, op, shape) and edge label on the canvas
 * - `{ writeFile: name, text }` — put a file into the web host's workspace folder (web target only)
 * - `{ removePath: name }` — delete a file or folder of the web host's workspace folder (web target only)
 * - `{ expectFile: name, text?, within? }` — wait until the web host has written that file of its workspace folder
 *   (`.netwright/…`: its state), holding a match of `text` if given (web target only)
 * - `{ expectAttached: selector, within? }` — in the page, visible or not (e.g. an SVG path with an empty box)
 * - `{ clickIfPresent: selector, within?, until? }` — click it if it shows up within `within` ms (default 1 s), else go on (also when it goes again before the click);
 *   `until`: a selector whose match means nothing will come to click (a clean design is replaced without asking): the wait ends when it shows
 * - `{ expectNumber: selector, attr, op: '<' | '<=' | '>' | '>=' | '==' | '!=', value | ref: [attr] | state: name, within? }` —
 *   wait until the element's numeric attribute compares true with a number, another attribute of it, or a remembered value
 * - `{ draw: selector, path: [[x, y], …] }` — press, move through the points (fractions of the element's box) and release
 * - `{ download: selector, as: name }` — click it, wait for the browser download it starts, keep the file under
 *   test-results/downloads/ and remember its path as `name`
 * - `{ upload: selector, file: name, pick? }` — give a file input the remembered file (or folder; `pick`: a path inside it)
 * - `{ npyPair: name, n, classes }` — write `X_<name>.npy` and `y_<name>.npy` (np.save's format) for an upload of both
 * - `{ imageFolder: name, classes: [name, …], perClass, size: [w, h], extra?: { 'path': text } }` — write a
 *   folder of PNGs (one sub-folder per class, a hue and a stripe each) plus `extra` files into a temp
 *   folder and remember its path as `name` (for `upload`)
 * - `{ onnxAccuracy: name, equals: selector, attr, tolerance }` — run the remembered ONNX file in onnxruntime on
 *   the MNIST test set (test/e2e/onnx-accuracy.ts) and compare its accuracy with the element's numeric attribute
 * - `{ viewport: [width, height] }` — resize the page
 * - `{ scrollIntoView: selector }` — scroll the element's scrolling boxes until it shows (before a screenshot)
 * - `{ expectNoOverflow: [selector, …] }` — every visible element matching a selector (a panel) shows
 *   all its content: it does not overflow sideways unless it scrolls that way, and none of its
 *   controls (inputs, selects, buttons) sticks out of its box or is cut by an ancestor inside it, and
 *   no button's one-line label wraps; nor is the page itself larger than the window
 */
export async function replay(app, steps, log = () => {}) {
  const state = {};
  for (const [i, step] of steps.entries()) {
    const where = `step ${i + 1} ${JSON.stringify(step)}`;
    log(where);
    try {
      if (step.expect) {
        const loc = app.page.locator(step.expect).first();
        const timeout = step.within ?? 15_000;
        const started = Date.now();
        if (step.attr) await loc.and(app.page.locator(`[${step.attr[0]}="${step.attr[1]}"]`)).waitFor({ timeout });
        else await loc.waitFor({ timeout });
        if (step.text) {
          const re = new RegExp(step.text);
          await app.page.waitForFunction(([sel, src]) => new RegExp(src).test(globalThis.document.querySelector(sel)?.textContent ?? ''), [step.expect, step.text], { timeout: Math.max(1, timeout - (Date.now() - started)) });
          if (!re.test((await loc.textContent()) ?? '')) throw new Error(`text does not match ${step.text}`);
        }
        if (step.notAttr) {
          // Waited for like `attr` (within the same deadline): a camera frame's ink lands a moment
          // after the click that takes it, and a check made once, at once, raced it.
          const [name, was] = [step.notAttr[0], String(state[step.notAttr[1]] ?? step.notAttr[1])];
          const changed = await app.page
            .waitForFunction(([sel, a, v]) => globalThis.document.querySelector(sel)?.getAttribute(a) !== v, [step.expect, name, was], { timeout: Math.max(1, timeout - (Date.now() - started)) })
            .then(() => true, () => false);
          if (!changed) throw new Error(`${name} is still ${was} after ${timeout} ms`);
        }
      } else if (step.remember) {
        state[step.remember.as] = await app.page.locator(step.remember.selector).first().getAttribute(step.remember.attr);
      } else if (step.killEngine) {
        const pid = Number(await app.page.locator('[data-testid=engine-version]').getAttribute('data-pid'));
        if (!pid) throw new Error('no engine pid on the status bar');
        process.kill(pid, 'SIGKILL');
      } else if (step.dragFromPalette) {
        const pane = app.page.locator('[data-testid=canvas] .react-flow__pane');
        let to = step.to;
        if (step.onto) {
          const [p, t] = [await pane.boundingBox(), await app.page.locator(step.onto).first().boundingBox()];
          if (!p || !t) throw new Error(`no ${p ? step.onto : 'canvas'}`);
          to = [t.x + t.width / 2 - p.x, t.y + t.height / 2 - p.y];
        }
        // Dropped on the canvas's wrapper, as a user may drop onto the start panel that covers the
        // empty canvas (the drop lands on the canvas under it); `to` stays relative to the pane.
        const canvas = app.page.locator('[data-testid=canvas]');
        const [p, c] = [await pane.boundingBox(), await canvas.boundingBox()];
        if (!p || !c) throw new Error('no canvas');
        const targetPosition = { x: to[0] + p.x - c.x, y: to[1] + p.y - c.y };
        await app.page.locator(`[data-testid="palette-item-${step.dragFromPalette}"]`).dragTo(canvas, { targetPosition });
      } else if (step.dragBy) {
        const box = await app.page.locator(step.dragBy).first().boundingBox();
        if (!box) throw new Error(`no ${step.dragBy}`);
        const [x, y] = [box.x + box.width / 2, box.y + box.height / 2];
        await app.page.mouse.move(x, y);
        await app.page.mouse.down();
        await app.page.mouse.move(x + step.by[0] / 2, y + step.by[1] / 2, { steps: 4 });
        await app.page.mouse.move(x + step.by[0], y + step.by[1], { steps: 4 });
        await app.page.mouse.up();
      } else if (step.expectSize) {
        const box = await app.page.locator(step.expectSize).first().boundingBox();
        if (!box) throw new Error(`no ${step.expectSize}`);
        const tol = step.tolerance ?? 2;
        for (const k of ['width', 'height']) {
          if (step[k] !== undefined && Math.abs(box[k] - step[k]) > tol) throw new Error(`${k} is ${box[k]}, not ${step[k]} ± ${tol}`);
        }
      } else if (step.connect) {
        const [from, to, slot] = step.connect;
        const a = await app.page.locator(`[data-testid="handle-${from}-out"]`).boundingBox();
        const b = await app.page.locator(`[data-testid="handle-${to}-in-${slot}"]`).boundingBox();
        if (!a || !b) throw new Error(`handle not found (${!a ? from : `${to}:${slot}`})`);
        await app.page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
        await app.page.mouse.down();
        await app.page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2, { steps: 5 });
        await app.page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 5 });
        await app.page.mouse.up();
      } else if (step.click) {
        // `at`: where in the element, from its top left (a backdrop's corner, not the dialog over its middle).
        await app.page.locator(step.click).first().click({ ...(step.modifiers ? { modifiers: step.modifiers } : {}), ...(step.at ? { position: { x: step.at[0], y: step.at[1] } } : {}) });
      } else if (step.dblclickCanvas) {
        const box = await app.page.locator('[data-testid=canvas]').boundingBox();
        if (!box) throw new Error('no canvas');
        await app.page.mouse.dblclick(box.x + step.dblclickCanvas[0], box.y + step.dblclickCanvas[1]);
      } else if (step.dblclick) {
        await app.page.locator(step.dblclick).first().dblclick();
      } else if (step.fill) {
        await app.page.locator(step.fill).first().fill(step.value);
      } else if (step.select) {
        await app.page.locator(step.select).first().selectOption(step.value);
      } else if (step.press) {
        await app.page.keyboard.press(step.press);
      } else if (step.wait) {
        await app.page.waitForTimeout(step.wait);
      } else if (step.reload) {
        await app.page.reload();
      } else if (step.expectCount) {
        const timeout = step.within ?? 10_000;
        await app.page.waitForFunction(([sel, n]) => globalThis.document.querySelectorAll(sel).length === n, [step.expectCount, step.count], { timeout }).catch(async () => {
          throw new Error(`expected ${step.count} of ${step.expectCount}, found ${await app.page.locator(step.expectCount).count()}`);
        });
      } else if (step.expectNoneVisible) {
        const visible = (sel) => [...globalThis.document.querySelectorAll(sel)].filter((el) => el.checkVisibility({ visibilityProperty: true, contentVisibilityAuto: true })).length;
        await app.page.waitForFunction((sel) => [...globalThis.document.querySelectorAll(sel)].every((el) => !el.checkVisibility({ visibilityProperty: true, contentVisibilityAuto: true })), step.expectNoneVisible, { timeout: step.within ?? 10_000 }).catch(async () => {
          throw new Error(`expected no visible ${step.expectNoneVisible}, found ${await app.page.evaluate(visible, step.expectNoneVisible)}`);
        });
      } else if (step.expectNotClipped) {
        await app.page.locator(step.expectNotClipped).first().waitFor({ timeout: step.within ?? 10_000 });
        const clipped = await app.page.evaluate((sel) => {
          const root = globalThis.document.querySelector(sel);
          const edge = root.getBoundingClientRect();
          const name = (el) => el.getAttribute('data-testid') ?? `${el.tagName.toLowerCase()}.${[...el.classList].join('.')} "${el.textContent.trim().slice(0, 40)}"`;
          const out = [];
          for (const el of [root, ...root.querySelectorAll('*')]) {
            const r = el.getBoundingClientRect();
            if (r.width === 0 || el.closest('[data-may-truncate]')) continue;
            const s = globalThis.getComputedStyle(el);
            if (s.overflowX !== 'visible' && el.scrollWidth > el.clientWidth + 1 && !el.querySelector('[data-may-truncate]')) out.push(`${name(el)} hides ${el.scrollWidth - el.clientWidth}px of its content`);
            if (el !== root && (r.right > edge.right + 1 || r.left < edge.left - 1)) out.push(`${name(el)} sticks out past the edge (${Math.round(r.left)}–${Math.round(r.right)}px, the box ${Math.round(edge.left)}–${Math.round(edge.right)}px)`);
          }
          return out;
        }, step.expectNotClipped);
        if (clipped.length) throw new Error(`${step.expectNotClipped} clips its text:\n${clipped.join('\n')}`);
      } else if (step.expectUncovered) {
        await app.page.locator(step.expectUncovered).first().waitFor({ timeout: step.within ?? 10_000 });
        const covered = await app.page.evaluate((sel) => {
          const el = globalThis.document.querySelector(sel);
          const r = el.getBoundingClientRect();
          const points = [[0.5, 0.5], [0.1, 0.1], [0.9, 0.1], [0.1, 0.9], [0.9, 0.9]].map(([fx, fy]) => [r.left + fx * r.width, r.top + fy * r.height]);
          // A point outside the window is not seen either (elementFromPoint has nothing there).
          const off = points.some(([x, y]) => x < 0 || y < 0 || x > globalThis.innerWidth || y > globalThis.innerHeight) ? ['the window\'s edge (it is off screen)'] : [];
          return [...off, ...points.map(([x, y]) => globalThis.document.elementFromPoint(x, y)).filter((top) => top && !el.contains(top)).map((top) => `${top.tagName.toLowerCase()}.${top.className}`)];
        }, step.expectUncovered);
        if (covered.length) throw new Error(`${step.expectUncovered} is covered by ${covered.join(', ')}`);
      } else if (step.expectGone) {
        await app.page.locator(step.expectGone).first().waitFor({ state: 'detached', timeout: step.within ?? 10_000 });
      } else if (step.rememberGraph || step.expectGraph) {
        const graph = await app.page.evaluate(() => {
          const doc = globalThis.document;
          const nodes = [...doc.querySelectorAll('[data-testid^="node-"][data-op]')].map((n) => `${n.getAttribute('data-testid')}|${n.getAttribute('data-op')}|${n.getAttribute('data-shape')}`);
          const edges = [...doc.querySelectorAll('[data-testid^="edge-label-"]')].map((e) => `${e.getAttribute('data-testid')}|${e.textContent}`);
          return [...nodes.sort(), ...edges.sort()];
        });
        if (step.rememberGraph) state[step.rememberGraph] = graph;
        else if (JSON.stringify(graph) !== JSON.stringify(state[step.expectGraph])) {
          throw new Error(`the canvas differs from "${step.expectGraph}":\n now ${JSON.stringify(graph)}\n was ${JSON.stringify(state[step.expectGraph])}`);
        }
      } else if (step.expectAttached) {
        await app.page.locator(step.expectAttached).first().waitFor({ state: 'attached', timeout: step.within ?? 10_000 });
      } else if (step.clickIfPresent) {
        const loc = app.page.locator(step.clickIfPresent).first();
        const either = step.until ? loc.or(app.page.locator(step.until)).first() : loc;
        const shown = await either.waitFor({ timeout: step.within ?? 1_000 }).then(() => loc.isVisible(), () => false);
        // It may go again between showing and the click (a Stop button whose run just ended): then
        // it was not there to click, which is what "if present" allows; still there, the error stands.
        if (shown) await loc.click({ timeout: 5_000 }).catch(async (e) => { if (await loc.count()) throw e; });
      } else if (step.expectNumber) {
        const timeout = step.within ?? 15_000;
        const ref = step.state !== undefined ? Number(state[step.state]) : step.value;
        const ok = await app.page
          .waitForFunction(
            ([sel, attr, op, value, other]) => {
              const el = globalThis.document.querySelector(sel);
              const raw = el?.getAttribute(attr);
              if (raw === null || raw === undefined || raw === '') return false;
              const a = Number(raw);
              const b = other ? Number(el.getAttribute(other)) : value;
              if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
              return op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : op === '>=' ? a >= b : op === '!=' ? a !== b : a === b;
            },
            [step.expectNumber, step.attr, step.op, ref ?? null, step.ref?.[0] ?? null],
            { timeout },
          )
          .then(() => true, () => false);
        if (!ok) {
          const el = app.page.locator(step.expectNumber).first();
          const now = (await el.count()) ? await el.getAttribute(step.attr) : 'no such element';
          const other = step.ref && (await el.count()) ? ` (${step.ref[0]}=${await el.getAttribute(step.ref[0])})` : '';
          throw new Error(`${step.attr}=${now} is not ${step.op} ${step.ref ? step.ref[0] : ref}${other} after ${timeout} ms`);
        }
      } else if (step.draw) {
        const box = await app.page.locator(step.draw).first().boundingBox();
        if (!box) throw new Error(`${step.draw} is not visible`);
        const at = ([x, y]) => [box.x + x * box.width, box.y + y * box.height];
        await app.page.mouse.move(...at(step.path[0]));
        await app.page.mouse.down();
        for (const p of step.path.slice(1)) await app.page.mouse.move(...at(p), { steps: 4 });
        await app.page.mouse.up();
      } else if (step.viewport) {
        await app.page.setViewportSize({ width: step.viewport[0], height: step.viewport[1] });
      } else if (step.scrollIntoView) {
        await app.page.locator(step.scrollIntoView).first().scrollIntoViewIfNeeded();
      } else if (step.expectNoOverflow) {
        const problems = await app.page.evaluate((selectors) => {
          const out = [];
          const name = (el) => el.getAttribute('data-testid') ?? `${el.tagName.toLowerCase()}.${[...el.classList].join('.')}`;
          const page = globalThis.document.documentElement;
          if (page.scrollWidth > page.clientWidth + 1 || page.scrollHeight > page.clientHeight + 1) {
            out.push(`the page is ${page.scrollWidth}×${page.scrollHeight}px in a ${page.clientWidth}×${page.clientHeight}px window`);
          }
          for (const sel of selectors) {
            for (const panel of globalThis.document.querySelectorAll(sel)) {
              const box = panel.getBoundingClientRect();
              if (box.width === 0 || box.height === 0) continue;
              const style = globalThis.getComputedStyle(panel);
              const scrollsX = style.overflowX === 'auto' || style.overflowX === 'scroll';
              if (!scrollsX && panel.scrollWidth > panel.clientWidth + 1) out.push(`${sel}: content ${panel.scrollWidth}px wide in a ${panel.clientWidth}px box`);
              for (const c of panel.querySelectorAll('input, select, button')) {
                const r = c.getBoundingClientRect();
                if (r.width === 0 || r.height === 0) continue;
                // Cut by the panel, or by a box between it and the panel that does not scroll sideways.
                let clip = box;
                for (let a = c.parentElement; a && a !== panel; a = a.parentElement) {
                  const s = globalThis.getComputedStyle(a);
                  if (s.overflowX === 'auto' || s.overflowX === 'scroll') { clip = null; break; }
                  if ((s.overflowX === 'hidden' || s.overflowX === 'clip') && clip === box) clip = a.getBoundingClientRect();
                }
                if (clip && (r.right > clip.right + 1 || r.left < clip.left - 1)) out.push(`${sel}: ${name(c)} spans ${Math.round(r.left)}–${Math.round(r.right)}px, its box ${Math.round(clip.left)}–${Math.round(clip.right)}px`);
                // A button with a plain-text label that wraps onto a second line (a squeezed toolbar).
                if (c.tagName === 'BUTTON' && c.children.length === 0) {
                  const range = globalThis.document.createRange();
                  range.selectNodeContents(c);
                  const lines = new Set([...range.getClientRects()].filter((q) => q.width > 0).map((q) => Math.round(q.top)));
                  if (lines.size > 1) out.push(`${sel}: ${name(c)} "${c.textContent.trim()}" wraps onto ${lines.size} lines`);
                }
              }
            }
          }
          return out;
        }, step.expectNoOverflow);
        if (problems.length > 0) throw new Error(`content overflows its box:\n${problems.join('\n')}`);
      } else if (step.imageFolder) {
        state[step.imageFolder] = writeImageFolder(step);
      } else if (step.npyPair) {
        state[step.npyPair] = writeNpyPair(step);
      } else if (step.removePath) {
        if (!app.workspace) throw new Error('removePath needs the web target (a workspace folder)');
        rmSync(path.join(app.workspace, step.removePath), { recursive: true });
      } else if (step.expectFile) {
        if (!app.workspace) throw new Error('expectFile needs the web target (a workspace folder)');
        const file = path.join(app.workspace, step.expectFile);
        const written = () => existsSync(file) && (!step.text || new RegExp(step.text).test(readFileSync(file, 'utf8')));
        const deadline = Date.now() + (step.within ?? 10_000);
        while (!written()) {
          if (Date.now() > deadline) throw new Error(`${step.expectFile} ${existsSync(file) ? `does not match ${step.text}` : 'was not written'} after ${step.within ?? 10_000} ms`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      } else if (step.expectWorkspaceFiles) {
        if (!app.workspace) throw new Error('expectWorkspaceFiles needs the web target (a workspace folder)');
        const dir = path.join(app.workspace, step.expectWorkspaceFiles);
        const found = existsSync(dir) ? readdirSync(dir).sort() : [];
        if (JSON.stringify(found) !== JSON.stringify(step.names)) throw new Error(`${step.expectWorkspaceFiles} holds [${found.join(', ')}], not [${step.names.join(', ')}]`);
      } else if (step.writeFile) {
        if (!app.workspace) throw new Error('writeFile needs the web target (a workspace folder)');
        mkdirSync(path.dirname(path.join(app.workspace, step.writeFile)), { recursive: true });
        writeFileSync(path.join(app.workspace, step.writeFile), step.text);
      } else if (step.download) {
        const [dl] = await Promise.all([app.page.waitForEvent('download', { timeout: step.within ?? 60_000 }), app.page.locator(step.download).first().click()]);
        const dir = path.join(ROOT, 'test-results', 'downloads');
        mkdirSync(dir, { recursive: true });
        const file = path.join(dir, dl.suggestedFilename());
        await dl.saveAs(file);
        state[step.as] = file;
      } else if (step.upload) {
        await app.page.locator(step.upload).setInputFiles(step.pick ? path.join(state[step.file], step.pick) : state[step.file]);
      } else if (step.onnxAccuracy) {
        const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), path.join(ROOT, 'test/e2e/onnx-accuracy.ts'), state[step.onnxAccuracy]], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
        if (r.status !== 0) throw new Error(`onnx-accuracy failed: ${r.stderr || r.error}`);
        const { accuracy } = JSON.parse(r.stdout.trim().split('\n').at(-1));
        const shown = Number(await app.page.locator(step.equals).first().getAttribute(step.attr));
        console.log(`# onnxruntime accuracy ${accuracy} (${step.onnxAccuracy}); the app showed ${shown}`);
        if (!(Math.abs(accuracy - shown) <= step.tolerance)) throw new Error(`onnxruntime gives accuracy ${accuracy}, the app showed ${shown} (tolerance ${step.tolerance})`);
      } else if (step.screenshot) {
        if (!SCREENSHOTS) continue;
        mkdirSync(path.join(ROOT, 'test-results'), { recursive: true });
        await screenshot(app, path.join(ROOT, 'test-results', `${step.screenshot}.png`));
      } else {
        throw new Error('unknown step kind');
      }
    } catch (err) {
      mkdirSync(path.join(ROOT, 'test-results'), { recursive: true });
      await app.page.screenshot({ path: path.join(ROOT, 'test-results', `failure-${Date.now()}.png`) }).catch(() => {});
      throw new Error(`${where} failed: ${err.message}`);
    }
  }
  return state;
}

/** A folder of class sub-folders of PNGs drawn with pngjs (the `imageFolder` step): class k a hue, a stripe at a random place. */
/**
 * `X_<name>.npy` (float32 [n, 4]) and `y_<name>.npy` (int64 [n]) as `np.save` writes them: `classes`
 * clusters of `n` points (class k around k in every feature). Answers both paths (an upload of two).
 */
function writeNpyPair({ npyPair, n, classes }) {
  const dir = mkdtempSync(path.join(tmpdir(), 'netwright-e2e-npy-'));
  const npy = (descr, shape, bytes) => {
    let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
    header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
    const head = Buffer.alloc(10);
    head.write('\x93NUMPY', 0, 'latin1');
    head[6] = 1;
    head.writeUInt16LE(header.length, 8);
    return Buffer.concat([head, Buffer.from(header, 'latin1'), bytes]);
  };
  let seed = 11;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const x = new Float32Array(n * 4);
  const y = new BigInt64Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = BigInt(i % classes);
    for (let f = 0; f < 4; f++) x[i * 4 + f] = (i % classes) + 0.3 * (rand() - 0.5);
  }
  const files = [path.join(dir, `X_${npyPair}.npy`), path.join(dir, `y_${npyPair}.npy`)];
  writeFileSync(files[0], npy('<f4', [n, 4], Buffer.from(x.buffer)));
  writeFileSync(files[1], npy('<i8', [n], Buffer.from(y.buffer)));
  return files;
}

function writeImageFolder({ imageFolder, classes, perClass, size: [w, h], extra = {} }) {
  const root = path.join(mkdtempSync(path.join(tmpdir(), 'netwright-e2e-images-')), imageFolder);
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  classes.forEach((cls, k) => {
    mkdirSync(path.join(root, cls), { recursive: true });
    const hue = (k / classes.length) * 6;
    const rgb = [0, 2, 4].map((o) => Math.round(255 * Math.min(1, Math.max(0, Math.abs(((hue + o) % 6) - 3) - 1))));
    for (let i = 0; i < perClass; i++) {
      const png = new PNG({ width: w, height: h });
      const at = Math.floor(rand() * w);
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) {
          const stripe = Math.abs(((x + (k % 2 ? y : -y) - at) % w + w) % w) < 3;
          const p = (y * w + x) * 4;
          for (let c = 0; c < 3; c++) png.data[p + c] = stripe ? 250 : Math.round(rgb[c] * (0.6 + 0.4 * rand()));
          png.data[p + 3] = 255;
        }
      writeFileSync(path.join(root, cls, `${String(i).padStart(3, '0')}.png`), PNG.sync.write(png));
    }
  });
  for (const [rel, text] of Object.entries(extra)) writeFileSync(path.join(root, rel), text);
  return root;
}
