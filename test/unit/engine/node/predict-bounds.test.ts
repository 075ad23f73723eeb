/**
 * Issue #81 M1, M2: predict's inputs are bounded before they are decoded or parsed, as training's
 * reads are. A 130 KB PNG declaring 1 × 67,000,000 pixels took 53 s and 2.8 GiB (its pixels are
 * within DATA_LIMITS.maxImagePixels, but decoding them is not within what training's decoding
 * budget allows); a 3.9 M-row CSV took 107 s and 3.8 GiB (every row parsed, every prediction held).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { initialModel } from '../../../../src-engine/core/export/initial';
import { modelToJSONText } from '../../../../src-engine/core/export/json';
import { main as predictCli, MAX_PREDICT_SAMPLES } from '../../../../src-engine/node/predict-cli';
import { IMAGE_DECODERS } from '../../../../src-engine/node/image-decoders';
import * as csv from '../../../../src-engine/core/data/csv';
import { npy } from '../data/user-data-fixtures';

// Every table predict parses goes through rectangularRows: the spy says whether one was (and how many rows it held).
vi.mock('../../../../src-engine/core/data/csv', async (original) => {
  const real = await original<typeof csv>();
  return { ...real, rectangularRows: vi.fn(real.rectangularRows) };
});

async function run(args: string[]) {
  let out = '';
  let err = '';
  const code = await predictCli(args, (s) => (out += s), (s) => (err += s));
  return { code, out, err };
}

/** A model (initial weights) of `features` Input shape and 3 classes, written as a model file. */
function modelFile(dir: string, name: string, shape: number[]): string {
  const file = join(dir, `${name}.json`);
  const graph = {
    format: 'netwright.graph',
    version: 1,
    nodes: [
      { id: 'x', op: 'Input', attrs: { shape, source: 'features' }, inputs: [] },
      { id: 'label', op: 'Input', attrs: { shape: [], source: 'target' }, inputs: [] },
      { id: 'flat', op: 'Flatten', attrs: {}, inputs: ['x'] },
      { id: 'fc', op: 'Linear', attrs: { outFeatures: 3 }, inputs: ['flat'] },
      { id: 'loss', op: 'CrossEntropyLoss', attrs: {}, inputs: ['fc', 'label'] },
    ],
    outputs: { logits: 'fc', loss: 'loss' },
    training: { dataset: { name: 'synthetic', options: {} }, loss: 'loss', optimizer: { kind: 'adam', lr: 0.01 }, batchSize: 4, epochs: 1, seed: 1 },
  };
  writeFileSync(file, modelToJSONText(initialModel(graph)));
  return file;
}

/** A PNG chunk: length, type, data, CRC of type and data. */
function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** An 8-bit grey PNG of `width` × `height` pixels, all black: what the report's file was (it deflates to ~130 KB). */
function blackPng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // grey
  const rows = Buffer.alloc(height * (1 + width)); // each row: filter 0, then its pixels
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rows, { level: 1 })), chunk('IEND', Buffer.alloc(0))]);
}

describe('predict: inputs bounded before they are decoded or parsed', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'nw-predict-bounds-'));
  });

  it('a PNG whose header declares 1 × 67,000,000 pixels is refused from its header (DATA_TOO_LARGE, naming the limit), never decoded; a small one is predicted', async () => {
    const model = modelFile(dir, 'image-model', [1, 8, 8]);
    const bomb = join(dir, 'tall.png');
    writeFileSync(bomb, blackPng(1, 67_000_000));
    const small = join(dir, 'small.png');
    writeFileSync(small, blackPng(8, 8));
    const decode = vi.spyOn(IMAGE_DECODERS, 'png');
    try {
      const ok = await run([model, small, '--json', '--threads', '1']);
      expect(ok.code, ok.err).toBe(0);
      expect(decode).toHaveBeenCalledTimes(1);
      decode.mockClear();
      const t0 = performance.now();
      const r = await run([model, bomb, '--threads', '1']);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/DATA_TOO_LARGE/);
      expect(r.err).toMatch(/1 × 67000000 PNG takes about 1022 MiB to decode, over the 512 MiB/);
      expect(decode).not.toHaveBeenCalled();
      expect(performance.now() - t0).toBeLessThan(2000);
    } finally {
      decode.mockRestore();
    }
  });

  it(`a table of more than ${MAX_PREDICT_SAMPLES.toLocaleString('en-US')} rows is refused (DATA_TOO_LARGE, naming the limit) from a count of its bytes, before a row is parsed; one at the limit's scale below is read`, async () => {
    const model = modelFile(dir, 'table-model', [2]);
    const rectangularRows = vi.mocked(csv.rectangularRows);
    const small = join(dir, 'small.csv');
    writeFileSync(small, 'a,b\n1,2\n"3",4\n\n5,6\n');
    const ok = await run([model, small, '--json', '--threads', '1']);
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out.trim().split('\n')).toHaveLength(3);
    expect(rectangularRows).toHaveBeenCalledTimes(1);
    rectangularRows.mockClear();

    // The header, then one row more than the limit (blank lines and a quoted line break not counted as rows).
    const big = join(dir, 'big.csv');
    writeFileSync(big, 'a,b\n"1\n",2\n\n' + '0,1\n'.repeat(MAX_PREDICT_SAMPLES));
    const r = await run([model, big, '--out', join(dir, 'preds.csv'), '--threads', '1']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/DATA_TOO_LARGE/);
    expect(r.err).toContain(`more than ${MAX_PREDICT_SAMPLES.toLocaleString('en-US')} rows`);
    expect(rectangularRows).not.toHaveBeenCalled();
  }, 10_000);

  it(`an array of more than ${MAX_PREDICT_SAMPLES.toLocaleString('en-US')} samples is refused from its shape (DATA_TOO_LARGE), none predicted`, async () => {
    const model = modelFile(dir, 'array-model', [2]);
    const big = join(dir, 'big.npy');
    writeFileSync(big, npy('|u1', [MAX_PREDICT_SAMPLES + 1, 2], new Array<number>(2 * (MAX_PREDICT_SAMPLES + 1)).fill(1)));
    const r = await run([model, big, '--threads', '1']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/DATA_TOO_LARGE/);
    expect(r.err).toContain(`more than ${MAX_PREDICT_SAMPLES.toLocaleString('en-US')} entries`);
    expect(r.out).toBe('');
  }, 10_000);
});
