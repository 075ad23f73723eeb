/**
 * Issue #82 item 7: one decode for every path. A PNG with transparent pixels (dialog-warning.png)
 * gave 'status 95.4 %' in the Playground and 'apps 55.5 %, status 41.6 %' from `netwright
 * predict`: the Playground decoded through a browser canvas, whose premultiplied alpha zeroes a
 * fully transparent pixel's colour, where training, predict and Pillow's `convert('RGB')` keep
 * the stored R, G, B. The Playground now sends the file's bytes to the engine (`data.imageSample`).
 * Here one PNG whose transparent pixels hold bright colours goes through every path — the image
 * folder loader (training, Evaluate), `netwright predict`, the Playground's call, and the exported
 * train.py's `image_to_sample` under Pillow — and every path gives the same float32 sample.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import { initialModel } from '../../../src-engine/core/export/initial';
import { modelToJSON } from '../../../src-engine/core/export/json';
import { TRAIN_PY_TEXT } from '../../../src-engine/core/export/generated/train-py';
import { loadImageFolder } from '../../../src-engine/node/image-folder';
import { imageBytesSample } from '../../../src-engine/node/image-sample';
import { main as predictMain } from '../../../src-engine/node/predict-cli';
import { imageSample } from '../../../src-renderer/src/training/model-client';
import { setupEngine } from './fixtures';
import { HAS_PILLOW, PILLOW_PYTHON } from '../engine/data/photos';

const [W, H] = [9, 7];
/** Sampled at the image's size and at a smaller one (PIL's antialiased bilinear then mixes neighbours, transparent ones too). */
const SHAPES = [
  [3, H, W],
  [3, 4, 5],
  [1, 4, 5],
];

/** An RGBA PNG: a third of its pixels fully transparent yet bright (as an icon's transparent background often is), a third half transparent, the rest opaque. */
function transparentPng(): { png: Uint8Array; transparent: number } {
  const png = new PNG({ width: W, height: H, colorType: 6, inputHasAlpha: true });
  let transparent = 0;
  for (let i = 0; i < W * H; i++) {
    const alpha = i % 3 === 0 ? 0 : i % 3 === 1 ? 128 : 255;
    if (alpha === 0) transparent++;
    png.data.set([(37 * i + 200) % 256, (91 * i + 40) % 256, (53 * i + 90) % 256, alpha], i * 4);
  }
  return { png: new Uint8Array(PNG.sync.write(png, { colorType: 6 })), transparent };
}

/** What the browser's canvas made of it: premultiplied, so a fully transparent pixel's colour is lost (the Playground's old path). */
function canvasPixels(png: Uint8Array): Uint8Array {
  const { data } = PNG.sync.read(Buffer.from(png));
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i += 4) {
    const a = data[i + 3];
    for (let c = 0; c < 3; c++) out[i + c] = a === 0 ? 0 : Math.round(Math.round((data[i + c] * a) / 255) * (255 / a));
    out[i + 3] = a;
  }
  return out;
}

/** The exported train.py's own `image_to_sample` (taken out of it, not rewritten) on the file, under Pillow: the samples' float32 bytes, hex. */
function trainPySample(file: string, shape: number[]): string {
  const script = [
    'import ast, sys, numpy as np',
    'from PIL import Image',
    'src = sys.stdin.read()',
    "fn = next(n for n in ast.parse(src).body if isinstance(n, ast.FunctionDef) and n.name == 'image_to_sample')",
    "ns = {'np': np}",
    "exec(compile(ast.Module(body=[fn], type_ignores=[]), 'train.py', 'exec'), ns)",
    `print(ns['image_to_sample'](Image.open(sys.argv[1]), ${JSON.stringify(shape)}).tobytes().hex())`,
  ].join('\n');
  const r = spawnSync(PILLOW_PYTHON, ['-c', script, file], { input: TRAIN_PY_TEXT, encoding: 'utf8', timeout: 60_000 });
  expect(r.stderr).toBe('');
  return r.stdout.trim();
}

/** A sample's 8-bit pixel values (every path's values are 8-bit pixels / 255). */
const bytes = (a: Float32Array) => Array.from(a, (v) => Math.round(v * 255));
const hex = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');

describe('one decode for every path: a PNG whose transparent pixels hold colour (issue #82 item 7)', () => {
  const { png, transparent } = transparentPng();
  const root = mkdtempSync(path.join(tmpdir(), 'nw-transparent-'));
  for (const cls of ['apps', 'status']) mkdirSync(path.join(root, cls));
  const file = path.join(root, 'status', 'dialog-warning.png');
  writeFileSync(file, png);
  writeFileSync(path.join(root, 'apps', 'other.png'), png);

  it('the fixture is what the bug needs: transparent pixels whose colour a canvas would zero', () => {
    expect(transparent).toBeGreaterThan(10);
    const stored = PNG.sync.read(Buffer.from(png)).data;
    const canvas = canvasPixels(png);
    let lost = 0;
    for (let i = 0; i < stored.length; i += 4) if (stored[i + 3] === 0 && (stored[i] | stored[i + 1] | stored[i + 2]) !== 0 && canvas[i] + canvas[i + 1] + canvas[i + 2] === 0) lost++;
    expect(lost).toBe(transparent);
  });

  /** Training's (and Evaluate's) sample: the image folder loader's. */
  const trainingSample = (shape: number[]) => {
    const loaded = loadImageFolder(root, { shape });
    const size = shape.reduce((a, b) => a * b, 1);
    const train = loaded.train as { features: Float32Array; targets: Float32Array; classNames: string[] };
    const at = Array.from(train.targets).indexOf(train.classNames.indexOf('status'));
    return train.features.slice(at * size, (at + 1) * size);
  };

  it.each(SHAPES)('gives the same sample of [%i, %i, %i] by the loader, predict and the Playground, not the canvas\'s', async (...shape: number[]) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const training = trainingSample(shape);

    // The Playground: the file's bytes to the engine, as Playground.tsx sends them.
    const { client } = setupEngine({ decodeImage: imageBytesSample });
    const playground = await imageSample(client, new Blob([png as Uint8Array<ArrayBuffer>]), shape);

    // `netwright predict`: a model whose output is its input (Flatten), so it prints the sample it decoded.
    const graph: GraphIR = {
      format: 'netwright.graph',
      version: 1,
      name: 'identity',
      nodes: [
        { id: 'x', op: 'Input', attrs: { shape, source: 'features' }, inputs: [] },
        { id: 'flat', op: 'Flatten', attrs: {}, inputs: ['x'] },
      ],
      outputs: { y: 'flat' },
    };
    const modelFile = path.join(root, `identity-${shape.join('x')}.json`);
    writeFileSync(modelFile, JSON.stringify(modelToJSON(initialModel(graph))));
    const lines: string[] = [];
    expect(await predictMain([modelFile, file, '--json'], (s) => lines.push(s), (s) => lines.push(s))).toBe(0);
    const predicted = JSON.parse(lines.find((l) => l.includes('"prediction"'))!) as { values: number[] };
    const predict = Float32Array.from(predicted.values);

    expect(hex(playground)).toBe(hex(training));
    // predict prints its values rounded (JSON of the answer's numbers): the same 8-bit pixels, each within a rounding.
    expect(bytes(predict)).toEqual(bytes(training));
    for (let i = 0; i < size; i++) expect(Math.abs(predict[i] - training[i])).toBeLessThan(1e-6);
    // And the canvas's pixels would not have been: the old Playground path differed.
    const canvas = new Float32Array(size);
    const { imageToSample } = await import('../../../src-engine/core/data/image');
    imageToSample({ width: W, height: H, data: canvasPixels(png) }, shape, canvas);
    expect(hex(canvas)).not.toBe(hex(training));
  });

  it.skipIf(!HAS_PILLOW).each(SHAPES)('gives the same sample of [%i, %i, %i] in the exported train.py, under Pillow', (...shape: number[]) => {
    // convert('RGB') keeps a transparent pixel's colour, and so does Netwright.
    expect(trainPySample(file, shape)).toBe(hex(trainingSample(shape)));
  });

  it('a file that is not an image Netwright reads is refused with a code, not guessed at', async () => {
    const { client } = setupEngine({ decodeImage: imageBytesSample });
    await expect(imageSample(client, new Blob([new TextEncoder().encode('GIF89a not really')]), [3, 4, 5])).rejects.toMatchObject({ code: 'E_PREDICT_INPUT', message: expect.stringMatching(/PNG, JPEG and WebP/) });
  });
});
