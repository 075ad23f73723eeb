/**
 * Accuracy of an exported ONNX classifier on a dataset's test split, run by onnxruntime (onnxruntime-web) (not
 * by Netwright): `npx tsx test/e2e/onnx-accuracy.ts model.onnx [dataset]` prints
 * `{"accuracy": 0.9871, "correct": 9871, "count": 10000}`. The test samples are read with the
 * engine's loader (the same files, order and 0–1 scaling the app trains and tests on); the file
 * itself applies the normalisation (its leading nodes), as it does for any other user.
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-web';
import { loadDataset } from '../../src-engine/node/datasets';

const [file, dataset = 'mnist'] = process.argv.slice(2);
if (!file) {
  console.error('usage: npx tsx test/e2e/onnx-accuracy.ts model.onnx [dataset]');
  process.exit(2);
}
const session = await ort.InferenceSession.create(readFileSync(file));
const test = loadDataset({ name: dataset }).test;
if (!test) {
  console.error(`${dataset} has no test split`);
  process.exit(2);
}
const per = test.featureShape.reduce((a, b) => a * b, 1);
const batch = 500;
let correct = 0;
for (let at = 0; at < test.count; at += batch) {
  const n = Math.min(batch, test.count - at);
  const x = new ort.Tensor('float32', test.features.slice(at * per, (at + n) * per), [n, ...test.featureShape]);
  const out = await session.run({ [session.inputNames[0]]: x });
  const y = out[session.outputNames[0]].data as Float32Array;
  const classes = y.length / n;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (y[i * classes + c] > y[i * classes + best]) best = c;
    if (best === test.targets[at + i]) correct++;
  }
}
console.log(JSON.stringify({ accuracy: correct / test.count, correct, count: test.count }));
