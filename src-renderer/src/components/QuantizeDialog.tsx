import { useState } from 'react';
import { getHost } from '../host';
import { exportInt8, int8Choices, measureQuantization, showChange, showMetric, type QuantizeReport } from '../training/quantize';
import { Modal } from './Modal';
import { useWindow } from '../state/window';

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

/** The measured figures: float32 beside int8, the classes that moved, each layer's sensitivity. */
export function QuantizeFigures({ report }: { report: QuantizeReport }) {
  const r = report;
  return (
    <div className="quantize__figures" data-testid="quantize-figures">
      <p>
        Calibrated ({r.method}) on {r.samples} samples of {r.calibratedOn}; measured on {r.testSamples} test samples.
      </p>
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
        </tbody>
      </table>
      {r.changed !== undefined ? (
        <p data-testid="quantize-changed">
          {r.changed} of {r.testSamples} test samples changed class
          {r.moved?.length ? `: ${r.moved.map((c) => `${c.name} ${c.float}→${c.int8} right (${c.changed} changed)`).join(', ')}` : ''}.
        </p>
      ) : null}
      <h3>Per-layer sensitivity</h3>
      <p className="quantize__note">Each layer alone in int8, the rest in float: the one that costs most is the one to keep in float, or to calibrate otherwise.</p>
      <ul className="quantize__layers">
        {r.sensitivity.map((l) => (
          <li key={l.layer} data-layer={l.layer} data-change={l.change}>
            <b>{l.layer}</b> {showMetric(r.metric, l.metric)} ({showChange(r.metric, l.change)})
          </li>
        ))}
      </ul>
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
  const [state, setState] = useState<{ kind: 'idle' } | { kind: 'measuring' } | { kind: 'done'; report: QuantizeReport } | { kind: 'failed'; message: string; code?: string }>({ kind: 'idle' });
  const measure = () => {
    setState({ kind: 'measuring' });
    measureQuantization(w, method, samples).then(
      (report) => setState({ kind: 'done', report }),
      (e: { message: string; code?: string }) => setState({ kind: 'failed', message: e.message, ...(e.code ? { code: e.code } : {}) }),
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
        <button
          type="button"
          data-testid="quantize-export"
          onClick={() => {
            onClose();
            void exportInt8(w, getHost().files, method, samples);
          }}
        >
          Export int8…
        </button>
      </div>
      {state.kind === 'done' ? <QuantizeFigures report={state.report} /> : null}
      {state.kind === 'failed' ? (
        <p className="quantize__error" role="alert" data-testid="quantize-error">
          {state.message}
          {state.code ? ` (${state.code})` : ''}
        </p>
      ) : null}
    </Modal>
  );
}
