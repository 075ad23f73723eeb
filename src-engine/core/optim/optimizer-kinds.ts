import { adam } from './adam';
import { adamw } from './adamw';
import { sgd } from './sgd';
import { rmsprop } from './rmsprop';
import { adagrad } from './adagrad';

/** The optimizers, one line each, in the order the app lists them. */
export const OPTIMIZER_DEFS = [adam, adamw, sgd, rmsprop, adagrad] as const;
