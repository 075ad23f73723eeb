import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launchApp, replay } from './harness.mjs';
import { scenarios } from './scenarios.mjs';

describe('Netwright end to end', () => {
  let app;
  before(async () => {
    app = await launchApp();
    console.log(`# e2e target: ${app.target}`);
  });
  after(async () => {
    await app?.close();
  });

  for (const scenario of scenarios) {
    it(scenario.name, async () => {
      try {
        await replay(app, scenario.steps);
      } catch (err) {
        // A scenario that fails half-way may leave a dialog open over the app; close it so the next
        // scenarios start on the app, not behind a backdrop (one failure, not a cascade of them).
        // The recovery offer has no Escape (it is answered with its buttons): its draft is the
        // failed scenario's, discarded.
        for (let i = 0; i < 3 && (await app.page.locator('.modal-backdrop').count().catch(() => 0)) > 0; i++) await app.page.keyboard.press('Escape').catch(() => {});
        await app.page.locator('[data-testid=recover-discard]').click({ timeout: 1_000 }).catch(() => {});
        // A run it left going would hold the engine: every later scenario's run would wait on it.
        const stop = app.page.locator('[data-testid=train-stop]').first();
        if (await stop.isVisible().catch(() => false)) {
          await stop.click({ timeout: 2_000 }).catch(() => {});
          await app.page.locator('[data-testid=run-state]:is([data-state="done"], [data-state="failed"])').first().waitFor({ timeout: 20_000 }).catch(() => {});
        }
        throw err;
      }
    });
  }

  it('logs no errors in the page console while healthy', () => {
    if (!app.consoleErrors) return; // Electron target: main-process logs are checked by its own scenarios
    const unexpected = app.consoleErrors.filter((t) => !/Lost the connection|engine disconnected|ERR_CONNECTION/i.test(t));
    assert.deepEqual(unexpected, []);
  });
});
