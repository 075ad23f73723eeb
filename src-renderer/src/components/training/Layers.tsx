import { memo, useMemo, useRef } from 'react';
import type { ActivationProbeEntry, ParamProbeEntry } from '../../../../src-engine/protocol';
import { LockIcon } from '../LockIcon';
import { PATH_SCALE, distributionPaths, gradFlowGeometry, gradientFlow, histogramPath, type GradBar } from '../../training/charts';
import type { DistributionPoint } from '../../training/model';
import { useHeldWhileHidden, useInView } from '../in-view';
import { useChartTheme } from './EChart';
import { AttentionMaps, SequenceTraces } from './SequenceTraces';
import { useRun } from '../../state/window';

// Path boxes (whole units, see PATH_SCALE): the histogram's and the distribution's.
const HIST_W = 120 * PATH_SCALE;
const HIST_H = 32 * PATH_SCALE;
const DIST_W = 180 * PATH_SCALE;
const DIST_H = 40 * PATH_SCALE;

const NO_NAMES: readonly string[] = [];

const fmt = (v: number) => (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-2 && v !== 0) ? v.toExponential(1) : v.toFixed(2));

/** A histogram drawn as SVG bars, with its range underneath. */
function HistogramBars({ hist, testId, colour }: { hist: ActivationProbeEntry['hist']; testId?: string; colour: string }) {
  let total = 0;
  for (let i = 0; i < hist.counts.length; i++) total += hist.counts[i];
  return (
    <figure className="hist" data-testid={testId} data-bins={hist.counts.length} data-count={total}>
      <svg viewBox={`0 0 ${HIST_W} ${HIST_H}`} preserveAspectRatio="none">
        <path d={histogramPath(hist, HIST_W, HIST_H)} fill={colour} />
      </svg>
      <figcaption>
        <span>{fmt(hist.min)}</span>
        <span>{fmt(hist.max)}</span>
      </figcaption>
    </figure>
  );
}

/**
 * Gradient flow as an SVG bar chart (log scale): bars coloured by band over shaded vanishing and
 * exploding ranges, decade ticks, layer names underneath. Plain SVG and HTML, so a new probe frame
 * costs a few attribute updates instead of a canvas chart's layout and redraw.
 */
const GradFlowChart = memo(function GradFlowChart({ bars, stale }: { bars: readonly GradBar[]; stale: boolean }) {
  const g = useMemo(() => gradFlowGeometry(bars), [bars]);
  const n = Math.max(1, g.bars.length);
  const y = (frac: number) => (100 - frac * 100).toFixed(2);
  return (
    <div className="gradflow" data-testid={stale ? undefined : 'grad-flow'} data-bars={bars.length}>
      <div className="gradflow__ticks" aria-hidden="true">
        {g.ticks.map((e) => (
          <span key={e} style={{ bottom: `${(((e - g.lo) / (g.hi - g.lo)) * 100).toFixed(2)}%` }}>
            1e{e}
          </span>
        ))}
      </div>
      <svg className="gradflow__plot" viewBox="0 0 100 100" preserveAspectRatio="none" role="img" aria-label="Gradient norm per layer, log scale">
        <rect className="gradflow__band gradflow__band--vanishing" x={0} width={100} y={y(g.vanishingTop)} height={(g.vanishingTop * 100).toFixed(2)}>
          <title>vanishing: below 1e-4 of the largest gradient</title>
        </rect>
        {g.explodingBottom !== undefined ? (
          <rect className="gradflow__band gradflow__band--exploding" x={0} width={100} y={0} height={y(g.explodingBottom)}>
            <title>exploding: above 1e3</title>
          </rect>
        ) : null}
        {g.ticks.map((e) => (
          <line key={e} className="gradflow__rule" x1={0} x2={100} y1={y((e - g.lo) / (g.hi - g.lo))} y2={y((e - g.lo) / (g.hi - g.lo))} vectorEffect="non-scaling-stroke" />
        ))}
        {g.bars.map((b, i) => (
          <rect key={b.nodeId} className={`gradflow__bar gradflow__bar--${b.band}`} x={((i + 0.2) * 100) / n} width={60 / n} y={y(b.frac)} height={(b.frac * 100).toFixed(2)}>
            <title>{b.band === 'frozen' ? `${b.nodeId}: frozen (not trained)` : `${b.nodeId}: ‖∇W‖ ${b.gradNorm === null ? 'NaN/Inf' : b.gradNorm.toExponential(2)}${b.band === 'ok' ? '' : ` (${b.band})`}`}</title>
          </rect>
        ))}
      </svg>
      <div className="gradflow__names" style={{ gridTemplateColumns: `repeat(${n}, 1fr)` }}>
        {g.bars.map((b) => (
          <span key={b.nodeId} className={b.band === 'frozen' ? 'gradflow__name--frozen' : undefined}>
            {b.band === 'frozen' ? <LockIcon /> : null}
            {b.nodeId}
          </span>
        ))}
      </div>
    </div>
  );
});

/** One layer: its current output histogram, its distribution over time, dead/saturated share. */
const LayerCardBody = memo(function LayerCardBody({ layer, history, stale }: { layer: ActivationProbeEntry; history: readonly DistributionPoint[] | undefined; stale: boolean }) {
  const t = useChartTheme();
  const d = useMemo(() => distributionPaths(history ?? [], DIST_W, DIST_H), [history]);
  return (
    <>
      <div className="layer-card__head">
        <b>{layer.nodeId}</b> <span>{layer.op}</span>
        {layer.deadFrac !== undefined ? <span className={layer.deadFrac >= 0.5 ? 'warn' : ''}> · {(layer.deadFrac * 100).toFixed(0)}% dead</span> : null}
        {layer.saturatedFrac !== undefined ? <span className={layer.saturatedFrac >= 0.5 ? 'warn' : ''}> · {(layer.saturatedFrac * 100).toFixed(0)}% saturated</span> : null}
        {layer.stats.nonFinite ? <span className="bad"> · {layer.stats.nonFinite} NaN/Inf</span> : null}
      </div>
      <HistogramBars hist={layer.hist} testId={stale ? undefined : `activation-hist-${layer.nodeId}`} colour={t.series[0]} />
      <figure className="dist" data-testid={stale ? undefined : `activation-dist-${layer.nodeId}`} data-frames={history?.length ?? 0} title="10th, 50th and 90th percentile of the output over time">
        <svg viewBox={`0 0 ${DIST_W} ${DIST_H}`} preserveAspectRatio="none">
          <path d={d.band} fill={t.series[0]} fillOpacity={0.25} />
          <path d={d.median} fill="none" stroke={t.series[0]} strokeWidth={1.5} vectorEffect="non-scaling-stroke" />
        </svg>
        <figcaption>
          <span>{fmt(d.lo)}</span>
          <span>over time</span>
          <span>{fmt(d.hi)}</span>
        </figcaption>
      </figure>
    </>
  );
});

/**
 * A layer's card. Scrolled out of view it keeps what it drew last (within the same run), so a
 * probe frame re-renders, re-lays out and repaints only the cards on screen.
 */
function LayerCard({ layer, history, stale, runId }: { layer: ActivationProbeEntry; history: readonly DistributionPoint[] | undefined; stale: boolean; runId: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const inView = useInView(ref);
  const shown = useHeldWhileHidden(layer, runId, inView);
  const shownHistory = useHeldWhileHidden(history, runId, inView);
  return (
    <div ref={ref} className="layer-card" data-testid={stale ? undefined : `layer-${layer.nodeId}`}>
      <LayerCardBody layer={shown} history={shownHistory} stale={stale} />
    </div>
  );
}

const WeightCardBody = memo(function WeightCardBody({ p }: { p: ParamProbeEntry }) {
  const t = useChartTheme();
  return (
    <>
      <div className="layer-card__head">
        <b>{p.nodeId}</b> <span>{p.name} · {p.shape.join('×')}</span>
        <span title="‖ΔW‖/‖W‖ of the last update (healthy: ~1e-3)"> · update {p.updateRatio === null ? '–' : p.updateRatio.toExponential(1)}</span>
      </div>
      <HistogramBars hist={p.weightHist} colour={t.series[3]} />
    </>
  );
});

/** A parameter's card: its weight histogram and last update's size (held off screen like LayerCard). */
function WeightCard({ p, stale, runId }: { p: ParamProbeEntry; stale: boolean; runId: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const shown = useHeldWhileHidden(p, runId, useInView(ref));
  return (
    <div ref={ref} className="layer-card layer-card--weight" data-testid={stale ? undefined : `weight-hist-${p.nodeId}-${p.name}`}>
      <WeightCardBody p={shown} />
    </div>
  );
}

const GradientCardBody = memo(function GradientCardBody({ p, stale }: { p: ParamProbeEntry; stale: boolean }) {
  const t = useChartTheme();
  return (
    <>
      <div className="layer-card__head">
        <b>{p.nodeId}</b> <span>{p.name}</span>
        {p.frozen ? null : <span title="‖∇W‖₂ of the training step"> · ‖∇W‖ {p.gradNorm === null ? 'NaN/Inf' : p.gradNorm.toExponential(1)}</span>}
        {p.gradStats?.nonFinite ? <span className="bad"> · {p.gradStats.nonFinite} NaN/Inf</span> : null}
      </div>
      {p.gradHist ? (
        <HistogramBars hist={p.gradHist} testId={stale ? undefined : `grad-hist-bars-${p.nodeId}-${p.name}`} colour={t.series[1]} />
      ) : (
        <p className="layer-card__frozen">
          <LockIcon /> frozen: not trained, no gradient
        </p>
      )}
    </>
  );
});

/** A parameter's gradient of the last training step as a histogram (held off screen like LayerCard); a frozen one says it has none. */
export function GradientCard({ p, stale, runId }: { p: ParamProbeEntry; stale: boolean; runId: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const shown = useHeldWhileHidden(p, runId, useInView(ref));
  return (
    <div ref={ref} className="layer-card layer-card--grad" data-testid={stale ? undefined : `grad-hist-${p.nodeId}-${p.name}`}>
      <GradientCardBody p={shown} stale={stale} />
    </div>
  );
}

/**
 * Gradient flow across the layers, and per-layer activation, weight and gradient histograms from the latest
 * probe frame. While a probed run waits for its first frame, the previous run's last frame stays,
 * dimmed and labelled (without the test ids of live cards): the cards are updated in place when
 * the new frame arrives instead of being built again while the engine trains.
 */
export function Layers() {
  const current = useRun((s) => s.frame);
  const previous = useRun((s) => (s.frame || !s.probes ? undefined : s.lastFrame));
  const frame = current ?? previous;
  const stale = !current;
  const history = useRun((s) => s.history);
  // The run's class names (a language model's: its vocabulary) label an attention map's steps; a previous run's frame gets none.
  const vocabulary = useRun((s) => s.info?.classNames) ?? NO_NAMES;
  const bars = useMemo(() => gradientFlow(frame), [frame]);
  // A frame kept before gradient histograms has none: no section then, rather than every card empty.
  const gradients = useMemo(() => (frame?.params.some((p) => p.gradHist) ? frame.params : []), [frame]);
  if (!frame) return <p className="train-empty">Layer probes appear here a moment after training starts.</p>;
  return (
    <div className={`layers${stale ? ' layers--stale' : ''}`} data-testid={stale ? 'layers-previous' : 'layers'} data-step={frame.step}>
      <section className="layers__grad">
        <h4>
          Gradient flow (‖∇W‖ per layer, log scale)
          {stale ? <span className="layers__stale"> · previous run</span> : null}
        </h4>
        <GradFlowChart bars={bars} stale={stale} />
        <div className="grad-bars">
          {bars.map((b) => (
            <span key={b.nodeId} className={`grad-chip grad-chip--${b.band}`} data-testid={stale ? undefined : `grad-bar-${b.nodeId}`} data-band={b.band} data-norm={b.gradNorm ?? 'NaN'} title={b.band === 'ok' ? '' : b.band}>
              {b.band === 'frozen' ? (
                <>
                  <LockIcon />
                  {b.nodeId} frozen
                </>
              ) : (
                `${b.nodeId} ${b.gradNorm === null ? 'NaN' : b.gradNorm.toExponential(1)}`
              )}
            </span>
          ))}
        </div>
        {frame.health.length ? (
          <ul className="health-list" data-testid={stale ? undefined : 'health-list'}>
            {frame.health.map((h, i) => (
              <li key={i} className={`health health--${h.severity}`} data-code={h.code} data-node={h.nodeId}>
                <b>{h.nodeId}</b> {h.message} <i>{h.fix}</i>
              </li>
            ))}
          </ul>
        ) : null}
      </section>
      <section className="layers__acts">
        {frame.sequences?.length ? <SequenceTraces traces={frame.sequences} stale={stale} /> : null}
        {frame.attention?.length ? <AttentionMaps maps={frame.attention} vocabulary={stale ? NO_NAMES : vocabulary} stale={stale} /> : null}
        <h4>Activations (probe batch, eval mode): now, and 10–50–90% over time</h4>
        <div className="layer-grid">
          {frame.layers.map((l) => (
            <LayerCard key={l.nodeId} layer={l} history={history[l.nodeId]} stale={stale} runId={frame.runId} />
          ))}
        </div>
        <h4>Weights</h4>
        <div className="layer-grid">
          {frame.params.map((p) => (
            <WeightCard key={`${p.nodeId}.${p.name}`} p={p} stale={stale} runId={frame.runId} />
          ))}
        </div>
        {gradients.length ? (
          <>
            <h4>Gradients (the last training step, per parameter)</h4>
            <div className="layer-grid">
              {gradients.map((p) => (
                <GradientCard key={`${p.nodeId}.${p.name}`} p={p} stale={stale} runId={frame.runId} />
              ))}
            </div>
          </>
        ) : null}
      </section>
    </div>
  );
}
