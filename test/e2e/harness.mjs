// One harness, two targets: launches Netwright (Electron via Playwright's _electron, or web mode
// in Chromium) and replays scenarios described as data.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, _electron } from 'playwright-core';
import { CHROMIUM_FLAGS, chooseTarget } from './targets.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A fresh, empty workspace folder per launch, so tests never see a user's projects. */
export const E2E_WORKSPACE = mkdtempSync(path.join(tmpdir(), 'netwright-e2e-'));

async function startWebHost() {
  const args = [path.join(ROOT, 'out/main/web.js'), '--port', '0', '--workspace', E2E_WORKSPACE];
  const proc = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
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

/** Launch the app on the chosen target. Returns `{ page, target, close }`. */
export async function launchApp() {
  const target = chooseTarget(ROOT);
  if (target.kind === 'electron') {
    const app = await _electron.launch({ executablePath: target.executable, args: [path.join(ROOT, 'out/main/main.js')], cwd: ROOT });
    const page = await app.firstWindow();
    return { page, target: target.kind, close: () => app.close() };
  }
  const host = await startWebHost();
  const browser = await chromium.launch({ executablePath: target.executable, args: CHROMIUM_FLAGS, headless: true });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const consoleErrors = [];
  page.on('console', (msg) => msg.type() === 'error' && consoleErrors.push(msg.text()));
  await page.goto(host.url);
  return {
    page,
    target: target.kind,
    consoleErrors,
    close: async () => {
      await browser.close();
      host.proc.kill('SIGTERM');
    },
  };
}

/**
 * Replay one scenario: a list of steps, each a plain object.
 * - `{ expect: selector, attr: [name, value] | text: RegExp-string, within?: ms }`
 * - `{ killEngine: true }` — kills the engine process whose pid the status bar shows
 * - `{ screenshot: name }`
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
          const v = await loc.getAttribute(step.notAttr[0]);
          if (v === String(state[step.notAttr[1]] ?? step.notAttr[1])) throw new Error(`${step.notAttr[0]} is still ${v}`);
        }
      } else if (step.remember) {
        state[step.remember.as] = await app.page.locator(step.remember.selector).first().getAttribute(step.remember.attr);
      } else if (step.killEngine) {
        const pid = Number(await app.page.locator('[data-testid=engine-version]').getAttribute('data-pid'));
        if (!pid) throw new Error('no engine pid on the status bar');
        process.kill(pid, 'SIGKILL');
      } else if (step.screenshot) {
        mkdirSync(path.join(ROOT, 'test-results'), { recursive: true });
        await app.page.screenshot({ path: path.join(ROOT, 'test-results', `${step.screenshot}.png`) });
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
