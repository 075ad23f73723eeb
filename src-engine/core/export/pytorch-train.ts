import { TRAIN_PY_TEXT } from './generated/train-py';

/**
 * The exported train.py (its source: `train.py` beside this file, built into
 * `generated/train-py.ts` by scripts/build-train-py.mjs), with `__CONFIG__` (the run's settings as a Python literal) and
 * `__NAME__` filled in by `exportPytorch`. One script for one process and for `torchrun`.
 *
 * NOTE: `NetwrightRng` and `stratified_split` port `base/rng.ts` and `core/data/split.ts` line
 * for line (uint32 arithmetic, JavaScript's `Math.round`), so the split is Netwright's exactly;
 * test/unit/engine/export/pytorch.test.ts checks that against `prepareData`.
 */
export const TRAIN_PY: string = TRAIN_PY_TEXT;
