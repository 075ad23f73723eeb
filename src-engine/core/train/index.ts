/** Training: the one TrainingLoop, its run control, the graph binding, the headless Trainer and checkpoints (runtime-neutral). */
export { TrainingLoop, stripUndefined } from './loop';
export type { GroupRuntime, TrainingLoopOptions } from './loop';
export type { LoopView } from './loop-view';
export { combineHooks, hookStates, loadHookStates, strictest, type LoopHooks, type StepContext, type StepVerdict } from './hooks';
export { RunControl, type RunControlOptions } from './control';
export { bindGraph, checkBinding, classAxisOf, scoreKind, segmentationMask, type GraphBinding, type ScoreKind, type StructuralBinding } from './binding';
export { Predictor, argmax, maskOf, rowProbabilities, type PredictorPlan } from './predictor';
export { Trainer, nonFiniteLossFails, trainerEvents } from './trainer';
export { defaultTraining, lossNodeOf } from './defaults';
export { hostTrainStep, planStep } from './step';
export type { TrainerOptions } from './trainer';
export { TrainError } from './types';
export { featureCacheMessage } from './feature-cache';
export type { Checkpoint, CompileFn, DataSkipped, DeviceCapture, DeviceStep, DoneEvent, ForwardReduce, EpochEvent, ErrorEvent, FeatureCacheStatus, LoopEpoch, LoopFailure, LoopProgress, LoopResult, LossSelection, ProgressEvent, StepFigures, StepGroup, StepPhases, TensorFigures, TrainableGraph, TrainerEvent, TrainErrorCode } from './types';
export { checkpointToJSON, checkpointFromJSON, float32ToBase64, base64ToFloat32 } from './checkpoint';
export type { CheckpointJSON } from './checkpoint';
export { EVALUATION_SPLITS, evaluateModel, prepareForEvaluation, type Evaluation, type EvaluationSplit } from './evaluate';
export { LR_FIND_DEFAULTS, LR_FIND_LIMITS, checkLrRange, findLearningRate, lrAt, smoothLosses, suggestLr, type LrFinderOptions, type LrFinding, type LrRange } from './lr-finder';
