import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ECharts } from 'echarts/core';
import { getHost } from '../../host';
import { chartFileName, saveViewFile } from '../../training/export';
import { describeDiff, diffGraphs, type GraphDiff, type GraphIR } from '../../../../src-engine/facade';
import type { StoredFrame } from '../../../../src-engine/protocol';
import { type CanvasDiff } from '../../state/train-ui';
import { confusionLabels, confusionOf, curvesCsv, densityPoints, epochPoints, forLogAxis, gradFlowBars, gradNorms, headlineOf, layerHistogram, lossMismatch, lossPoints, runColour, runLabels, settingsRows, sharedEpochMetrics, tooltipHeader, type HistKind, type RunMeta, type StoredRun, type XAxis } from '../../training/compare';
import { ConfusionMatrix } from './ConfusionMatrix';
import { DARK, confusionShown, exportedChartPatch, sampleValues, samplesAsNumbers, type ChartTheme } from '../../training/charts';
import { EChart, useChartTheme } from './EChart';
import { PixelImage } from './PixelImage';
import { MaskedImage } from './MaskedImage';
import { BoundaryCanvas, agreement } from './Samples';
import { openRun, runFrame } from '../../training/runs-client';
import { useEngine, useWindow } from '../../state/window';
import { baselineLine, baselinesTitle, storedTestFigures } from '../../training/baseline-line';

type Section = 'curves' | 'settings' | 'layers' | 'samples' | 'architecture' | 'confusion';
const SECTIONS: { id: Section; label: string }[] = [
  { id: 'curves', label: 'Curves' },
  { id: 'settings', label: 'Settings' },
  { id: 'layers', label: 'Layers' },
  { id: 'samples', label: 'Samples' },
  { id: 'architecture', label: 'Architecture' },
  { id: 'confusion', label: 'Confusion' },
];

const axisStyle = (t: ChartTheme, extra: Record<string, unknown> = {}) => ({
  axisLine: { lineStyle: { color: t.grid } },
  axisLabel: { color: t.muted, fontSize: 10, hideOverlap: true },
  splitLine: { lineStyle: { color: t.grid } },
  nameTextStyle: { color: t.muted, fontSize: 10 },
  ...extra,
});

/** An overlay line chart: one series per run, in the runs' colours; a tooltip kept inside the panel, headed by the x value (a whole step). */
function overlayOption(t: ChartTheme, title: string, runs: readonly RunMeta[], data: readonly [number, number][][], opts: { xName: string; xAxis?: XAxis; yLog?: boolean; step?: boolean; xMin?: number; zoom?: boolean }): Record<string, unknown> {
  const names = runLabels(runs);
  return {
    animation: false,
    title: { text: title, textStyle: { color: t.text, fontSize: 11, fontWeight: 'normal' }, left: 0, top: 0 },
    grid: { left: 52, right: 14, top: 24, bottom: opts.zoom ? 52 : 30 },
    tooltip: {
      trigger: 'axis',
      confine: true,
      formatter: (params: { axisValue: number; seriesIndex: number; value: [number, number] }[]) => {
        if (!params.length) return '';
        const head = opts.xAxis ? tooltipHeader(params[0].axisValue, opts.xAxis) : String(Number(params[0].axisValue.toPrecision(4)));
        const lines = params.map((p) => `<span style="color:${runColour(t, p.seriesIndex)}">●</span> ${escapeHtml(names[p.seriesIndex] ?? '')}: <b>${typeof p.value?.[1] === 'number' ? p.value[1].toPrecision(4) : '–'}</b>`);
        return [escapeHtml(head), ...lines].join('<br/>');
      },
    },
    ...(opts.zoom
      ? {
          dataZoom: [
            { type: 'inside', xAxisIndex: 0, filterMode: 'none' },
            { type: 'slider', xAxisIndex: 0, filterMode: 'none', height: 14, bottom: 4, textStyle: { color: t.muted, fontSize: 9 }, borderColor: t.grid },
          ],
        }
      : {}),
    xAxis: { type: 'value', name: opts.xName, nameLocation: 'middle', nameGap: 18, scale: true, ...(opts.xMin !== undefined ? { min: opts.xMin } : {}), ...axisStyle(t) },
    yAxis: { type: opts.yLog ? 'log' : 'value', scale: true, ...axisStyle(t) },
    series: names.map((name, i) => ({ name, type: 'line', showSymbol: data[i].length < 30, symbolSize: 4, step: opts.step ? 'end' : undefined, data: opts.yLog ? forLogAxis(data[i]) : data[i], lineStyle: { width: 1.5, color: runColour(t, i) }, itemStyle: { color: runColour(t, i) } })),
  };
}

const escapeHtml = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/**
 * 2–10 stored runs side by side (the baseline first): their loss and metric curves overlaid,
 * their settings with only the differences by default, per-layer histograms of every run overlaid
 * at one step, the architecture diff against the baseline, and their confusion matrices.
 */
export function Compare({ runs, baseline, onClose, onOpenDesign }: { runs: readonly RunMeta[]; baseline?: string; onClose: () => void; onOpenDesign?: (m: RunMeta) => Promise<boolean> }) {
  const star = baseline !== undefined && runs[0]?.id === baseline ? '★ ' : '';
  const client = useEngine((s) => s.client);
  const [section, setSection] = useState<Section>('curves');
  const [opened, setOpened] = useState<Record<string, StoredRun | { error: string }>>({});
  const ids = runs.map((r) => r.id).join(',');
  useEffect(() => {
    if (!client) return;
    let live = true;
    for (const r of runs) {
      if (opened[r.id] && !('error' in opened[r.id])) continue;
      openRun(client, r.id).then(
        (v) => live && setOpened((o) => ({ ...o, [r.id]: v })),
        (e: Error) => live && setOpened((o) => ({ ...o, [r.id]: { error: e.message } })),
      );
    }
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- reopen only when the set of runs changes
  }, [client, ids]);
  const loaded = runs.map((r) => opened[r.id]).filter((v): v is StoredRun => !!v && !('error' in v));
  const failed = runs.filter((r) => opened[r.id] && 'error' in opened[r.id]);
  const ready = loaded.length === runs.length;
  return (
    <div className="compare" data-testid="compare" data-runs={runs.length}>
      <header className="compare__header">
        <button type="button" data-testid="compare-close" onClick={onClose} title="Back to the list of runs">
          ← Runs
        </button>
        <CompareLegend runs={runs} star={star} />
        <nav className="compare__sections" role="tablist">
          {SECTIONS.map((s) => (
            <button key={s.id} type="button" role="tab" aria-selected={section === s.id} className={section === s.id ? 'active' : ''} data-testid={`compare-section-${s.id}`} onClick={() => setSection(s.id)}>
              {s.label}
            </button>
          ))}
        </nav>
      </header>
      {failed.length ? <p className="runs__empty">{failed.map((r) => `${r.name}: ${(opened[r.id] as { error: string }).error}`).join(' · ')}</p> : null}
      {!ready ? (
        failed.length ? null : <p className="runs__empty">Opening {runs.length} runs…</p>
      ) : (
        <div className="compare__body" data-testid={`compare-view-${section}`}>
          {section === 'curves' ? <CompareCurves runs={runs} stored={loaded} /> : null}
          {section === 'settings' ? <CompareSettings runs={runs} star={star} /> : null}
          {section === 'layers' ? <CompareLayers runs={runs} stored={loaded} /> : null}
          {section === 'samples' ? <CompareSamples runs={runs} stored={loaded} /> : null}
          {section === 'architecture' ? <CompareArchitecture runs={runs} stored={loaded} star={star} onOpenDesign={onOpenDesign} /> : null}
          {section === 'confusion' ? <CompareConfusion runs={runs} stored={loaded} star={star} /> : null}
        </div>
      )}
    </div>
  );
}

/**
 * A compared run's baselines under its test figure (#83), the Train dock's `Beside: …` line; in the
 * warning colour, the verdict first in its tooltip, when the network did worse than one of them.
 */
export function RunBaselines({ meta }: { meta: RunMeta }) {
  const figures = storedTestFigures(meta.summary?.baselines);
  const line = baselineLine(meta.summary?.metrics.test, figures);
  if (!line) return null;
  const verdict = meta.summary?.baselineVerdict;
  return (
    <span className="runs__sub compare__baselines" data-testid={`compare-baselines-${meta.id}`} data-worse={String(!!verdict)} title={`${verdict ? `${verdict}\n` : ''}${baselinesTitle(figures)}`}>
      Beside: {line}
    </span>
  );
}

export function CompareLegend({ runs, star }: { runs: readonly RunMeta[]; star: string }) {
  const t = useChartTheme();
  const labels = runLabels(runs);
  return (
    <ul className="compare__legend" data-testid="compare-legend">
      {runs.map((r, i) => (
        <li key={r.id} title={`${r.name} · ${r.status} · ${headlineOf(r).label}`}>
          <span className="compare__swatch" style={{ background: runColour(t, i) }} />
          {i === 0 && star ? <b title="The baseline: differences are measured against it">★ </b> : null}
          {labels[i]} <span className="runs__sub">{r.status === 'done' ? headlineOf(r).label : `${r.status} · ${headlineOf(r).label}`}</span>
          <RunBaselines meta={r} />
        </li>
      ))}
    </ul>
  );
}

/** Which metric curve: validation per epoch, or the training batches' per step (a one-epoch run has one). */
type MetricSplit = 'val' | 'train-step';

/** A stored run's per-step training metric, smoothed as the loss is, `[x, value]` by step, epoch or time. */
function stepMetricPoints(r: StoredRun, metric: string, x: XAxis, smoothing: number): [number, number][] {
  const column = r.curve.metrics?.[metric];
  if (!column) return [];
  return lossPoints({ curve: { ...r.curve, loss: column }, epochs: r.epochs }, x, smoothing);
}

/**
 * The exported image's patch without the zoom slider (`hidden`), and the chart's own with it back
 * afterwards: the slider is for the screen, and a PNG showed it clipped at its bottom edge, under the
 * room the grid keeps for it (which the image gives to the plot).
 */
export function withoutZoomSlider(patch: Record<string, unknown>, option: Record<string, unknown>, hidden: boolean): Record<string, unknown> {
  const zoom = option.dataZoom as { type: string }[] | undefined;
  if (!zoom?.some((z) => z.type === 'slider')) return patch;
  const grid = { ...(patch.grid as Record<string, unknown> | undefined), bottom: hidden ? 30 : (option.grid as { bottom?: number }).bottom };
  return { ...patch, grid, dataZoom: zoom.map((z) => (z.type === 'slider' ? { show: !hidden } : {})) };
}

/** A chart with its CSV and PNG export (saved through the host, as model exports are). */
function ExportableChart({ option, name, yName, csv, testId, ...attrs }: { option: Record<string, unknown>; name: string; yName: string; csv: () => string; testId: string } & Record<`data-${string}`, string | number | undefined>) {
  const w = useWindow();
  const chart = useRef<ECharts | undefined>(undefined);
  const onChart = useCallback((c: ECharts | undefined) => void (chart.current = c), []);
  const t = useChartTheme();
  const files = getHost().files;
  const png = () => {
    const c = chart.current;
    if (!c) return;
    // The image stands alone: a legend naming each run and both axes' titles, drawn for it only.
    const { show, hide } = exportedChartPatch(t, option, yName);
    c.setOption(withoutZoomSlider(show, option, true));
    const url = c.getDataURL({ type: 'png', pixelRatio: 2, backgroundColor: t === DARK ? '#1b1f27' : '#ffffff' });
    c.setOption(withoutZoomSlider(hide, option, false));
    if (url) void saveViewFile(w, files, `${name}.png`, Uint8Array.from(atob(url.slice(url.indexOf(',') + 1)), (c) => c.charCodeAt(0)), `${name}.png`);
  };
  return (
    <figure className="compare__figure">
      <EChart className="chart compare__chart" option={option} onChart={onChart} data-testid={testId} {...attrs} />
      <figcaption className="compare__export">
        <button type="button" data-testid={`${testId}-csv`} title="Save the plotted points as CSV (run, x, value)" onClick={() => void saveViewFile(w, files, `${name}.csv`, new TextEncoder().encode(csv()), `${name}.csv`)}>
          CSV
        </button>
        <button type="button" data-testid={`${testId}-png`} title="Save the chart as a PNG image" onClick={png}>
          PNG
        </button>
      </figcaption>
    </figure>
  );
}

function CompareCurves({ runs, stored }: { runs: readonly RunMeta[]; stored: readonly StoredRun[] }) {
  // Exported charts are named by the runs they show and the chart (not "training-loss.png" for every comparison).
  const runNames = runs.map((r) => r.name);
  const t = useChartTheme();
  const [x, setX] = useState<XAxis>('step');
  const [smoothing, setSmoothing] = useState(0.6);
  const [logY, setLogY] = useState(false);
  const metrics = useMemo(() => sharedEpochMetrics(stored), [stored]);
  const stepMetrics = useMemo(() => [...new Set(stored.flatMap((r) => Object.keys(r.curve.metrics ?? {})))].filter((k) => stored.every((r) => r.curve.metrics?.[k])), [stored]);
  const [split, setSplit] = useState<MetricSplit | undefined>(undefined);
  const shownSplit: MetricSplit = split ?? (metrics.length ? 'val' : 'train-step');
  const choices = shownSplit === 'val' ? metrics : stepMetrics;
  const [metric, setMetric] = useState<string | undefined>(undefined);
  const m = metric && choices.includes(metric) ? metric : choices[0];
  const xName = x === 'step' ? 'step' : x === 'epoch' ? 'epoch' : 'seconds';
  const labels = runLabels(runs);
  const lossData = useMemo(() => stored.map((r) => lossPoints(r, x, smoothing)), [stored, x, smoothing]);
  const metricData = useMemo(() => (m ? stored.map((r) => (shownSplit === 'val' ? epochPoints(r, 'val', m, x) : stepMetricPoints(r, m, x, smoothing))) : undefined), [stored, m, x, smoothing, shownSplit]);
  const lrData = useMemo(() => stored.map((r) => lossPoints({ curve: { ...r.curve, loss: r.curve.lr }, epochs: r.epochs }, x, 0)), [stored, x]);
  const loss = useMemo(() => overlayOption(t, `Training loss (smoothing ${smoothing})`, runs, lossData, { xName, xAxis: x, yLog: logY, zoom: true }), [t, runs, lossData, x, smoothing, xName, logY]);
  const metricTitle = m ? (shownSplit === 'val' ? `Validation ${m} per epoch` : `Training ${m} per step (smoothing ${smoothing})`) : '';
  const val = useMemo(() => (m && metricData ? overlayOption(t, metricTitle, runs, metricData, { xName, xAxis: x, yLog: logY, zoom: true }) : undefined), [t, runs, metricData, x, m, xName, logY, metricTitle]);
  const lr = useMemo(() => overlayOption(t, 'Learning rate', runs, lrData, { xName, xAxis: x, step: true, yLog: logY, zoom: true }), [t, runs, lrData, x, xName, logY]);
  const mismatch = useMemo(() => lossMismatch(stored, labels), [stored, labels]);
  const key = runs.map((r) => r.id).join(',');
  return (
    <div className="compare__curves">
      <div className="compare__controls">
        <label>
          x{' '}
          <select data-testid="compare-x" value={x} onChange={(e) => setX(e.target.value as XAxis)}>
            <option value="step">step</option>
            <option value="epoch">epoch</option>
            <option value="time">wall time</option>
          </select>
        </label>
        <label title="TensorBoard's smoothing: a debiased exponential moving average (0: raw)">
          smoothing{' '}
          <input type="range" data-testid="compare-smoothing" min={0} max={0.99} step={0.01} value={smoothing} onChange={(e) => setSmoothing(Number(e.target.value))} /> {smoothing.toFixed(2)}
        </label>
        <label title="A logarithmic y axis: a loss falling over decades stays readable (values ≤ 0 are not drawn)">
          <input type="checkbox" data-testid="compare-log-y" checked={logY} onChange={(e) => setLogY(e.target.checked)} /> log y
        </label>
        <label>
          metric{' '}
          <select data-testid="compare-metric-split" value={shownSplit} onChange={(e) => setSplit(e.target.value as MetricSplit)}>
            <option value="val" disabled={!metrics.length}>
              validation, per epoch
            </option>
            <option value="train-step" disabled={!stepMetrics.length}>
              training, per step
            </option>
          </select>{' '}
          {choices.length > 1 ? (
            <select data-testid="compare-metric" value={m} onChange={(e) => setMetric(e.target.value)}>
              {choices.map((k) => (
                <option key={k} value={k}>
                  {k}
                </option>
              ))}
            </select>
          ) : null}
        </label>
        <span className="runs__sub">scroll or drag the slider to zoom</span>
      </div>
      {mismatch ? (
        <p className="compare__warning" role="alert" data-testid="compare-loss-mismatch">
          ⚠ {mismatch}
        </p>
      ) : null}
      <div className="compare__charts">
        <ExportableChart key={`loss-${key}`} option={loss} name={chartFileName(runNames, 'training loss')} yName="training loss" csv={() => curvesCsv(xName, 'loss', labels, lossData)} testId="compare-loss" data-series={stored.length} data-points={stored.map((r) => r.curve.step.length).join(',')} data-min-points={Math.min(...stored.map((r) => r.curve.step.length))} data-log={String(logY)} />
        {val && metricData ? <ExportableChart key={`val-${key}-${shownSplit}`} option={val} name={chartFileName(runNames, `${shownSplit === 'val' ? 'validation' : 'training'} ${m}`)} yName={`${shownSplit === 'val' ? 'validation' : 'training'} ${m}`} csv={() => curvesCsv(xName, m!, labels, metricData)} testId="compare-metric-chart" data-metric={m} data-split={shownSplit} data-points={metricData.map((d) => d.length).join(',')} /> : <p className="runs__empty">No metric that every run reports.</p>}
        <ExportableChart key={`lr-${key}`} option={lr} name={chartFileName(runNames, 'learning rate')} yName="learning rate" csv={() => curvesCsv(xName, 'lr', labels, lrData)} testId="compare-lr" />
      </div>
    </div>
  );
}

function CompareSettings({ runs, star }: { runs: readonly RunMeta[]; star: string }) {
  const [all, setAll] = useState(false);
  const rows = useMemo(() => settingsRows(runs), [runs]);
  const labels = runLabels(runs);
  const shown = all ? rows : rows.filter((r) => r.differs);
  const differ = rows.filter((r) => r.differs).length;
  return (
    <div className="compare__settings">
      <label className="compare__controls">
        <input type="checkbox" data-testid="compare-all-settings" checked={all} onChange={(e) => setAll(e.target.checked)} /> show all {rows.length} settings ({differ} differ)
      </label>
      {shown.length === 0 ? (
        <p className="runs__empty" data-testid="compare-settings-same">
          Every setting is the same in these runs{runs.length > 1 ? '; they differ only in their design or their seed of chance' : ''}.
        </p>
      ) : (
        <table className="runs__table compare__table" data-testid="compare-settings">
          <thead>
            <tr>
              <th>Setting</th>
              {runs.map((r, i) => (
                <th key={r.id} title={r.name}>
                  {i === 0 ? star : ''}
                  {labels[i]}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {shown.map((row) => (
              <tr key={row.key} data-testid={`setting-${row.key}`} data-differs={String(row.differs)}>
                <td className="compare__key">{row.key}</td>
                {row.values.map((v, i) => (
                  <td key={i} className={row.differs && i > 0 && v !== row.values[0] ? 'compare__changed' : ''}>
                    {v}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

/** Node ids with a probed output or parameters in every run's frames, in the baseline's order. */
function probedNodes(frames: readonly (StoredFrame | null)[], kind: HistKind): string[] {
  const sets = frames.map((f) => new Set(f ? (kind === 'activation' ? f.layers.map((l) => l.nodeId) : f.params.map((p) => p.nodeId)) : []));
  const first = frames.find(Boolean);
  if (!first) return [];
  const order = kind === 'activation' ? first.layers.map((l) => l.nodeId) : [...new Set(first.params.map((p) => p.nodeId))];
  return order.filter((id) => sets.every((s, i) => !frames[i] || s.has(id)));
}

/** Each run's stored probe frame at `step` (or the last before it); `'last'`: each run's last frame. */
function useStoredFrames(runs: readonly RunMeta[], stored: readonly StoredRun[], step: number | 'last'): { frames: (StoredFrame | null)[] | undefined; key: string } {
  const client = useEngine((s) => s.client);
  const [frames, setFrames] = useState<(StoredFrame | null)[] | undefined>(undefined);
  const lastSteps = stored.map((r) => r.frameSteps[r.frameSteps.length - 1] ?? 0);
  const key = `${runs.map((r) => r.id).join(',')}@${step}`;
  useEffect(() => {
    if (!client) return;
    let live = true;
    Promise.all(runs.map((r, i) => runFrame(client, r.id, step === 'last' ? lastSteps[i] : step)))
      .then((f) => live && setFrames(f))
      .catch(() => live && setFrames(runs.map(() => null)));
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `key` names the runs and the step
  }, [client, key]);
  return { frames, key };
}

function CompareLayers({ runs, stored }: { runs: readonly RunMeta[]; stored: readonly StoredRun[] }) {
  const t = useChartTheme();
  const maxStep = Math.max(0, ...stored.map((r) => r.frameSteps[r.frameSteps.length - 1] ?? 0));
  // At the end by default: each run's last frame (runs of different lengths each show their last).
  const [step, setStep] = useState<number | 'last'>('last');
  const [kind, setKind] = useState<HistKind>('activation');
  const [node, setNode] = useState<string | undefined>(undefined);
  const { frames, key } = useStoredFrames(runs, stored, step);
  const nodes = useMemo(() => (frames ? probedNodes(frames, kind) : []), [frames, kind]);
  const chosen = node && nodes.includes(node) ? node : nodes[0];
  const option = useMemo(() => {
    if (!frames || !chosen) return undefined;
    const data = frames.map((f) => {
      const h = layerHistogram(f, chosen, kind);
      return h ? densityPoints(h) : [];
    });
    return overlayOption(t, `${chosen}: ${kind === 'activation' ? 'activations' : 'weights'} (density)`, runs, data, { xName: kind === 'activation' ? 'value' : 'weight' });
  }, [t, frames, chosen, kind, runs]);
  const grads = useMemo(() => {
    if (!frames) return undefined;
    // Drawn as the live chart is: bars rising from the bottom of a log axis of whole decades.
    const g = gradFlowBars(frames.map(gradNorms));
    const norms = frames.map(gradNorms);
    const names = runLabels(runs);
    return {
      animation: false,
      title: { text: 'Gradient flow ‖∇W‖ per layer (log)', textStyle: { color: t.text, fontSize: 11, fontWeight: 'normal' }, left: 0, top: 0 },
      grid: { left: 52, right: 14, top: 24, bottom: 30 },
      tooltip: {
        trigger: 'axis',
        confine: true,
        formatter: (params: { dataIndex: number; seriesIndex: number }[]) =>
          [escapeHtml(g.layers[params[0]?.dataIndex] ?? ''), ...params.map((p) => { const v = norms[p.seriesIndex]?.get(g.layers[p.dataIndex]); return `<span style="color:${runColour(t, p.seriesIndex)}">●</span> ${escapeHtml(names[p.seriesIndex] ?? '')}: <b>${v === undefined ? '–' : v === null ? 'NaN/Inf' : v.toExponential(2)}</b>`; })].join('<br/>'),
      },
      xAxis: { type: 'category', data: g.layers, ...axisStyle(t) },
      yAxis: { type: 'value', min: 0, max: g.hi - g.lo, interval: Math.max(1, Math.ceil((g.hi - g.lo) / 5)), ...axisStyle(t, { axisLabel: { color: t.muted, fontSize: 10, formatter: (v: number) => `1e${v + g.lo}` } }) },
      series: names.map((name, i) => ({
        name,
        type: 'bar',
        data: g.heights[i],
        itemStyle: { color: runColour(t, i) },
        ...(i === 0 ? { markArea: { silent: true, itemStyle: { color: t.muted, opacity: 0.12 }, data: [[{ yAxis: 0 }, { yAxis: g.vanishingTop }]] } } : {}),
      })),
    };
  }, [t, frames, runs]);
  if (stored.every((r) => r.frameSteps.length === 0)) return <p className="runs__empty">These runs were trained without probes: there are no layer histograms to compare.</p>;
  const shownSteps = frames?.map((f) => (f ? f.step : '–')).join(' / ');
  return (
    <div className="compare__layers">
      <div className="compare__controls">
        <label>
          layer{' '}
          <select data-testid="compare-layer" value={chosen ?? ''} onChange={(e) => setNode(e.target.value)}>
            {nodes.map((id) => (
              <option key={id} value={id}>
                {id}
              </option>
            ))}
          </select>
        </label>
        <label>
          <select data-testid="compare-hist-kind" value={kind} onChange={(e) => setKind(e.target.value as HistKind)}>
            <option value="activation">activations</option>
            <option value="weight">weights</option>
          </select>
        </label>
        <label title="Each run shows its probe frame at this step, or the last one before it">
          step{' '}
          <input type="range" data-testid="compare-step" min={0} max={maxStep} value={step === 'last' ? maxStep : step} onChange={(e) => setStep(Number(e.target.value) >= maxStep ? 'last' : Number(e.target.value))} />{' '}
          {step === 'last' ? 'last' : step}
        </label>
        <span className="runs__sub" data-testid="compare-frame-steps">
          frames at step {shownSteps ?? '…'}
        </span>
      </div>
      <div className="compare__charts">
        {option ? <EChart key={`h-${key}-${chosen}-${kind}`} className="chart compare__chart" option={option} data-testid="compare-histogram" data-node={chosen} data-kind={kind} data-series={frames?.filter((f) => f && layerHistogram(f, chosen!, kind)).length ?? 0} /> : <p className="runs__empty">No probed layer in common.</p>}
        {grads ? <EChart key={`g-${key}`} className="chart compare__chart" option={grads} data-testid="compare-gradients" /> : null}
      </div>
      {chosen ? <LayerOverTime runs={runs} stored={stored} node={chosen} kind={kind} /> : null}
    </div>
  );
}

/** Steps for the small multiples: up to `n` of the recorded frame steps, evenly spread from the first to the last. */
function overTimeSteps(stored: readonly StoredRun[], n = 6): number[] {
  const all = [...new Set(stored.flatMap((r) => r.frameSteps))].sort((a, b) => a - b);
  if (all.length <= n) return all;
  return [...new Set(Array.from({ length: n }, (_, i) => all[Math.round(((all.length - 1) * i) / (n - 1))]))];
}

/** The chosen layer's histograms of every run at a few steps across training: how they spread or collapse over time. */
function LayerOverTime({ runs, stored, node, kind }: { runs: readonly RunMeta[]; stored: readonly StoredRun[]; node: string; kind: HistKind }) {
  const t = useChartTheme();
  const client = useEngine((s) => s.client);
  const steps = useMemo(() => overTimeSteps(stored), [stored]);
  const [grid, setGrid] = useState<(StoredFrame | null)[][] | undefined>(undefined);
  const key = `${runs.map((r) => r.id).join(',')}@${steps.join(',')}`;
  useEffect(() => {
    if (!client) return;
    let live = true;
    Promise.all(steps.map((step) => Promise.all(runs.map((r) => runFrame(client, r.id, step)))))
      .then((g) => live && setGrid(g))
      .catch(() => live && setGrid(undefined));
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `key` names the runs and the steps
  }, [client, key]);
  if (steps.length < 2) return null;
  return (
    <div className="compare__over-time" data-testid="compare-over-time" data-steps={steps.length}>
      {steps.map((step, i) => {
        const frames = grid?.[i];
        const data = runs.map((_, r) => {
          const h = layerHistogram(frames?.[r], node, kind);
          return h ? densityPoints(h) : [];
        });
        const base = overlayOption(t, `step ${step}`, runs, data, { xName: '' });
        const option = { ...base, grid: { left: 8, right: 8, top: 20, bottom: 20 }, yAxis: { ...(base.yAxis as object), axisLabel: { show: false }, splitLine: { show: false } } };
        return <EChart key={`${key}-${node}-${kind}-${step}`} className="chart compare__multiple" option={option} data-testid={`compare-over-time-${i}`} />;
      })}
    </div>
  );
}

/** Whether two runs were probed on the same samples (same inputs, in order). */
function sameSamples(a: StoredRun['start'], b: StoredRun['start']): boolean {
  if (!a || !b || a.probeSamples.inputs.length !== b.probeSamples.inputs.length) return false;
  return a.probeSamples.inputs.every((x, i) => x.length === b.probeSamples.inputs[i].length && x.every((v, j) => v === b.probeSamples.inputs[i][j]));
}

/** Each run's predictions or reconstructions of its probe samples at its last frame, one row per run. */
function CompareSamples({ runs, stored }: { runs: readonly RunMeta[]; stored: readonly StoredRun[] }) {
  const { frames } = useStoredFrames(runs, stored, 'last');
  const labels = runLabels(runs);
  const base = stored.find((r) => r.start)?.start;
  if (!base) return <p className="runs__empty">These runs were recorded without their probe samples (runs from before this version keep none).</p>;
  if (!frames) return <p className="runs__empty">Loading samples…</p>;
  const shared = stored.every((r) => !r.start || sameSamples(r.start, base));
  const image = base.probeSamples.shape.length >= 2;
  const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
  return (
    <div className="compare__samples" data-testid="compare-samples" data-shared={String(shared)}>
      {shared && image ? (
        <div className="compare__samples-row">
          <span className="compare__samples-label runs__sub">fed to the networks</span>
          {base.probeSamples.inputs.map((x, i) => (
            <PixelImage key={i} values={x} shape={base.probeSamples.shape} size={40} />
          ))}
        </div>
      ) : null}
      {shared && frames.some((f) => f?.samples && 'outputs' in f.samples && samplesAsNumbers(f.samples)) ? (
        <div className="compare__samples-row" data-testid="compare-samples-truth">
          <span className="compare__samples-label">
            <span className="runs__sub">true values</span>
          </span>
          {base.probeSamples.targets.map((t, k) => (
            <span key={k} className="prediction compare__value">
              {sampleValues(t)}
            </span>
          ))}
        </div>
      ) : null}
      {!shared ? <p className="runs__sub">These runs were probed on different samples (another dataset, split or seed): each row shows its own.</p> : null}
      {frames.some((f) => f?.boundary) ? (
        <div className="compare__samples-row compare__boundaries" data-testid="compare-boundaries">
          <span className="compare__samples-label runs__sub">decision boundaries</span>
          {runs.map((r, i) => {
            const b = frames[i]?.boundary;
            const probe = stored[i].start?.probeSamples;
            const points = probe && probe.shape.length === 1 && probe.shape[0] === 2 ? probe.inputs.map((v, k) => ({ x: v[0], y: v[1], c: Number(probe.targets[k]) })) : [];
            return (
              <figure key={r.id} className="compare__boundary" data-testid={`compare-boundary-${r.id}`} data-has={String(!!b)}>
                {b ? <BoundaryCanvas boundary={b} points={points} size={140} /> : <span className="runs__sub">no boundary</span>}
                <figcaption title={r.name}>{labels[i]}</figcaption>
              </figure>
            );
          })}
        </div>
      ) : null}
      {runs.map((r, i) => {
        const f = frames[i];
        const start = stored[i].start;
        const s = f?.samples;
        return (
          <div key={r.id} className="compare__samples-row" data-testid={`compare-samples-${r.id}`} data-step={f?.step ?? ''}>
            <span className="compare__samples-label" title={r.name}>
              {labels[i]} <span className="runs__sub">{f ? `step ${f.step}` : 'no frame'}</span>
            </span>
            {!s || !start ? null : 'probs' in s ? (
              s.predicted.map((p, k) => {
                const ok = p === s.targets[k];
                return (
                  <span key={k} className={`prediction prediction--${ok ? 'ok' : 'wrong'}`} title={`predicted ${start.classNames[p] ?? p}, is ${start.classNames[s.targets[k]] ?? s.targets[k]}`}>
                    {!shared && image ? <PixelImage values={start.probeSamples.inputs[k]} shape={start.probeSamples.shape} size={40} /> : null}
                    {start.classNames[p] ?? p}
                  </span>
                );
              })
            ) : s.kind === 'segmentation' ? (
              s.masks.map((mask, k) => <MaskedImage key={k} values={start.probeSamples.inputs[k]} shape={start.probeSamples.shape} mask={mask} size={40} title="predicted mask" />)
            ) : s.kind === 'sequence' ? (
              s.predicted.map((guess, k) => {
                const truth = start.probeSamples.targets[k];
                return (
                  <span key={k} className="prediction" title="next characters guessed right in this sample">
                    {Array.isArray(truth) ? `${(agreement(guess, truth) * 100).toFixed(0)} %` : ''}
                  </span>
                );
              })
            ) : samplesAsNumbers(s) ? (
              s.outputs.map((out, k) => {
                const truth = start.probeSamples.targets[k];
                return (
                  <span key={k} className="prediction compare__value" title={`predicted ${sampleValues(out)}, is ${sampleValues(truth)}`}>
                    {sampleValues(out)}
                  </span>
                );
              })
            ) : (
              s.outputs.map((out, k) => (
                <PixelImage key={k} values={out} shape={s.shape.length < 2 && size(s.shape) === size(start.probeSamples.shape) ? start.probeSamples.shape : s.shape} range={[0, 1]} size={40} />
              ))
            )}
          </div>
        );
      })}
    </div>
  );
}

function CompareArchitecture({ runs, stored, star, onOpenDesign }: { runs: readonly RunMeta[]; stored: readonly StoredRun[]; star: string; onOpenDesign?: (m: RunMeta) => Promise<boolean> }) {
  const w = useWindow();
  const base = stored[0].graph as GraphIR;
  const diffs = stored.slice(1).map((r) => diffGraphs(base, r.graph as GraphIR));
  const labels = runLabels(runs);
  return (
    <div className="compare__arch" data-testid="compare-architecture">
      {diffs.map((d, i) => (
        <ArchDiff
          key={runs[i + 1].id}
          name={labels[i + 1]}
          base={`${star}${labels[0]}`}
          diff={d}
          onShow={
            onOpenDesign
              ? async () => {
                  if (!(await onOpenDesign(runs[i + 1]))) return;
                  // The dock folds away so the canvas shows the whole design (the compare view stays as it was).
                  w.trainUi.getState().set({ archDiff: canvasDiff(d, `${star}${labels[0]}`), open: false });
                }
              : undefined
          }
        />
      ))}
    </div>
  );
}

/** A diff as the canvas colours it: the compared run's design is on the canvas. */
function canvasDiff(d: GraphDiff, against: string): CanvasDiff {
  const show = (v: unknown) => (v === undefined ? '(default)' : Array.isArray(v) ? `[${v.join(', ')}]` : String(v));
  return {
    against,
    added: d.added.map((n) => n.id),
    changed: Object.fromEntries(d.changed.map((c) => [c.id, c.changes.map((x) => `${x.field} ${show(x.before)} → ${show(x.after)}`).join(', ')])),
    removed: d.removed.map((n) => n.id),
  };
}

function ArchDiff({ name, base, diff, onShow }: { name: string; base: string; diff: GraphDiff; onShow?: () => void }) {
  const none = diff.added.length + diff.removed.length + diff.changed.length + diff.outputs.length === 0;
  const show = (v: unknown) => (v === undefined ? '(default)' : Array.isArray(v) ? `[${v.join(', ')}]` : String(v));
  return (
    <section className="compare__diff" data-testid="arch-diff" title={describeDiff(diff, 100)}>
      <h4>
        {name} <span className="runs__sub">against {base}</span>{' '}
        {onShow && !none ? (
          <button type="button" data-testid="arch-show" title="Open this run's design on the canvas with its differences coloured" onClick={onShow}>
            Show on canvas
          </button>
        ) : null}
      </h4>
      {none ? <p className="runs__sub">Same architecture.</p> : null}
      <ul>
        {diff.added.map((n) => (
          <li key={`+${n.id}`} className="compare__added" data-testid={`arch-added-${n.id}`}>
            + {n.id} <span className="runs__sub">{n.op}</span>
          </li>
        ))}
        {diff.removed.map((n) => (
          <li key={`-${n.id}`} className="compare__removed" data-testid={`arch-removed-${n.id}`}>
            − {n.id} <span className="runs__sub">{n.op}</span>
          </li>
        ))}
        {diff.changed.map((c) => (
          <li key={`~${c.id}`} className="compare__changed" data-testid={`arch-changed-${c.id}`}>
            ~ {c.id} <span className="runs__sub">{c.op}</span>: {c.changes.map((x) => `${x.field} ${show(x.before)} → ${show(x.after)}`).join(', ')}
          </li>
        ))}
        {diff.outputs.map((o) => (
          <li key={`o${o.name}`} className="compare__changed">
            output {o.name}: {o.before ?? '–'} → {o.after ?? '–'}
          </li>
        ))}
      </ul>
    </section>
  );
}

function CompareConfusion({ runs, stored, star }: { runs: readonly RunMeta[]; stored: readonly StoredRun[]; star: string }) {
  const mats = runs.map(confusionOf);
  const labels = runLabels(runs);
  if (mats.every((m) => !m)) return <p className="runs__empty">No confusion matrices: these runs are not classifiers, or ended before an evaluation.</p>;
  const base = mats[0];
  // The same classes in every run's matrix: the first matrix's most frequent when there are many.
  const reference = mats.find((m) => m);
  const shownFor = (m: number[][], i: number) => confusionShown(reference && reference.length === m.length ? reference : m, confusionLabels(stored[i]?.start?.classNames, m.length));
  return (
    <div className="compare__confusions">
      {runs.map((r, i) => {
        const m = mats[i];
        const diff = i > 0 && base && m && m.length === base.length ? m.map((row, a) => row.map((v, b) => v - base[a][b])) : undefined;
        const shown = m ? shownFor(m, i) : undefined;
        return (
          <div key={r.id} className="compare__confusion" data-testid={`compare-confusion-${r.id}`}>
            <h4 title={r.name}>
              {i === 0 ? star : ''}
              {labels[i]}
            </h4>
            {m && shown ? <ConfusionMatrix m={m} classes={shown.names} shown={shown} /> : <p className="runs__sub">none</p>}
            {diff && shown ? (
              <>
                <h4 className="runs__sub">minus {star || labels[0]}</h4>
                <ConfusionMatrix m={diff} classes={shown.names} shown={shown} signed />
              </>
            ) : null}
          </div>
        );
      })}
    </div>
  );
}
