import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { GradientCard } from '../../../src-renderer/src/components/training/Layers';
import type { ParamProbeEntry } from '../../../src-engine/protocol';
import { WindowStoresProvider } from '../../../src-renderer/src/state/window';
import { createWindowStores } from '../../../src-renderer/src/state/window-stores';

/** A card as the Layers tab renders it, in a window's stores (its chart theme). */
const card = (p: ParamProbeEntry, stale: boolean) =>
  renderToStaticMarkup(
    <WindowStoresProvider stores={createWindowStores()}>
      <GradientCard p={p} stale={stale} runId="r1" />
    </WindowStoresProvider>,
  );

/** A parameter's probe entry: its weights binned in 4, and its gradient when given. */
function param(name: string, grad?: { counts: number[]; min: number; max: number; nonFinite?: number }, frozen = false): ParamProbeEntry {
  const stats = (count: number, min: number, max: number, nonFinite = 0) => ({ count, mean: 0, std: 1, min, max, zeroFrac: 0, nonFinite });
  return {
    nodeId: 'fc1',
    name,
    shape: [2, 3],
    gradNorm: frozen ? 0 : 0.00123,
    gradMeanAbs: 0.001,
    weightNorm: 1,
    updateRatio: 1e-3,
    ...(frozen ? { frozen: true as const } : {}),
    weightHist: { min: -1, max: 1, counts: Uint32Array.of(1, 2, 2, 1) },
    weightStats: stats(6, -1, 1),
    ...(grad ? { gradHist: { min: grad.min, max: grad.max, counts: Uint32Array.from(grad.counts) }, gradStats: stats(grad.counts.reduce((a, b) => a + b, 0), grad.min, grad.max, grad.nonFinite) } : {}),
  };
}

describe("the Layers tab's gradient cards (#60)", () => {
  it("draws a parameter's gradient histogram from the frame's bins, with its range and norm", () => {
    const html = card(param('weight', { counts: [0, 3, 2, 1], min: -0.004, max: 0.002, nonFinite: 1 }), false);
    expect(html).toContain('data-testid="grad-hist-fc1-weight"');
    expect(html).toMatch(/data-testid="grad-hist-bars-fc1-weight" data-bins="4" data-count="6"/);
    expect(html).toContain('‖∇W‖ 1.2e-3');
    expect(html).toContain('-4.0e-3');
    expect(html).toContain('1 NaN/Inf');
    // The bars' path: one run of bars over the 4 bins (the first empty).
    expect(html).toMatch(/<path d="M[^"]+"/);
  });

  it('says a frozen parameter has no gradient instead of an empty chart; a stale card has no test ids', () => {
    const html = card(param('bias', undefined, true), true);
    expect(html).toContain('frozen: not trained, no gradient');
    expect(html).not.toContain('<svg viewBox');
    expect(html).not.toContain('‖∇W‖');
    expect(html).not.toContain('data-testid');
  });
});
