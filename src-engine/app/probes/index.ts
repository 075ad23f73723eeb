/** Probes: what the engine measures on a fixed probe batch while a run trains (docs/training-protocol.md). */
export { TensorSummarizer, compact, compactOrNull, l2Distance, l2Norm, meanAbs } from './summary';
export { ActivationProbe, deadFraction } from './activation-probe';
export { GradientProbe, type GradientStats } from './gradient-probe';
export { WeightProbe } from './weight-probe';
export { SampleProbe, rowProbabilities, type ScoreKind } from './sample-probe';
export { DecisionBoundaryProbe } from './decision-boundary-probe';
export { layerHealth, DEFAULT_HEALTH_THRESHOLDS, type HealthThresholds } from './layer-health';
export { ProbeSuite, DEFAULT_PROBE_OPTIONS, type ProbeSuiteOptions } from './probe-suite';
export { GanProbe, ganHints, meanPairwiseDistance, GAN_HINT_AFTER_STEPS } from './gan-probe';
