// Training throughput in the real UI: the MNIST MLP template (one epoch per run) trained headless
// (probes off, dock collapsed, no canvas overlays) and with everything on (probes, the Layers tab's
// charts, node sparklines and edge colouring), alternating over BENCH_ROUNDS rounds so load bursts
// on a shared machine hit both modes. Reports the median whole-run samples/s of each and the ratio.
// Needs a build: `npx electron-vite build && node test/e2e/train-throughput.mjs`.
import { launchApp, replay } from './harness.mjs';

const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const epochs = Number(process.env.BENCH_EPOCHS ?? 1);
// For attributing the UI's cost: which tab the full mode shows, and whether it draws the canvas overlays.
const fullTab = process.env.BENCH_FULL_TAB ?? 'layers';
const fullOverlays = process.env.BENCH_OVERLAYS !== '0';

const setCheck = async (page, id, on) => {
  const box = page.locator(`[data-testid=${id}]`);
  if ((await box.isChecked()) !== on) await box.click();
};

const app = await launchApp();
const { page } = app;
// Renderer main-thread busy time per run (Chromium's Performance domain), to see what the UI costs.
const cdp = await page.context().newCDPSession(page).catch(() => undefined);
await cdp?.send('Performance.enable');
const busy = async () => {
  if (!cdp) return NaN;
  const { metrics } = await cdp.send('Performance.getMetrics');
  return metrics.find((m) => m.name === 'TaskDuration')?.value ?? NaN;
};
try {
  await replay(app, [
    { expect: '[data-testid=engine-status]', attr: ['data-state', 'ready'], within: 20_000 },
    { click: '[data-testid=cmd-templates]' },
    { click: '[data-testid=template-mnist-mlp]' },
    { clickIfPresent: '[data-testid=confirm-ok]' },
    { click: '[data-testid=train-tab-curves]' },
    { fill: '[data-testid=train-epochs]', value: String(epochs) },
    { press: 'Enter' },
  ]);
  const results = { headless: [], full: [] };
  const frames = { headless: [], full: [] };
  const uiSeconds = { headless: [], full: [] };
  for (let r = 0; r < rounds; r++) {
    for (const mode of r % 2 === 0 ? ['headless', 'full'] : ['full', 'headless']) {
      const full = mode === 'full';
      if (!(await page.locator('[data-testid=train-panel]').count())) await page.locator('[data-testid=train-dock-toggle]').click();
      await setCheck(page, 'toggle-probes', full);
      await setCheck(page, 'toggle-overlays', full && fullOverlays);
      await setCheck(page, 'toggle-edge-gradients', full && fullOverlays);
      const previous = (await page.locator('[data-testid=status-run]').getAttribute('data-run').catch(() => null)) ?? '';
      if (full) await page.locator(`[data-testid=train-tab-${fullTab}]`).click();
      const busy0 = await busy();
      await page.locator('[data-testid=train-start]').click();
      if (!full) await page.locator('[data-testid=train-dock-toggle]').click(); // collapse: nothing but the header renders
      await page.waitForFunction(
        (prev) => {
          const el = globalThis.document.querySelector('[data-testid=status-run]');
          return !!el && el.getAttribute('data-run') !== prev && el.getAttribute('data-run') !== '' && ['done', 'failed'].includes(el.getAttribute('data-state'));
        },
        previous,
        { timeout: 300_000 },
      );
      uiSeconds[mode].push((await busy()) - busy0);
      if (!full) await page.locator('[data-testid=train-dock-toggle]').click();
      await page.locator('[data-testid=train-tab-curves]').click();
      const state = page.locator('[data-testid=run-state]');
      const rate = Number(await state.getAttribute('data-run-samples-per-sec'));
      results[mode].push(rate);
      frames[mode].push(Number(await state.getAttribute('data-frames')));
      console.log(`round ${r + 1} ${mode.padEnd(8)} ${rate.toFixed(0)} samples/s, ${frames[mode].at(-1)} probe frames, renderer busy ${uiSeconds[mode].at(-1).toFixed(2)} s`);
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const h = median(results.headless);
  const f = median(results.full);
  console.log(`\nMNIST MLP, ${epochs} epoch(s) per run, ${rounds} rounds, ${app.target} target`);
  console.log(`headless (no probes, dock collapsed)         ${h.toFixed(0)} samples/s`);
  console.log(`all probes + Layers charts + canvas overlays ${f.toFixed(0)} samples/s   ratio ${(f / h).toFixed(3)} (target ≥ 0.95)`);
  console.log(`renderer main thread busy per run: headless ${median(uiSeconds.headless).toFixed(2)} s, full ${median(uiSeconds.full).toFixed(2)} s`);
} finally {
  await app.close();
}
