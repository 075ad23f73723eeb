/** Training sessions as the app drives them: the session and its loop hooks — divergence guard, rollback snapshots, probe scheduler, run recorder, protocol events (docs/training-protocol.md). */
export { TrainingSession, type TrainingSessionOptions, type SessionEmit } from './training-session';
export { LatestWinsMailbox } from './frame-mailbox';
export { DivergenceGuard, locateNonFinite, gradientsFinite, divergenceHint, type Divergence, type DivergenceGuardOptions, type NonFiniteSite } from './divergence-guard';
export { RollbackSnapshots, type RollbackOptions } from './rollback-snapshots';
export { ProbeScheduler, PACED_PROBE_HZ, type TakenFrame } from './probe-scheduler';
export { RunRecorder } from './run-recorder';
export { startWeights, type WeightSources } from './start-weights';
export { sessionCheckpointCopies } from '../../core/analysis/memory';
export { SessionEvents } from './session-events';
export { predictSample, type PredictionPlan } from './predict';
export { sanityCheck, type SanityCheckOptions } from './sanity-check';
export { datasetPreview } from './preview';
export { bindGraph, checkBinding } from '../../core/train';
export { LoadedModel } from './loaded-model';
export { generateSamples } from './generate';
export { explainSample } from './explain';
