/**
 * The row indices of Netwright's own splits, for scikit-learn to fit and test on the same rows
 * (#83 must-show): it calls the engine's split functions with the inputs a run gives them.
 *
 *   npx tsx bench/honest-numbers/split-indices.ts texts FILE.csv LABEL_COLUMN VALIDATION_SPLIT SEED
 *     a text table's fixed test split (options.testSplit 0.2, splitSeed 1: labelled-text.ts) and
 *     the validation split prepareData carves from the rest (validationSplit, the run's seed)
 *   npx tsx bench/honest-numbers/split-indices.ts folds FILE.csv LABEL_COLUMN K,VALIDATION_SPLIT SEED
 *     --folds K's partition (crossValidationFolds), each fold's run trained on the other folds less
 *     the validation split carved from them
 *
 * Prints JSON: { train, val, test } or { folds: [{ train, val, test }] }, 0-based indices of the file's data rows. Classes
 * are indexed as the table readers index them: the distinct labels, sorted.
 */
import { readFileSync } from 'node:fs';
import { Rng } from '../../src-engine/base/rng';
import { crossValidationFolds, stratifiedSplit } from '../../src-engine/core/data';
import { rectangularRows } from '../../src-engine/core/data/csv';
import { taskFor } from '../../src-engine/catalog/tasks';

const [mode, file, column, arg, seedText] = process.argv.slice(2);
const { header, body } = rectangularRows(readFileSync(file, 'utf8'), file, {});
const col = header.indexOf(column);
if (col < 0) throw new Error(`${file} has no column ${column}`);
const names = body.map((r) => r.cells[col]);
const numeric = names.every((v) => v.trim() !== '' && Number.isFinite(Number(v)));
const classes = [...new Set(names)].sort(numeric ? (a, b) => Number(a) - Number(b) : (a, b) => (a < b ? -1 : a > b ? 1 : 0));
const targets = Float32Array.from(names, (v) => classes.indexOf(v));
const labelled = { count: targets.length, task: taskFor('classes'), targets, targetShape: [] as number[] };
const seed = Number(seedText);
if (mode === 'folds') {
  // prepareData with a fold: the other folds are the pool, validation carved from it as for any run.
  const [k, validation] = arg.split(',').map(Number);
  const folds = crossValidationFolds(labelled, k, seed);
  const runs = folds.map((test, i) => {
    const pool = Int32Array.from(folds.flatMap((f, j) => (j === i ? [] : Array.from(f)))).sort();
    const [train, val] = stratifiedSplit(labelled, validation, new Rng((seed ^ 0x5eed5) >>> 0), pool);
    return { train: Array.from(train), val: Array.from(val), test: Array.from(test) };
  });
  console.log(JSON.stringify({ classes, folds: runs }));
} else if (mode === 'texts') {
  const [rest, test] = stratifiedSplit(labelled, 0.2, new Rng(1));
  const sub = { ...labelled, count: rest.length, targets: Float32Array.from(rest, (i) => targets[i]) };
  const [train, val] = stratifiedSplit(sub, Number(arg), new Rng((seed ^ 0x5eed5) >>> 0));
  console.log(JSON.stringify({ classes, train: Array.from(train, (j) => rest[j]), val: Array.from(val, (j) => rest[j]), test: Array.from(test) }));
} else throw new Error('mode: texts or folds');
