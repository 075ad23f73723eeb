import { readFileSync, readdirSync } from 'node:fs';
import type { OptimizerConfig } from '../../src-engine/base/ir/types';

/** One optimizer trajectory recorded from PyTorch 1.13 (test/golden/optim/optimizers.json, by test/golden/gen_optim.py). */
export interface OptimizerCase {
  case: string;
  config: OptimizerConfig;
  params: { name: string; shape: number[]; decay: boolean; data: number[] }[];
  grads: number[][][];
  trajectory: number[][][];
}

/** A golden file of test/golden/optim, as recorded. */
export const optimGolden = (file: string): { cases: unknown[] } => JSON.parse(readFileSync(new URL(`../golden/optim/${file}`, import.meta.url), 'utf8'));

/**
 * Every optimizer case: the reference's, the CPU backend's and the GPU's golden tests read the same
 * ones: every file of test/golden/optim (optimizers.json; nadam.json for NAdam,
 * added in #58 as one declaration; a file per optimizer added since, written by gen_optim.py).
 */
export const optimizerCases = (): OptimizerCase[] =>
  readdirSync(new URL('../golden/optim/', import.meta.url))
    .filter((f) => f.endsWith('.json'))
    .sort()
    .flatMap((f) => optimGolden(f).cases as OptimizerCase[]);
