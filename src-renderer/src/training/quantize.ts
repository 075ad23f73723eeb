/**
 * The Export menu's Quantize… dialog (#85): int8 measured beside float32 by the engine
 * (`model.quantize`), then exported with the same choices as the export table's `onnx-int8` format.
 */
import type { EventData, ExportSource, ResultOf } from '../../../src-engine/protocol';
import { QUANTIZE_PHASE_LABELS } from '../../../src-engine/facade';
import type { HostFiles } from '../../../src-contracts/host';
import { currentExportSource, designExportSource, exportModel } from './export';
import type { WindowStores } from '../state/window-stores';

export type QuantizeReport = ResultOf<'model.quantize'>;

/** The export table's int8 format, whose settings (calibration method, samples) the dialog offers. */
export const INT8_FORMAT = 'onnx-int8';

/** The int8 format's choices for `key` (the engine's table), and its default; none when the engine has no such format. */
export function int8Choices(w: Pick<WindowStores, 'exports'>, key: 'method' | 'samples'): { values: string[]; default: string } | undefined {
  const setting = w.exports.getState().formats.find((f) => f.id === INT8_FORMAT)?.settings.find((s) => s.key === key);
  return setting ? { values: setting.choices.map((c) => c.value), default: setting.default } : undefined;
}

/** What Export would export now: the run on screen, a loaded model, or the design's initial weights. */
export function quantizeSource(w: WindowStores): ExportSource | undefined {
  return currentExportSource(w) ?? designExportSource(w);
}

/**
 * What a measurement was made of, as a key: the source, and for a design's initial weights the design
 * itself; for a run, its phase (a run still training has other weights when it ends). Figures made
 * under another key are stale.
 */
export function quantizeSourceKey(w: WindowStores): string {
  const source = quantizeSource(w);
  if (!source) return '';
  const run = w.run.getState();
  return JSON.stringify(source.kind === 'initial' ? source : { ...source, runId: run.runId, phase: run.phase });
}

/** How far a measurement has got (the engine's `quantize.progress`). */
export type QuantizeProgress = Omit<EventData<'quantize.progress'>, 'progressId'>;

let measures = 0;

/**
 * Ask the engine to quantise what Export would export (the run on screen, a loaded model, or the
 * design's initial weights) and measure it; rejects with the engine's coded error (`E_CANCELLED`
 * once `signal` is aborted). `onProgress` hears its phases and the sensitivity's samples; `keepFloat`: the layers kept in float32.
 */
export async function measureQuantization(w: WindowStores, method: string, samples: number, options: { signal?: AbortSignal; onProgress?: (p: QuantizeProgress) => void; keepFloat?: readonly string[] } = {}): Promise<QuantizeReport> {
  const c = w.engine.getState().client;
  const source = quantizeSource(w);
  if (!c) throw Object.assign(new Error('The engine is not connected; try again when it is back.'), { code: 'E_ENGINE_DISCONNECTED' });
  if (!source) throw Object.assign(new Error('There is nothing to quantise yet: train a model, or open one saved with its weights.'), { code: 'E_EXPORT_NO_WEIGHTS' });
  const progressId = `quantize-${++measures}`;
  const off = options.onProgress ? c.on('quantize.progress', ({ progressId: id, ...p }) => (id === progressId ? options.onProgress?.(p) : undefined)) : undefined;
  try {
    const keepFloat = options.keepFloat?.length ? { keepFloat: [...options.keepFloat] } : {};
    return await c.request('model.quantize', { source, method: method as QuantizeReport['method'], samples, progressId, ...keepFloat }, options.signal ? { signal: options.signal } : {});
  } finally {
    off?.();
  }
}

/** Milliseconds as the dialog shows them: three figures. */
export function showLatency(ms: number | undefined): string {
  return ms === undefined ? '—' : ms >= 100 ? `${Math.round(ms)} ms` : `${ms.toPrecision(3)} ms`;
}

/** Samples a second: whole numbers with thousands grouped, three figures below ten. */
export function showRate(perSecond: number | undefined): string {
  return perSecond === undefined ? '—' : perSecond >= 10 ? `${Math.round(perSecond).toLocaleString('en-US')}/s` : `${perSecond.toPrecision(3)}/s`;
}

/** A phase of a measurement, as the dialog says it: its label, and the samples done where counted. */
export function showProgress(p: QuantizeProgress): string {
  return `${QUANTIZE_PHASE_LABELS[p.phase]}${p.phase === 'sensitivity' && p.total > 0 ? `: ${p.done} of ${p.total} samples` : '…'}`;
}

/**
 * Export the int8 file with the dialog's choices (method and samples become the format's settings in
 * the menu too; the layers kept in float32, `keepFloat`, are this export's alone).
 */
export function exportInt8(w: WindowStores, files: HostFiles, method: string, samples: number, keepFloat: readonly string[] = []): Promise<boolean> {
  const set = w.exports.getState().setSetting;
  set(INT8_FORMAT, 'method', method);
  set(INT8_FORMAT, 'samples', String(samples));
  return exportModel(w, files, INT8_FORMAT, undefined, { keepFloat });
}

/**
 * The layer whose int8 form costs most in `report`'s sensitivity (the dialog marks it): accuracy
 * lost most, or MSE gained most; none where no layer costs anything.
 */
export function worstLayer(report: Pick<QuantizeReport, 'metric' | 'sensitivity'>): string | undefined {
  const cost = (change: number) => (report.metric === 'accuracy' ? -change : change);
  let worst: { layer: string; change: number } | undefined;
  for (const l of report.sensitivity) if (cost(l.change) > 0 && (!worst || cost(l.change) > cost(worst.change))) worst = l;
  return worst?.layer;
}

/** `keep` with `layer` checked (added at the end) or unchecked. */
export function toggleKept(keep: readonly string[], layer: string, on: boolean): string[] {
  return on ? (keep.includes(layer) ? [...keep] : [...keep, layer]) : keep.filter((l) => l !== layer);
}

/** Whether `report` was measured with the layers `keep` holds kept in float32 (in any order): else its figures are another set's. */
export function measuredWith(report: Pick<QuantizeReport, 'keptFloat'>, keep: readonly string[]): boolean {
  const kept = report.keptFloat ?? [];
  return kept.length === keep.length && kept.every((l) => keep.includes(l));
}

/** A metric as the dialog shows it: a percentage for accuracy, four figures for MSE. */
export function showMetric(metric: QuantizeReport['metric'], v: number): string {
  return metric === 'accuracy' ? `${(100 * v).toFixed(2)}%` : v.toPrecision(4);
}

/** A change of the metric: points for accuracy (signed), else signed figures. */
export function showChange(metric: QuantizeReport['metric'], v: number): string {
  const sign = v > 0 ? '+' : v < 0 ? '−' : '±';
  return metric === 'accuracy' ? `${sign}${Math.abs(100 * v).toFixed(2)} points` : `${sign}${Math.abs(v).toPrecision(3)}`;
}
