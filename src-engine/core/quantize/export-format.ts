/**
 * int8 as an export format (#85): `onnx-int8` in the export table, so the app's Export menu
 * ("ONNX int8 (QDQ)…", its method and samples as the format's settings) and `netwright export
 * --format onnx-int8` make the same file `netwright quantize` does, calibrated on the model's own
 * training split, its model card carrying the test split's figures.
 */
import { withInputShape } from '../data';
import type { ExportBundle } from '../export/bundle';
import type { LoadedDataset, Samples } from '../data/types';
import type { ModelCardContext } from '../export/model-card';
import type { TrainedModel } from '../export/model';
import { exportOnnx } from '../export/onnx';
import { CALIBRATION_METHODS, type CalibrationMethod } from './calibrate';
import { quantizationSplits } from './data';
import { QuantizeError } from './errors';
import { normalized, quantizeModel, type Int8Model } from './int8';
import { int8Onnx } from './qdq-onnx';
import { sideBySide, type SideBySide } from './side-by-side';

/** Test samples the export's card measures (the CLI's `--limit` says for itself). */
const CARD_TEST_SAMPLES = 1000;

/** The int8 format's settings: calibration method and samples (an `ExportSetting` each: formats.ts lists them). */
export const QUANTIZE_SETTINGS = [
  {
    key: 'method',
    label: 'Calibration',
    doc: 'how each activation range is measured on the samples: minmax (the values seen), percentile (0.01th to 99.99th), entropy (the KL-divergence threshold of TensorRT and ONNX Runtime)',
    choices: CALIBRATION_METHODS.map((m) => ({ value: m, label: m })),
    default: 'minmax',
  },
  {
    key: 'samples',
    label: 'Samples',
    doc: 'how many samples of the training split calibrate the activations',
    choices: ['64', '256', '1024'].map((v) => ({ value: v, label: v })),
    default: '256',
  },
] as const satisfies readonly { key: string; label: string; doc: string; choices: readonly { value: string; label: string }[]; default: string }[];

/** What the export table gives an exporter (formats.ts `ExportOptions`), as this one reads it. */
interface QuantizeExportOptions {
  settings?: Readonly<Record<string, string>>;
  data?: LoadedDataset<Samples>;
  onProgress?: (fraction: number, what: string) => void;
  /** Layers kept in float32 (`PlanOptions.keepFloat`). */
  keepFloat?: readonly string[];
}

/** The model card's quantisation section: how it was calibrated, and the figures beside float32 where measured. */
export function quantizationCard(q: Int8Model, calibratedOn: string, floatBytes: number, f?: SideBySide): ModelCardContext {
  const side = (s: SideBySide['float'] | undefined) => (s && f ? { metric: { name: f.metric, value: s.metric }, ...(s.latencyMs !== undefined ? { latencyMs: s.latencyMs } : {}), ...(s.perSecond !== undefined ? { perSecond: s.perSecond } : {}) } : {});
  return {
    quantization: {
      precision: 'int8',
      method: q.method,
      samples: q.samples,
      calibratedOn,
      float: { bytes: floatBytes, ...side(f?.float) },
      int8: { bytes: f?.int8.bytes ?? 0, ...side(f?.int8) },
      ...(f?.changed !== undefined ? { changed: f.changed, compared: f.samples * (f.positions || 1), ...(f.positions ? { pixels: true } : {}) } : {}),
    },
  };
}

/**
 * The QDQ file of `model` calibrated on its own training split (`options.data`, loaded by the host),
 * its card with the metric, sizes and changed classes on up to 1,000 test samples (no timings:
 * the export runs on whatever backend is at hand); `options.keepFloat`: layers kept in float32.
 *
 * @throws QuantizeError `E_QUANTIZE_DATA` without the data, `E_QUANTIZE_UNSUPPORTED` for layers without an int8 form, `E_QUANTIZE_KEEP_FLOAT`.
 */
export function quantizedExport(model: TrainedModel, options: QuantizeExportOptions): ExportBundle {
  const t = model.graph.training;
  if (!t || !options.data) throw new QuantizeError('E_QUANTIZE_DATA', `int8 export calibrates on the model's training data${t ? `, and ${t.dataset.name} could not be loaded` : ', and the model has no training settings naming any'}: export ONNX (float32), or use netwright quantize --data.`);
  const progress = options.onProgress ?? (() => {});
  const method = (options.settings?.method ?? 'minmax') as CalibrationMethod;
  progress(0.1, 'calibration samples');
  const { calibration, test } = quantizationSplits(options.data, withInputShape(t.dataset, model.graph), t.seed, Number(options.settings?.samples ?? 256), CARD_TEST_SAMPLES);
  progress(0.3, 'calibration');
  const q = quantizeModel(model, normalized(model, calibration.x, calibration.count), calibration.count, method, options.keepFloat ? { keepFloat: options.keepFloat } : {});
  progress(0.6, 'int8 beside float32 on the test split');
  const floatBytes = exportOnnx(model).bytes.length;
  const source = `${t.dataset.name}, its training split`;
  const first = int8Onnx(q, quantizationCard(q, source, floatBytes));
  const figures = test.count > 0 ? sideBySide(q, test.x, test.y, test.count, { float: floatBytes, int8: first.length }, undefined, { speed: false }) : undefined;
  const bytes = int8Onnx(q, quantizationCard(q, source, floatBytes, figures));
  progress(1, 'done');
  return { kind: 'file', files: [{ path: 'model.int8.onnx', data: bytes }] };
}
