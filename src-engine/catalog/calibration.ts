/**
 * How an int8 model's activation ranges are calibrated (core/quantize/calibrate.ts implements
 * them): declared here so the protocol, the CLI and the Export menu name the same three.
 * `minmax`: the values seen; `percentile`: the 0.01th to 99.99th percentiles; `entropy`: the
 * KL-divergence threshold of TensorRT and ONNX Runtime.
 */
export const CALIBRATION_METHODS = ['minmax', 'percentile', 'entropy'] as const;
export type CalibrationMethod = (typeof CALIBRATION_METHODS)[number];

/**
 * The phases of a quantisation measured (`model.quantize`'s `quantize.progress` events), in order,
 * with what the Quantize… dialog says of each.
 */
export const QUANTIZE_PHASE_LABELS = {
  calibrating: 'Calibrating on the training split',
  measuring: 'Running float32 and int8 on the test split',
  timing: 'Timing batch 1 and batch 32',
  sensitivity: 'Per-layer sensitivity',
} as const;
export type QuantizePhase = keyof typeof QUANTIZE_PHASE_LABELS;
export const QUANTIZE_PHASES = Object.keys(QUANTIZE_PHASE_LABELS) as [QuantizePhase, ...QuantizePhase[]];
