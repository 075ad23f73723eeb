/** Evaluation metrics: pure functions over arrays, and a streaming accumulator for training. */
export { accuracy, topKAccuracy, argmaxRow, inTopK, confusionMatrix, precisionRecallF1, rocAuc } from './classification';
export type { PerClassScores } from './classification';
export { meanSquaredError, meanAbsoluteError, r2Score, psnrFromMse } from './regression';
export { MetricAccumulator, METRIC_NAMES, meanIou } from './accumulator';
export type { MetricName, MetricValues, MetricTarget } from './accumulator';
export { metricsBySplit } from './by-split';
