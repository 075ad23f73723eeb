/**
 * A quantisation measured, not written (the app's Export ▸ Quantize… dialog, `model.quantize`):
 * calibrated on the model's own training split, int8 beside float32 on the test split — the
 * metric, sizes, the samples and classes that moved — and each layer's sensitivity.
 */
import type { Backend } from '../backend/types';
import { withInputShape } from '../data';
import type { LoadedDataset, Samples } from '../data/types';
import type { TrainedModel } from '../export/model';
import { exportOnnx } from '../export/onnx';
import type { CalibrationMethod } from './calibrate';
import { quantizationSplits } from './data';
import { QuantizeError } from './errors';
import { normalized, quantizeModel } from './int8';
import { int8Onnx } from './qdq-onnx';
import { layerSensitivity, sideBySide, type ClassMove, type LayerSensitivity, type SideBySide } from './side-by-side';

/** Test samples the report measures, and those its per-layer sensitivity does. */
const REPORT_TEST_SAMPLES = 1000;
const REPORT_SENSITIVITY_SAMPLES = 200;

export interface QuantizationReport {
  method: CalibrationMethod;
  samples: number;
  calibratedOn: string;
  testSamples: number;
  metric: SideBySide['metric'];
  float: { metric: number; bytes: number };
  int8: { metric: number; bytes: number };
  changed?: number;
  moved?: ClassMove[];
  sensitivity: LayerSensitivity[];
  /** What ran the int8 side (side-by-side.ts `int8Runtime`). */
  int8Runtime: string;
}

/**
 * Quantise `model` on `samples` samples of its training split (`loaded`: its dataset as the host
 * loads it) by `method` and measure it beside float32 on up to 1,000 test samples, both run on
 * `backend` (the int8 side on its int8 kernels where it has them, as `netwright quantize` runs it;
 * no timings: the engine's backend is not the one the file will run on).
 *
 * @throws QuantizeError `E_QUANTIZE_DATA` (no training settings, no test samples), `E_QUANTIZE_UNSUPPORTED`.
 */
export function quantizationReport(model: TrainedModel, loaded: LoadedDataset<Samples>, method: CalibrationMethod, samples: number, backend?: Backend): QuantizationReport {
  const t = model.graph.training;
  if (!t) throw new QuantizeError('E_QUANTIZE_DATA', 'The model has no training settings naming its data: quantise it with netwright quantize --data.');
  const { calibration, test } = quantizationSplits(loaded, withInputShape(t.dataset, model.graph), t.seed, samples, REPORT_TEST_SAMPLES);
  if (test.count === 0) throw new QuantizeError('E_QUANTIZE_DATA', `${t.dataset.name} has no test or validation samples to measure the int8 model on.`);
  const q = quantizeModel(model, normalized(model, calibration.x, calibration.count), calibration.count, method);
  const floatBytes = exportOnnx(model).bytes.length;
  const f = sideBySide(q, test.x, test.y, test.count, { float: floatBytes, int8: int8Onnx(q).length }, backend, { speed: false });
  const sensitivity = layerSensitivity(q, test.x, test.y, Math.min(test.count, REPORT_SENSITIVITY_SAMPLES)).layers;
  return {
    method,
    samples: calibration.count,
    calibratedOn: `${t.dataset.name}, its training split`,
    testSamples: test.count,
    metric: f.metric,
    float: { metric: f.float.metric, bytes: f.float.bytes },
    int8: { metric: f.int8.metric, bytes: f.int8.bytes },
    ...(f.changed !== undefined ? { changed: f.changed } : {}),
    ...(f.moved ? { moved: f.moved } : {}),
    sensitivity,
    int8Runtime: f.int8Runtime,
  };
}
