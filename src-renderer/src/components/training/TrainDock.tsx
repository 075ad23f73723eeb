import { Curves } from './Curves';
import { DesignBanner } from './DesignBanner';
import { Timeline } from './Timeline';
import { DivergenceBanner } from './DivergenceBanner';
import { Layers } from './Layers';
import { Playground } from './Playground';
import { Runs } from './Runs';
import { Samples } from './Samples';
import { TrainPanel } from './TrainPanel';
import { PROBE_RATES_HZ } from '../../../../src-engine/protocol';
import { useRun, useTrainUi, type TrainTab } from '../../training/store';

const TABS: { id: TrainTab; label: string }[] = [
  { id: 'curves', label: 'Curves' },
  { id: 'layers', label: 'Layers' },
  { id: 'samples', label: 'Samples' },
  { id: 'playground', label: 'Playground' },
  { id: 'runs', label: 'Runs' },
];

/** A one-line summary in the dock's header, so a collapsed dock still shows the run. */
function HeaderSummary() {
  const phase = useRun((s) => s.phase);
  const step = useRun((s) => s.progress?.step);
  const loss = useRun((s) => s.progress?.loss);
  if (phase === 'idle') return null;
  return <span className="train-dock__summary">{`${phase}${step !== undefined ? ` · step ${step}` : ''}${typeof loss === 'number' ? ` · loss ${loss.toPrecision(3)}` : ''}`}</span>;
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
  return (
    <section className={`train-dock${open ? ' train-dock--open' : ''}${tab === 'runs' ? ' train-dock--tall' : ''}`} data-testid="train-dock" data-open={String(open)} aria-label="Train">
      <div className="train-dock__frame">
        <header className="train-dock__header">
          <button type="button" className="train-dock__toggle" data-testid="train-dock-toggle" onClick={() => set({ open: !open })} aria-expanded={open}>
            {open ? '▾' : '▸'} Train
          </button>
          <nav className="train-dock__tabs" role="tablist">
            {TABS.map((t) => (
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
              <DivergenceBanner />
              <DesignBanner />
              {tab === 'runs' ? null : <Timeline />}
              <div className="train-dock__tab" data-testid={`train-view-${tab}`}>
                {tab === 'curves' ? <Curves /> : tab === 'layers' ? <Layers /> : tab === 'samples' ? <Samples /> : tab === 'runs' ? <Runs /> : <Playground />}
              </div>
            </div>
          </div>
        ) : (
          <DivergenceBanner />
        )}
      </div>
    </section>
  );
}
