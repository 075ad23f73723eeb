/**
 * Issue #60 item 2 for a text-generation model: a language model leaves with its tokenizer. The
 * tiny GPT (made tinier: one block 16 wide, a window of 16) trains on a few fortunes through the
 * protocol as the app trains it; then, for three prompts (a short one; one with a character the
 * model's ASCII vocabulary lacks and a CR LF; one longer than the window), the greedy continuation
 * of N tokens is the same from:
 *
 * - the app's Playground (`model.sampleText` at temperature 0, over the protocol);
 * - `netwright predict MODEL prompt.txt` on the JSON model file (which carries the tokenizer);
 * - the PyTorch project's generate.py on the raw prompts (tokenizer.json);
 * - the ONNX file in onnxruntime (onnxruntime-web), its prompts encoded by a decoder written here
 *   from the tokenizer in the file's own metadata (`netwright.tokenizer`, read by python-onnx),
 *   as its fields describe it (docs/export.md "Text models").
 *
 * The JSON model (and a stored run's export) carry the tokenizer; a model file whose context
 * tokenizer Netwright would not follow is refused. A continuation drawn at a temperature with a
 * seed is the same from the app, the CLI and generate.py too (Netwright's generator in Python). Every Python run is forked from one
 * interpreter that has imported torch (torchProcess).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import { readTokenizer, type Tokenizer } from '../../../src-engine/core/data';
import { modelFromJSON } from '../../../src-engine/core/export/json';
import { loadSamples } from '../../../src-engine/node/datasets';
import { main as predictCli } from '../../../src-engine/node/predict-cli';
import { RunStore } from '../../../src-engine/node/run-store';
import { HAS_TORCH, tempDir, torchProcess } from '../engine/export/torch-harness';
import { setupEngine } from './fixtures';
import { tinyGpt, writeFortunes } from './text-fixtures';

/** Three prompts: short; a character outside ASCII (left out) and a CR LF (read as LF); longer than the window of 16. */
const PROMPTS = ['He who', 'A café\r\nof a thous', 'The early bird gets the worm, but the se'];
/** Tokens each continuation adds. */
const N = 24;

/** The tinier tiny GPT (text-fixtures.ts) trained 3 epochs on `text` at a constant learning rate. */
function gpt(text: string): GraphIR {
  const g = tinyGpt(text);
  return { ...g, training: { ...g.training!, optimizer: { kind: 'adam', lr: 0.01 }, schedule: { kind: 'constant' }, batchSize: 8, epochs: 3 } };
}

function writeFiles(files: readonly { path: string; data: Uint8Array }[], dir: string): string {
  for (const f of files) {
    mkdirSync(dirname(join(dir, f.path)), { recursive: true });
    writeFileSync(join(dir, f.path), f.data);
  }
  return dir;
}

/**
 * The greedy continuation of `prompt` by the ONNX file in onnxruntime, the prompt read as the
 * tokenizer's fields say (written from them, not Netwright's encoder): CR LF and CR as LF, each
 * character its index in `vocabulary` (one it lacks left out: `unkId` null), the last `length`
 * ids from the window's start and `padId` after them; the next token is the likeliest at the last
 * filled position.
 */
async function onnxGreedy(session: ort.InferenceSession, t: Tokenizer, prompt: string, n: number): Promise<string> {
  const index = new Map(t.vocabulary.map((c, i) => [c, i]));
  const ids = Array.from(prompt.replace(/\r\n?/g, '\n')).flatMap((c) => (index.has(c) ? [index.get(c)!] : []));
  let text = ids.map((i) => t.vocabulary[i]).join('');
  for (let k = 0; k < n; k++) {
    const window = ids.slice(-t.length);
    const x = new Float32Array(t.length).fill(t.padId);
    x.set(window);
    const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x, [1, t.length]) });
    const logits = out[session.outputNames[0]].data as Float32Array;
    const v = t.vocabulary.length;
    const row = logits.subarray((Math.max(window.length, 1) - 1) * v, Math.max(window.length, 1) * v);
    let best = 0;
    for (let i = 1; i < v; i++) if (row[i] > row[best]) best = i;
    ids.push(best);
    text += t.vocabulary[best];
  }
  return text;
}

describe('a language model leaves with its tokenizer: the same greedy continuations everywhere', () => {
  it(`the app's Playground, netwright predict, generate.py and the ONNX file in onnxruntime continue ${PROMPTS.length} prompts by ${N} tokens alike`, async () => {
    const root = tempDir('gpt');
    const fortunes = writeFortunes(root);
    // The Python interpreter imports torch (~2 s of CPU) while the engine trains.
    const python = HAS_TORCH ? torchProcess(['-c', 'pass'], root) : undefined;
    const { client, waitFor, service } = setupEngine({ loadDataset: (config, seed) => loadSamples(config, seed), runs: new RunStore(join(root, 'runs')) });
    try {
      const start = await client.request('train.start', { graph: gpt(fortunes), probes: false });
      await waitFor('train.done', () => true, 60_000);
      const ask = (prompt: string, temperature = 0, seed = 1) => client.request('model.sampleText', { runId: start.runId, prompt, length: N, temperature, seed });
      const app = await Promise.all(PROMPTS.map(async (p) => (await ask(p)).text));
      const drawn = (await ask(PROMPTS[0], 0.8, 7)).text;
      const [json, onnx, pytorch] = await Promise.all(['json', 'onnx', 'pytorch'].map((format) => client.request('model.export', { source: { kind: 'current' }, format })));

      // The JSON model carries the tokenizer: the model's classes as its vocabulary, the window as its length.
      const model = modelFromJSON(new TextDecoder().decode(json.files[0].data));
      const tokenizer = readTokenizer(model.tokenizer);
      expect(tokenizer).toMatchObject({ tokens: 'chars', features: 'context', length: 16, padId: 0, unkId: null, newlines: 'lf', vocabulary: model.classNames });
      expect(tokenizer.vocabulary).toHaveLength(97);
      // A stored run's export (the Runs tab's) carries it too: its checkpoint's classes and window make it.
      const stored = await client.request('model.export', { source: { kind: 'run', id: start.storedRunId!, which: 'last' }, format: 'json' });
      expect(modelFromJSON(new TextDecoder().decode(stored.files[0].data)).tokenizer, 'a stored run\'s export').toEqual(tokenizer);
      expect(app.map((t) => t.length), 'each prompt as read (é and CR left out) and N characters').toEqual(PROMPTS.map((p) => p.replace('é', '').replace('\r', '').length + N));
      for (const change of [{ unkId: 1 }, { padId: 97 }, { vocabulary: ['a', 'a'] }]) {
        const file = JSON.parse(new TextDecoder().decode(json.files[0].data)) as { tokenizer: object };
        expect(() => modelFromJSON({ ...file, tokenizer: { ...file.tokenizer, ...change } }), JSON.stringify(change)).toThrow(expect.objectContaining({ code: 'E_MODEL_FORMAT' }));
      }

      // netwright predict: two prompts as .txt files (as they are), one as --text; greedy by default.
      const modelFile = writeFiles([{ path: 'gpt.netwright-model.json', data: json.files[0].data }], root) + '/gpt.netwright-model.json';
      const files = PROMPTS.slice(0, 2).map((p, i) => writeFiles([{ path: `prompt${i}.txt`, data: new TextEncoder().encode(p) }], root) + `/prompt${i}.txt`);
      const cli = async (...argv: string[]) => {
        let said = '';
        expect(await predictCli([modelFile, ...argv], (s) => (said += s), (s) => (said += s)), said).toBe(0);
        return said;
      };
      const lines = (await cli(...files, '--text', PROMPTS[2], '--length', String(N), '--json')).trim().split('\n').map((l) => JSON.parse(l) as { type: string; input: string; prompt: string; continuation: string });
      expect(lines.map((l) => l.prompt + l.continuation), 'netwright predict: the Playground\'s text').toEqual(app);
      expect(lines.map((l) => l.input)).toEqual([...files, '--text 1']);
      expect(await cli(files[0], '--length', String(N)), 'printed: the continuation').toBe(`${lines[0].continuation}\n`);
      const sampled = JSON.parse(await cli('--text', PROMPTS[0], '--length', String(N), '--temperature', '0.8', '--seed', '7', '--json')) as { prompt: string; continuation: string };
      expect(sampled.prompt + sampled.continuation, 'at a temperature, with a seed: the Playground\'s draw').toBe(drawn);
      expect(await cli('--help')).toMatch(/language model.*continues.*--length.*greedy.*--temperature.*--seed/s);
      const csv = join(root, 'continuations.csv');
      expect(await cli(files[1], '--length', String(N), '--out', csv)).toMatch(/wrote 1 continuation to/);
      // RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled (the prompt holds a line break).
      const field = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
      expect(readFileSync(csv, 'utf8'), '--out: input, prompt, continuation').toBe(`input,prompt,continuation\n${[files[1], lines[1].prompt, lines[1].continuation].map(field).join(',')}\n`);
      let refused = '';
      expect(await predictCli([modelFile, join(root, 'photo.png')], () => undefined, (s) => (refused += s)), 'an image for a language model').toBe(2);
      expect(refused).toMatch(/E_PREDICT_INPUT.*continues texts/);

      // The ONNX file: its metadata's tokenizer is the JSON model's; onnxruntime continues as the app.
      writeFileSync(join(root, 'model.onnx'), onnx.files[0].data);
      const session = await ort.InferenceSession.create(onnx.files[0].data);
      if (HAS_TORCH) {
        await python;
        const meta = await torchProcess(['-c', "import onnx; print({p.key: p.value for p in onnx.load('model.onnx').metadata_props}['netwright.tokenizer'])"], root);
        expect(meta.status, meta.stderr).toBe(0);
        expect(JSON.parse(meta.stdout), 'the ONNX metadata (python-onnx)').toEqual(tokenizer);
      }
      const fromOnnx = await Promise.all(PROMPTS.map((p) => onnxGreedy(session, tokenizer, p, N)));
      expect(fromOnnx, 'the ONNX file in onnxruntime with its tokenizer').toEqual(app);

      if (!HAS_TORCH) {
        console.info('python3 with torch is not installed: the PyTorch project\'s generate.py is not run');
        return;
      }
      const dir = writeFiles(pytorch.files, join(root, 'pytorch'));
      expect(pytorch.files.map((f) => f.path)).toEqual(expect.arrayContaining(['tokenizer.json', 'generate.py']));
      expect(JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8'))).toEqual(tokenizer);
      const py = await torchProcess(['generate.py', '--json', '--length', String(N), '--file', files[0], '--file', files[1], PROMPTS[2]], dir);
      expect(py.status, py.stderr).toBe(0);
      const answers = JSON.parse(py.stdout.trim().split('\n').pop()!) as { prompt: string; continuation: string }[];
      expect(answers.map((a) => a.prompt + a.continuation), 'generate.py on the raw prompts').toEqual(app);
      const hot = await torchProcess(['generate.py', '--length', String(N), '--temperature', '0.8', '--seed', '7', PROMPTS[0]], dir);
      expect(hot.status, hot.stderr).toBe(0);
      expect(hot.stdout, 'generate.py at a temperature, with a seed: the Playground\'s draw').toBe(`${drawn.slice(PROMPTS[0].length)}\n`);
    } finally {
      service.dispose();
    }
  }, 60_000);
});
