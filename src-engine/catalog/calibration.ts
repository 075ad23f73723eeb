/**
 * How an int8 model's activation ranges are calibrated (core/quantize/calibrate.ts implements
 * them): declared here so the protocol, the CLI and the Export menu name the same three.
 * `minmax`: the values seen; `percentile`: the 0.01th to 99.99th percentiles; `entropy`: the
 * KL-divergence threshold of TensorRT and ONNX Runtime.
 */
export const CALIBRATION_METHODS = ['minmax', 'percentile', 'entropy'] as const;
export type CalibrationMethod = (typeof CALIBRATION_METHODS)[number];
