// The fine-tuning rules live in the engine, which `netwright train --freeze` reads too.
export { backboneOf, holdsWeights } from '../../../src-engine/facade';
