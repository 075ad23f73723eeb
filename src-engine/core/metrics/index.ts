/** Evaluation metrics: pure functions over arrays, and a streaming accumulator for training. */
export { accuracy, topKAccuracy, argmaxRow, inTopK, confusionMatrix, precisionRecallF1, rocAuc, classificationReport, balancedAccuracy, calibrationBins, addToBins, reliability, expectedCalibrationError, topConfidence, CALIBRATION_BINS } from './classification';
export type { PerClassScores, ClassificationReport, ReportRow, Reliability, CalibrationBins, ScoreReading } from './classification';
export { MAX_RESIDUAL_POINTS } from './accumulator';
export { meanSquaredError, meanAbsoluteError, r2Score, psnrFromMse } from './regression';
export { MetricAccumulator, METRIC_NAMES, meanIou } from './accumulator';
export type { MetricName, MetricValues, MetricTarget } from './accumulator';
export { metricsBySplit } from './by-split';
