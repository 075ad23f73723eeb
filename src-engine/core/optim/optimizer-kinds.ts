import type { OptimizerKind } from '../../catalog/optimizers/registry';
import { adam } from './adam';
import { adamw } from './adamw';
import { sgd } from './sgd';
import { rmsprop } from './rmsprop';
import { adagrad } from './adagrad';

/** What each declared optimizer (catalog/optimizers/) computes, one line each. */
export const OPTIMIZER_DEFS = [adam, adamw, sgd, rmsprop, adagrad] as const;

// A kind declared in the catalog without its definition here fails to compile, naming the kind.
type Undefined = Exclude<OptimizerKind, (typeof OPTIMIZER_DEFS)[number]['kind']>;
export const EVERY_OPTIMIZER_DEFINED: [Undefined] extends [never] ? true : Undefined = true;
