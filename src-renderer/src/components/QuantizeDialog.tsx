import { useEffect, useRef, useState } from 'react';
import { getHost } from '../host';
import { exportInt8, int8Choices, measureQuantization, measuredWith, quantizeSourceKey, showChange, showLatency, showMetric, showProgress, showRate, toggleKept, worstLayer, type QuantizeProgress, type QuantizeReport } from '../training/quantize';
import { Modal } from './Modal';
import { ConfusionMatrix } from './training/ConfusionMatrix';
import { confusionShown } from '../training/charts';
import { useWindow } from '../state/window';

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

/** int8 against float32 as a speed: `slow` over `fast` times (a time's ratio, or a rate's inverted by the caller). */
const relativeSpeed = (floatCost: number, int8Cost: number) => {
  const ratio = floatCost / Math.max(1e-9, int8Cost);
  return ratio >= 1 ? `${ratio.toFixed(1)}× faster` : `${(1 / ratio).toFixed(1)}× slower`;
};

/**
 * The measured figures: float32 beside int8, the classes that moved, each layer's sensitivity with
 * a "keep in float" checkbox (the worst layer marked). `keep`: the layers checked now (by default,
 * those the report was measured with); where they differ from the report's, its figures are marked
 * as another set's.
 */
export function QuantizeFigures({ report, keep = report.keptFloat ?? [], onKeep }: { report: QuantizeReport; keep?: readonly string[]; onKeep?: (layer: string, on: boolean) => void }) {
  const r = report;
  const kept = r.keptFloat ?? [];
  const current = measuredWith(r, keep);
  const worst = worstLayer(r);
  const box = (layer: string) => (
    <label className="quantize__keep">
      <input type="checkbox" data-testid="quantize-keep" value={layer} checked={keep.includes(layer)} onChange={(e) => onKeep?.(layer, e.target.checked)} disabled={!onKeep} /> keep in float
    </label>
  );
  return (
    <div className={current ? 'quantize__figures' : 'quantize__figures quantize__stale'} data-testid="quantize-figures" {...(current ? {} : { 'data-stale': 'true' })}>
      <p>
        Calibrated ({r.method}) on {r.samples} samples of {r.calibratedOn}; measured on {r.testSamples} test samples{kept.length ? `, with ${kept.join(', ')} kept in float32 (their weights float32 in the file)` : ''}.
      </p>
      {current ? null : (
        <p className="quantize__note" role="status" data-testid="quantize-keep-stale">
          These figures were measured with {kept.length ? `${kept.join(', ')} kept in float32` : 'every layer in int8'}, not the layers checked now ({keep.length ? keep.join(', ') : 'no layer'}): measure again for theirs. Export int8… writes the layers checked now.
        </p>
      )}
      <table className="quantize__table">
        <thead>
          <tr>
            <th />
            <th>float32</th>
            <th>int8</th>
          </tr>
        </thead>
        <tbody>
          <tr data-row="metric">
            <th>{r.metric}</th>
            <td>{showMetric(r.metric, r.float.metric)}</td>
            <td>{showMetric(r.metric, r.int8.metric)}</td>
          </tr>
          <tr data-row="size">
            <th>size (ONNX)</th>
            <td>{kib(r.float.bytes)}</td>
            <td>
              {kib(r.int8.bytes)} ({Math.round((100 * r.int8.bytes) / Math.max(1, r.float.bytes))}%)
            </td>
          </tr>
          {r.float.latencyMs !== undefined && r.int8.latencyMs !== undefined ? (
            <tr data-row="latency">
              <th>latency, batch 1</th>
              <td>{showLatency(r.float.latencyMs)}</td>
              <td>
                {showLatency(r.int8.latencyMs)} ({relativeSpeed(r.float.latencyMs, r.int8.latencyMs)})
              </td>
            </tr>
          ) : null}
          {r.float.perSecond !== undefined && r.int8.perSecond !== undefined ? (
            <tr data-row="throughput">
              <th>throughput, batch {r.timedBatch ?? 32}</th>
              <td>{showRate(r.float.perSecond)}</td>
              <td>
                {showRate(r.int8.perSecond)} ({relativeSpeed(r.int8.perSecond, r.float.perSecond)})
              </td>
            </tr>
          ) : null}
          {r.floatRuntime || r.int8Runtime ? (
            <tr data-row="runtime">
              <th>run by</th>
              <td>{r.floatRuntime ?? '—'}</td>
              <td>{r.int8Runtime ?? '—'}</td>
            </tr>
          ) : null}
        </tbody>
      </table>
      {r.float.latencyMs !== undefined ? <p className="quantize__note">Timed by the engine on this machine: the median of repeated calls, the input's normalisation or quantisation included.</p> : null}
      {r.changed !== undefined ? (
        <p data-testid="quantize-changed">
          {r.changed} of {r.positions ? `${r.testSamples * r.positions} test pixels` : `${r.testSamples} test samples`} changed class
          {r.moved?.length ? `: ${r.moved.map((c) => `${c.name} ${c.float}→${c.int8} right (${c.changed} changed)`).join(', ')}` : ''}.
        </p>
      ) : null}
      {r.confusion ? <ConfusionPair confusion={r.confusion} /> : null}
      <h3>Per-layer sensitivity</h3>
      <p className="quantize__note">
        Each layer alone in int8, the rest in float, on the first {r.sensitivitySamples} test samples (its figures are theirs, not the {r.testSamples} above): the one that costs most is the one to keep in float, or to calibrate otherwise. Check the layers to keep and measure again.
      </p>
      <ul className="quantize__layers">
        {r.sensitivity.map((l) => (
          <li key={l.layer} data-layer={l.layer} data-change={l.change} {...(l.layer === worst ? { 'data-worst': 'true', className: 'quantize__worst' } : {})}>
            {box(l.layer)} <b>{l.layer}</b> {showMetric(r.metric, l.metric)} ({showChange(r.metric, l.change)}){l.layer === worst ? ' — costs most' : ''}
          </li>
        ))}
        {kept.map((layer) => (
          <li key={layer} data-layer={layer} data-kept="true">
            {box(layer)} <b>{layer}</b> in float32 in these figures
          </li>
        ))}
      </ul>
    </div>
  );
}

/**
 * float32's and int8's confusion matrices side by side (rows the true class, columns the
 * predicted; ConfusionMatrix, as Compare and Evaluate draw them): int8's cells that differ from
 * float32's marked, with float32's count in their title. Both show the same classes (float32's most
 * frequent, past MOST_CONFUSION_CLASSES).
 */
export function ConfusionPair({ confusion }: { confusion: NonNullable<QuantizeReport['confusion']> }) {
  const shown = confusionShown(confusion.float, confusion.classes);
  return (
    <div className="quantize__confusion" data-testid="quantize-confusion">
      <p className="quantize__note">Confusion matrices: rows the true class, columns the predicted; int8's cells that differ from float32's are outlined.</p>
      {(['float', 'int8'] as const).map((side) => (
        <div key={side} className="compare__confusion" data-side={side}>
          <h4>{side === 'float' ? 'float32' : 'int8'}</h4>
          <ConfusionMatrix m={confusion[side]} classes={shown.names} shown={shown} {...(side === 'int8' ? { changedFrom: { m: confusion.float, label: 'float32' } } : {})} />
        </div>
      ))}
    </div>
  );
}

/**
 * Export ▸ Quantize…: choose the calibration (the int8 format's own choices), measure int8 beside
 * float32 in the engine, then export the file with those choices.
 */
export function QuantizeDialog({ onClose }: { onClose(): void }) {
  const w = useWindow();
  const methods = int8Choices(w, 'method');
  const counts = int8Choices(w, 'samples');
  const [method, setMethod] = useState(methods?.default ?? 'minmax');
  const [samples, setSamples] = useState(Number(counts?.default ?? 256));
  const [state, setState] = useState<MeasureState>({ kind: 'idle' });
  // The layers checked "keep in float": what Measure and Export int8… send.
  const [keep, setKeep] = useState<string[]>([]);
  const abort = useRef<AbortController | undefined>(undefined);
  const shown = useRef<MeasureState>(state);
  useEffect(() => {
    shown.current = state;
  }, [state]);
  // What Export would export, followed while the dialog is open: a measurement of another model is
  // stopped, and its figures are not shown as this one's.
  useEffect(() => {
    const update = () => {
      const s = shown.current;
      if ((s.kind === 'measuring' || s.kind === 'done') && s.key !== quantizeSourceKey(w)) {
        abort.current?.abort();
        abort.current = undefined;
        shown.current = { kind: 'stale' };
        setState(shown.current);
        // Another model's layer ids mean nothing for this one.
        setKeep([]);
      }
    };
    const offs = [w.run.subscribe(update), w.editor.subscribe(update)];
    return () => offs.forEach((off) => off());
  }, [w]);
  useEffect(() => () => abort.current?.abort(), []);
  const measure = () => {
    abort.current?.abort();
    const stop = new AbortController();
    abort.current = stop;
    const measuredKey = quantizeSourceKey(w);
    shown.current = { kind: 'measuring', key: measuredKey };
    setState(shown.current);
    measureQuantization(w, method, samples, { signal: stop.signal, keepFloat: keep, onProgress: (progress) => !stop.signal.aborted && setState({ kind: 'measuring', key: measuredKey, progress }) }).then(
      (report) => !stop.signal.aborted && setState({ kind: 'done', report, key: measuredKey }),
      (e: { message: string; code?: string }) => {
        // A cancel says so; a measurement replaced (stale, closed) says nothing.
        if (abort.current !== stop) return;
        setState(e.code === 'E_CANCELLED' ? { kind: 'cancelled' } : { kind: 'failed', message: e.message, ...(e.code ? { code: e.code } : {}) });
      },
    );
  };
  return (
    <Modal title="Quantize to int8" testid="quantize-dialog" onClose={onClose} wide>
      <p>Per-channel int8 weights and uint8 activations calibrated on the model's training split, BatchNorm folded and ReLU fused, as a QDQ ONNX file. Measure it beside float32 first.</p>
      <div className="quantize__choices">
        <label>
          Calibration
          <select data-testid="quantize-method" value={method} onChange={(e) => setMethod(e.target.value)}>
            {(methods?.values ?? [method]).map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
        </label>
        <label>
          Samples
          <select data-testid="quantize-samples" value={samples} onChange={(e) => setSamples(Number(e.target.value))}>
            {(counts?.values ?? [String(samples)]).map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <button type="button" data-testid="quantize-measure" disabled={state.kind === 'measuring'} onClick={measure}>
          {state.kind === 'measuring' ? 'Measuring…' : 'Measure'}
        </button>
        {state.kind === 'measuring' ? (
          <button type="button" data-testid="quantize-cancel" onClick={() => abort.current?.abort()}>
            Cancel
          </button>
        ) : null}
        <button
          type="button"
          data-testid="quantize-export"
          onClick={() => {
            onClose();
            void exportInt8(w, getHost().files, method, samples, keep);
          }}
        >
          Export int8…
        </button>
      </div>
      <QuantizeStatus state={state} />
      {state.kind === 'done' ? <QuantizeFigures report={state.report} keep={keep} onKeep={(layer, on) => setKeep((k) => toggleKept(k, layer, on))} /> : null}
    </Modal>
  );
}

/** The dialog's measurement: none yet, under way (with the engine's progress), done, cancelled, failed, or made stale by a change of the model. */
export type MeasureState =
  | { kind: 'idle' }
  | { kind: 'measuring'; key: string; progress?: QuantizeProgress }
  | { kind: 'done'; report: QuantizeReport; key: string }
  | { kind: 'cancelled' }
  | { kind: 'stale' }
  | { kind: 'failed'; message: string; code?: string };

/** What the dialog says of a measurement that has no figures to show: its progress, its cancel, its failure, or that the model changed. */
export function QuantizeStatus({ state }: { state: MeasureState }) {
  if (state.kind === 'measuring') {
    const p = state.progress;
    return (
      <div className="quantize__progress" role="status" data-testid="quantize-progress">
        <span>{p ? showProgress(p) : 'Starting…'}</span>
        {p && p.total > 0 && p.phase === 'sensitivity' ? <progress value={p.done} max={p.total} /> : <progress />}
      </div>
    );
  }
  if (state.kind === 'cancelled') return <p className="quantize__note" role="status" data-testid="quantize-note">Cancelled: nothing was measured.</p>;
  if (state.kind === 'stale')
    return (
      <p className="quantize__note" role="status" data-testid="quantize-note">
        The model Export would export changed (the design, or the run on screen): measure again for its figures.
      </p>
    );
  if (state.kind === 'failed')
    return (
      <p className="quantize__error" role="alert" data-testid="quantize-error">
        {state.message}
        {state.code ? ` (${state.code})` : ''}
      </p>
    );
  return null;
}
