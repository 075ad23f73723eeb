// Trains the DCGAN template in the app (web mode, 1280×800) for its configured epochs and saves a
// screenshot of the Samples tab's fixed-noise grid when the run is done:
//   npm run build && node test/accuracy/gan-ui-grid.mjs [test-results/gan-grid.png]
// (Minutes: the whole run trains on this machine's CPU.)
import path from 'node:path';
import { ROOT, launchApp, replay } from '../e2e/harness.mjs';

const out = path.resolve(ROOT, process.argv[2] ?? 'test-results/gan-grid.png');
const app = await launchApp();
try {
  await app.page.setViewportSize({ width: 1280, height: 800 });
  await replay(app, [
    { expect: '[data-testid=engine-status]', attr: ['data-state', 'ready'], within: 30_000 },
    { click: '[data-testid=cmd-templates]' },
    { click: '[data-testid=template-mnist-dcgan]' },
    { clickIfPresent: '[data-testid=confirm-ok]' },
    { click: '[data-testid=train-tab-samples]' },
    { click: '[data-testid=train-start]' },
    { expect: '[data-testid=gan-samples]', within: 120_000 },
    { expect: '[data-testid=run-state]', attr: ['data-state', 'done'], within: 3_600_000 },
    { wait: 1_000 },
  ], (m) => console.log(new Date().toISOString(), m));
  await app.page.screenshot({ path: out });
  console.log(`wrote ${out}`);
  await app.page.locator('[data-testid=gan-samples]').screenshot({ path: out.replace(/\.png$/, '-only.png') });
} finally {
  await app.close();
}
