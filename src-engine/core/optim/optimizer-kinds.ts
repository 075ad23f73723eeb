import type { OptimizerKind } from '../../catalog/optimizers/registry';
import { adam } from './adam';
import { adamw } from './adamw';
import { sgd } from './sgd';
import { rmsprop } from './rmsprop';
import { adagrad } from './adagrad';
import { nadam } from './nadam';
import { lion } from './lion';

/**
 * The one table of optimizers, one line each, in the order the app lists them: each file declares an
 * optimizer's settings and what it computes. Their settings are printed into
 * catalog/optimizers/generated.ts (`npx tsx src-engine/node/catalog-gen.ts`).
 */
export const OPTIMIZER_DEFS = [adam, adamw, sgd, rmsprop, adagrad, nadam, lion] as const;

// A kind in the printed catalog without its file here fails to compile, naming the kind (and a file
// here whose kind the catalog lacks fails at its `defineOptimizer`): run catalog-gen.ts.
type Undefined = Exclude<OptimizerKind, (typeof OPTIMIZER_DEFS)[number]['kind']>;
export const EVERY_OPTIMIZER_DEFINED: [Undefined] extends [never] ? true : Undefined = true;
