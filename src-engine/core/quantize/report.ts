/**
 * A quantisation measured, not written (the app's Export ▸ Quantize… dialog, `model.quantize`):
 * calibrated on the model's own training split, int8 beside float32 on the test split — the
 * metric, sizes, latency and throughput, the confusion matrices, the samples and classes that
 * moved — and each layer's sensitivity.
 */
import type { Backend } from '../backend/types';
import { createReferenceBackend } from '../backend/reference';
import { withInputShape } from '../data';
import type { LoadedDataset, Samples } from '../data/types';
import type { TrainedModel } from '../export/model';
import { exportOnnx } from '../export/onnx';
import type { CalibrationMethod } from './calibrate';
import { quantizationSplits } from './data';
import { QuantizeError } from './errors';
import { normalized, quantizeModel } from './int8';
import { int8Onnx } from './qdq-onnx';
import { SENSITIVITY_SAMPLES, layerSensitivityAsync, quantizeCancelled, sideBySide, timeSides, type ClassMove, type LayerSensitivity, type SideBySide, type SideFigures } from './side-by-side';
import type { QuantizePhase } from '../../catalog/calibration';

/** Test samples the report measures (its per-layer sensitivity: SENSITIVITY_SAMPLES of them). */
const REPORT_TEST_SAMPLES = 1000;
/** The most classes whose confusion matrices the report carries (the dialog draws up to 20). */
const REPORT_CONFUSION_CLASSES = 50;

export interface QuantizationReport {
  method: CalibrationMethod;
  samples: number;
  calibratedOn: string;
  testSamples: number;
  metric: SideBySide['metric'];
  float: SideFigures;
  int8: SideFigures;
  /** The batch the throughput was measured at (32, or the test samples when fewer). */
  timedBatch: number;
  /** What ran the float side (the backend's description). */
  floatRuntime: string;
  /** A classifier's confusion matrices (rows the true class), float32's and int8's, with its class names; none past `REPORT_CONFUSION_CLASSES` classes. */
  confusion?: { classes: string[]; float: number[][]; int8: number[][] };
  changed?: number;
  moved?: ClassMove[];
  /** A segmenter's pixels per sample: `changed`, `moved` and `confusion` count pixels. */
  positions?: number;
  sensitivity: LayerSensitivity[];
  /** The test samples `sensitivity` measured each layer on (the first of the test split, at most SENSITIVITY_SAMPLES). */
  sensitivitySamples: number;
  /** The layers kept in float32 (`options.keepFloat`, in the graph's order): none in `sensitivity`. */
  keptFloat?: string[];
  /** What ran the int8 side (side-by-side.ts `int8Runtime`). */
  int8Runtime: string;
}

/** How far `quantizationReport` has got: its phase, and the samples done of `total` in it (0 of 0 where not counted). */
export type QuantizeProgress = (p: { phase: QuantizePhase; done: number; total: number }) => void;

/**
 * Quantise `model` on `samples` samples of its training split (`loaded`: its dataset as the host
 * loads it) by `method` and measure it beside float32 on up to 1,000 test samples, both run on
 * `backend` (the int8 side on its int8 kernels where it has them, as `netwright quantize` runs it),
 * with their latency at batch 1 and throughput at batch 32 on that backend; then each layer's
 * sensitivity; `options.keepFloat`: layers kept in float32 (`PlanOptions`). Between phases, and every few sensitivity samples, it lets the event loop run, so a
 * cancel (`signal`) is heard; `onProgress` hears each phase begin and the sensitivity's samples.
 *
 * @throws QuantizeError `E_QUANTIZE_DATA` (no training settings, no test samples), `E_QUANTIZE_UNSUPPORTED`, `E_QUANTIZE_KEEP_FLOAT`, `E_CANCELLED`.
 */
export async function quantizationReport(model: TrainedModel, loaded: LoadedDataset<Samples>, method: CalibrationMethod, samples: number, backend: Backend = createReferenceBackend(), options: { signal?: AbortSignal; onProgress?: QuantizeProgress; keepFloat?: readonly string[] } = {}): Promise<QuantizationReport> {
  const t = model.graph.training;
  if (!t) throw new QuantizeError('E_QUANTIZE_DATA', 'The model has no training settings naming its data: quantise it with netwright quantize --data.');
  const phase = async (p: QuantizePhase, total = 0) => {
    options.onProgress?.({ phase: p, done: 0, total });
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
    if (options.signal?.aborted) throw quantizeCancelled();
  };
  await phase('calibrating', samples);
  const { calibration, test } = quantizationSplits(loaded, withInputShape(t.dataset, model.graph), t.seed, samples, REPORT_TEST_SAMPLES);
  if (test.count === 0) throw new QuantizeError('E_QUANTIZE_DATA', `${t.dataset.name} has no test or validation samples to measure the int8 model on.`);
  const q = quantizeModel(model, normalized(model, calibration.x, calibration.count), calibration.count, method, options.keepFloat ? { keepFloat: options.keepFloat } : {});
  await phase('measuring', test.count);
  const floatBytes = exportOnnx(model).bytes.length;
  const bytes = { float: floatBytes, int8: int8Onnx(q).length };
  const f = sideBySide(q, test.x, test.y, test.count, bytes, backend, { speed: false });
  await phase('timing');
  const timed = timeSides(q, test.x, test.count, backend);
  const few = Math.min(test.count, SENSITIVITY_SAMPLES);
  await phase('sensitivity', few);
  // At most ~10 progress reports a second: a small model's 200 samples take milliseconds.
  let reported = 0;
  const sensitivity = (
    await layerSensitivityAsync(q, test.x, test.y, few, {
      ...(options.signal ? { signal: options.signal } : {}),
      onProgress: (done, total) => {
        if (done < total && performance.now() - reported < 100) return;
        reported = performance.now();
        options.onProgress?.({ phase: 'sensitivity', done, total });
      },
    })
  ).layers;
  return {
    method,
    samples: calibration.count,
    calibratedOn: `${t.dataset.name}, its training split`,
    testSamples: test.count,
    metric: f.metric,
    float: { metric: f.float.metric, bytes: f.float.bytes, ...timed.float },
    int8: { metric: f.int8.metric, bytes: f.int8.bytes, ...timed.int8 },
    timedBatch: timed.batch,
    floatRuntime: timed.floatRuntime,
    ...(f.confusion && model.classNames && model.classNames.length <= REPORT_CONFUSION_CLASSES ? { confusion: { classes: model.classNames, ...f.confusion } } : {}),
    ...(f.changed !== undefined ? { changed: f.changed } : {}),
    ...(f.moved ? { moved: f.moved } : {}),
    ...(f.positions ? { positions: f.positions } : {}),
    sensitivity,
    sensitivitySamples: few,
    ...(q.plan.keptFloat?.length ? { keptFloat: q.plan.keptFloat } : {}),
    int8Runtime: f.int8Runtime,
  };
}
