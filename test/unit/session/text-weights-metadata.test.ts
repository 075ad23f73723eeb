/**
 * A text model's tokenizer travels in the files' metadata (#81 L2, L3): the safetensors file's
 * `tokenizer` entry is read back by `netwright import --design`, so `netwright predict --text` on
 * the project reads typed text as the app did; a damaged one is refused with a coded error naming
 * it. An ONNX file's damaged `netwright.tokenizer` is left out with a warning the user sees
 * (`W_IMPORT_METADATA`), in the CLI's import and the app's.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import { decodeModel, encodeModel } from '../../../src-engine/core/export/onnx/proto';
import { importOnnx } from '../../../src-engine/core/import/onnx';
import { loadDataset, loadSamples } from '../../../src-engine/node/datasets';
import { main as importCli } from '../../../src-engine/node/import-cli';
import { main as predictCli } from '../../../src-engine/node/predict-cli';
import { tempDir } from '../engine/export/torch-harness';
import { setupEngine } from './fixtures';

const ROWS = [
  ['Rain and wind all day', 'weather'], ['Snow fell on the hills', 'weather'], ['The storm brought heavy rain', 'weather'], ['Clouds and drizzle again', 'weather'],
  ['Bread with butter and jam', 'food'], ['A bowl of soup with bread', 'food'], ['Pasta with tomato sauce', 'food'], ['Fresh fish with lemon', 'food'],
  ['The team won the match', 'sport'], ['A goal in the final minute', 'sport'], ['Our team lost the final', 'sport'], ['The keeper saved the goal', 'sport'],
];
const SENTENCES = ['Rain over the hills', 'soup and bread', 'the team and the goal'];

function textDesign(dir: string): GraphIR {
  const path = join(dir, 'topics.csv');
  writeFileSync(path, ['text,topic', ...ROWS.map(([t, c]) => `"${t}",${c}`)].join('\n') + '\n');
  const options = { path, textColumn: 'text', labelColumn: 'topic', tokens: 'words', features: 'counts', maxLength: 48, testSplit: 0.2 };
  const width = loadDataset({ name: 'text-csv', options }).train.featureShape[0];
  return {
    format: 'netwright.graph',
    version: 2,
    name: 'Topics',
    nodes: [
      { id: 'text', op: 'Input', attrs: { shape: [width], source: 'features' }, inputs: [] },
      { id: 'topic', op: 'Input', attrs: { shape: [], source: 'target' }, inputs: [] },
      { id: 'head', op: 'Linear', attrs: { outFeatures: 3 }, inputs: ['text'] },
      { id: 'loss', op: 'CrossEntropyLoss', attrs: {}, inputs: ['head', 'topic'] },
    ],
    outputs: { logits: 'head', loss: 'loss' },
    training: { dataset: { name: 'text-csv', options }, loss: 'loss', optimizer: { kind: 'adam', lr: 0.05 }, batchSize: 4, epochs: 3, seed: 1, metrics: ['accuracy'] },
  } as GraphIR;
}

/** A safetensors file with its `__metadata__` entry `key` replaced by `value` (the tensors' bytes as they were). */
function withSafetensorsMetadata(bytes: Uint8Array, key: string, value: string): Uint8Array {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as { __metadata__: Record<string, string> };
  header.__metadata__[key] = value;
  const text = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + text.length + bytes.length - 8 - n);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  out.set(bytes.subarray(8 + n), 8 + text.length);
  return out;
}

async function cli(run: typeof importCli, args: string[]): Promise<{ code: number; said: string }> {
  let said = '';
  const code = await run(args, (t) => (said += t), (t) => (said += t));
  return { code, said };
}

describe("a text model's tokenizer in its weights files", () => {
  it('safetensors → import --design → predict --text reads typed text as the app does; a damaged tokenizer is refused, naming it; a damaged ONNX tokenizer is a warning', async () => {
    const dir = tempDir('text-weights');
    const design = textDesign(dir);
    const { client, waitFor, service } = setupEngine({ loadDataset: (config, seed) => loadSamples(config, seed) });
    try {
      const start = await client.request('train.start', { graph: design, probes: false });
      await waitFor('train.done', () => true, 60_000);
      const app = await Promise.all(SENTENCES.map((text) => client.request('model.predict', { runId: start.runId, input: [], text })));
      const predicted = app.map((p) => (p.kind === 'probabilities' ? p.predicted : -1));

      // safetensors: the tokenizer is read back with the weights.
      const weights = (await client.request('model.export', { source: { kind: 'current' }, format: 'safetensors' })).files[0].data;
      const weightsFile = join(dir, 'topics.safetensors');
      writeFileSync(weightsFile, weights);
      const designFile = join(dir, 'design.json');
      writeFileSync(designFile, JSON.stringify(design));
      const project = join(dir, 'topics.netwright.json');
      const imported = await cli(importCli, [weightsFile, '--design', designFile, '--out', project]);
      expect(imported.code, imported.said).toBe(0);
      expect((JSON.parse(readFileSync(project, 'utf8')) as { model: { tokenizer?: { vocabulary: string[] } } }).model.tokenizer?.vocabulary.slice(0, 2), 'the project keeps the tokenizer').toEqual(['<pad>', '<unk>']);
      const predictedByCli = await cli(predictCli, [project, ...SENTENCES.flatMap((t) => ['--text', t]), '--json']);
      expect(predictedByCli.code, predictedByCli.said).toBe(0);
      const lines = predictedByCli.said.trim().split('\n').map((l) => JSON.parse(l) as { type: string; predicted?: number });
      expect(lines.filter((l) => l.type === 'prediction').map((l) => l.predicted)).toEqual(predicted);

      // A damaged tokenizer entry: refused with E_WEIGHTS_FILE naming it, nothing written.
      const { tokenizer } = (JSON.parse(readFileSync(project, 'utf8')) as { model: { tokenizer: Record<string, unknown> } }).model;
      for (const [value, why] of [['{"format":', 'not valid JSON'], [JSON.stringify({ ...tokenizer, vocabulary: ['only one'] }), '"vocabulary" is a list of at least 2 tokens']] as const) {
        writeFileSync(weightsFile, withSafetensorsMetadata(weights, 'tokenizer', value));
        const refused = await cli(importCli, [weightsFile, '--design', designFile, '--out', join(dir, 'damaged.netwright.json')]);
        expect(refused.code).toBe(2);
        expect(refused.said).toContain('E_WEIGHTS_FILE');
        expect(refused.said).toContain('"tokenizer" metadata');
        expect(refused.said).toContain(why);
      }

      // ONNX: a damaged netwright.tokenizer is left out with a warning, in the importer, the CLI and the app.
      const onnx = decodeModel((await client.request('model.export', { source: { kind: 'current' }, format: 'onnx' })).files[0].data);
      expect(importOnnx(encodeModel(onnx)).model.tokenizer).toEqual(tokenizer);
      const entry = onnx.metadata_props!.find((p) => p.key === 'netwright.tokenizer')!;
      entry.value = JSON.stringify({ ...tokenizer, tokens: 'syllables' });
      const damaged = encodeModel(onnx);
      const read = importOnnx(damaged);
      expect(read.model.tokenizer).toBeUndefined();
      const warning = read.warnings.find((w) => w.code === 'W_IMPORT_METADATA');
      expect(warning?.message).toMatch(/tokenizer \(metadata "netwright\.tokenizer"\) is damaged.*"tokens" is chars or words.*not typed text/);
      const onnxFile = join(dir, 'damaged.onnx');
      writeFileSync(onnxFile, damaged);
      const byCli = await cli(importCli, [onnxFile, '--out', join(dir, 'from-onnx.netwright.json')]);
      expect(byCli.code, byCli.said).toBe(0);
      expect(byCli.said).toContain('warning W_IMPORT_METADATA');
      const byApp = await client.request('model.read', { format: 'onnx', data: damaged });
      expect(byApp.warnings).toContain(warning!.message);
    } finally {
      service.dispose();
    }
  }, 60_000);
});
