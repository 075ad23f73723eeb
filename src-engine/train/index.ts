/** Headless training: the Trainer loop, its events and checkpoints (runtime-neutral). */
export { Trainer } from './trainer';
export type { TrainerOptions } from './trainer';
export { TrainError } from './types';
export type { Checkpoint, CompileFn, DoneEvent, EpochEvent, ErrorEvent, ProgressEvent, TrainableGraph, TrainerEvent, TrainErrorCode } from './types';
export { checkpointToJSON, checkpointFromJSON, float32ToBase64, base64ToFloat32 } from './checkpoint';
export type { CheckpointJSON } from './checkpoint';
