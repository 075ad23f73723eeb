/** Training sessions as the app drives them: probes, divergence guard, flow control (docs/training-protocol.md). */
export { TrainingSession, type TrainingSessionOptions, type SessionEmit } from './training-session';
export { LatestWinsMailbox } from './frame-mailbox';
export { locateNonFinite, gradientsFinite, divergenceHint, type NonFiniteSite } from './divergence-guard';
export { sanityCheck, type SanityCheckOptions } from './sanity-check';
export { datasetPreview } from './preview';
export { bindGraph } from '../../core/train';
export { LoadedModel } from './loaded-model';
export { generateSamples } from './generate';
