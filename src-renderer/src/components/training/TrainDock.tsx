import { weightsShown } from '../StatusBar';
import { lazy, Suspense, type ComponentType } from 'react';
import { DesignBanner } from './DesignBanner';
import { ElsewhereRun, RunLabel, useRunElsewhere } from './ElsewhereRun';
import { Timeline } from './Timeline';
import { DeviceLostBanner, DivergenceBanner } from './DivergenceBanner';
import { TrainPanel } from './TrainPanel';
import { useSavedDataCheck } from './DataSourceProblem';
import { PROBE_RATES_HZ } from '../../../../src-engine/protocol';
import { TRAIN_TABS, type TrainTab } from '../../state/train-ui';
import { Splitter } from '../panels';
import { usePanels, useRun, useTrainUi } from '../../state/window';

/** Room the canvas keeps above an open dock that is dragged taller, px. */
const CANVAS_KEEPS = 140;
const dockMax = () => {
  const centre = document.querySelector('.centre')?.getBoundingClientRect().height ?? 0;
  const problems = document.querySelector('.problems')?.getBoundingClientRect().height ?? 0;
  return centre > 0 ? centre - problems - CANVAS_KEEPS : Infinity;
};

// The tabs' views (their charts, the runs table and the compare view) are loaded when the dock
// first shows one, not with the first screen: most of a session starts in the designer.
const Curves = lazy(() => import('./Curves').then((m) => ({ default: m.Curves })));
const Layers = lazy(() => import('./Layers').then((m) => ({ default: m.Layers })));
const Samples = lazy(() => import('./Samples').then((m) => ({ default: m.Samples })));
const Playground = lazy(() => import('./Playground').then((m) => ({ default: m.Playground })));
const Runs = lazy(() => import('./Runs').then((m) => ({ default: m.Runs })));

/** Each tab's view (the tabs themselves: `TRAIN_TABS`). */
const TAB_VIEWS: Readonly<Record<TrainTab, ComponentType>> = { curves: Curves, layers: Layers, samples: Samples, playground: Playground, runs: Runs };

/** A one-line summary in the dock's header, so a collapsed dock still shows the run. */
function HeaderSummary() {
  const open = useTrainUi((s) => s.open);
  const phase = useRun((s) => s.phase);
  const step = useRun((s) => s.progress?.step);
  const loss = useRun((s) => s.progress?.loss);
  const owner = useRun((s) => s.owner?.name);
  const elsewhere = useRunElsewhere();
  const loadedFrom = useRun(weightsShown);
  // Open, the panel below says all this; in the header it would only be squeezed to "r…".
  if (phase === 'idle' || open) return null;
  // Loaded weights are no run that is "done" (as the status bar says, #60).
  if (loadedFrom !== undefined) return <span className="train-dock__summary" title={`The weights loaded from ${loadedFrom}`}>loaded</span>;
  // Another project's run names its project (cut short: the header's row must not grow wider than the window); the canvas's own is in the title bar.
  const name = !elsewhere ? undefined : owner && owner.length > 20 ? `${owner.slice(0, 19)}…` : owner;
  return <span className="train-dock__summary" title={owner ? `The run of “${owner}”` : undefined}>{`${name ? `“${name}” · ` : ''}${phase}${step !== undefined ? ` · step ${step}` : ''}${typeof loss === 'number' ? ` · loss ${loss.toPrecision(3)}` : ''}`}</span>;
}

/** The "Train" dock under the canvas: the train panel on the left, tabs of live charts on the right. */
export function TrainDock() {
  const open = useTrainUi((s) => s.open);
  const tab = useTrainUi((s) => s.tab);
  const overlays = useTrainUi((s) => s.overlays);
  const edgeGradients = useTrainUi((s) => s.edgeGradients);
  const probes = useTrainUi((s) => s.probes);
  const probeHz = useTrainUi((s) => s.probeHz);
  const set = useTrainUi((s) => s.set);
  const focus = usePanels((s) => s.focus);
  const elsewhere = useRunElsewhere();
  // A project trained on the user's own data says at once when that data changed or moved.
  useSavedDataCheck();
  const View = TAB_VIEWS[tab];
  return (
    <section className={`train-dock${open ? ' train-dock--open' : ''}${tab === 'runs' ? ' train-dock--tall' : ''}`} data-testid="train-dock" data-open={String(open)} aria-label="Train">
      {open ? <Splitter size={focus ? 'focusDockHeight' : 'dockHeight'} label="Train dock height" max={dockMax} /> : null}
      <div className="train-dock__frame">
        <header className="train-dock__header">
          <button type="button" className="train-dock__toggle" data-testid="train-dock-toggle" onClick={() => set({ open: !open })} aria-expanded={open}>
            {open ? '▾' : '▸'} Train
          </button>
          <nav className="train-dock__tabs" role="tablist">
            {TRAIN_TABS.map((t) => (
              <button key={t.id} type="button" role="tab" aria-selected={open && tab === t.id} className={open && tab === t.id ? 'active' : ''} data-testid={`train-tab-${t.id}`} onClick={() => set({ tab: t.id, open: true })}>
                {t.label}
              </button>
            ))}
          </nav>
          <HeaderSummary />
          <label className="train-dock__check" title="Probe activations, gradients and sample outputs while training (off: headless, only the curves)">
            <input type="checkbox" data-testid="toggle-probes" checked={probes} onChange={(e) => set({ probes: e.target.checked })} /> probes
          </label>
          <select
            className="train-dock__rate"
            data-testid="probe-rate"
            value={probeHz}
            disabled={!probes}
            aria-label="Probe rate"
            title="How often the layer histograms, gradient flow and samples refresh while training (applies from the next run). Each refresh costs the machine some CPU: on a machine with few cores, a faster rate slows training a little."
            onChange={(e) => set({ probeHz: Number(e.target.value) })}
          >
            {PROBE_RATES_HZ.map((hz) => (
              <option key={hz} value={hz}>
                {hz}/s
              </option>
            ))}
          </select>
          <label className="train-dock__check" title="Sparklines and health badges on the canvas nodes">
            <input type="checkbox" data-testid="toggle-overlays" checked={overlays} onChange={(e) => set({ overlays: e.target.checked })} /> node overlays
          </label>
          <label className="train-dock__check" title="Colour edges by the gradient norm of the tensor they carry">
            <input type="checkbox" data-testid="toggle-edge-gradients" checked={edgeGradients} onChange={(e) => set({ edgeGradients: e.target.checked })} /> edge ∇
          </label>
        </header>
        {open ? (
          <div className={`train-dock__body${tab === 'runs' ? ' train-dock__body--wide' : ''}`}>
            {/* The Runs tab (the list, the compare view) takes the dock's whole width. */}
            {tab === 'runs' ? null : <TrainPanel />}
            <div className="train-dock__main">
              {elsewhere && tab !== 'runs' ? (
                // Another project's run: named, with a way back; none of its results over this design.
                <ElsewhereRun />
              ) : (
                <>
                  {elsewhere ? <ElsewhereRun compact /> : <RunLabel />}
                  {elsewhere ? null : (
                    <>
                      <DivergenceBanner />
                      <DeviceLostBanner />
                      <DesignBanner />
                    </>
                  )}
                  {tab === 'runs' ? null : <Timeline />}
                  <div className="train-dock__tab" data-testid={`train-view-${tab}`}>
                    <Suspense fallback={<p className="train-empty">Loading…</p>}>
                      <View />
                    </Suspense>
                  </div>
                </>
              )}
            </div>
          </div>
        ) : elsewhere ? null : (
          <>
            <DivergenceBanner />
            <DeviceLostBanner />
          </>
        )}
      </div>
    </section>
  );
}
