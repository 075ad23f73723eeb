/**
 * model.py stays a readable file whatever the input's size (#82): the input standardisation is
 * written as figures only when they are few — one mean and std per channel for an image's
 * per-channel normalisation, the two of a global one — and otherwise as tensors in normalization.pt,
 * never as a literal per pixel (a resnet18 fine-tune's model.py was 37,800 lines of them). Under
 * PyTorch, normalize() gives exactly what the per-feature literals gave.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../../src-engine/base/ir/types';
import type { Normalization } from '../../../../src-engine/core/data/normalize';
import { eightBitValues, exportPytorch, NORMALIZATION_LITERAL_FIGURES } from '../../../../src-engine/core/export/pytorch';
import { Rng } from '../../../../src-engine/base/rng';
import { graph, node } from '../graphs';
import { HAS_TORCH, exportTo, initialModel, tempDir, torchProcess } from './torch-harness';

/** A small image classifier on [3, size, size]: what model.py holds besides the normalisation does not grow with the input. */
function imageModel(size: number, normalization: Normalization) {
  const g: GraphIR = graph([node('image', 'Input', [], { shape: [3, size, size] }), node('pool', 'GlobalAvgPool', ['image']), node('flat', 'Flatten', ['pool']), node('fc', 'Linear', ['flat'], { outFeatures: 2 })], { logits: 'fc' });
  return { ...initialModel(g), normalization };
}

/** An image's per-channel normalisation as Netwright stores it: each channel's figures repeated over its pixels. */
function perChannel(size: number): Normalization {
  const plane = size * size;
  const spread = (v: number[]) => v.flatMap((x) => Array<number>(plane).fill(x));
  return { kind: 'per-feature', mean: spread([0.485, 0.456, 0.406]), std: spread([0.229, 0.224, 0.225]) };
}

/** One mean and std per pixel, none repeating. */
function perPixel(size: number, seed = 5): Normalization {
  const rng = new Rng(seed);
  const n = 3 * size * size;
  return { kind: 'per-feature', mean: Array.from({ length: n }, () => rng.normal()), std: Array.from({ length: n }, () => 0.5 + rng.uniform()) };
}

function projectFiles(model: ReturnType<typeof imageModel>) {
  return new Map(exportPytorch(model).files.map((f) => [f.path, f.data]));
}
const lines = (b: Uint8Array | undefined) => new TextDecoder().decode(b).split('\n').length;

describe("model.py's size does not grow with the input's", () => {
  it('a per-channel normalisation is its 3 + 3 figures at 8×8 and at 224×224; a per-pixel one is normalization.pt beside a model.py of the same length', () => {
    const small = projectFiles(imageModel(8, perChannel(8)));
    const large = projectFiles(imageModel(224, perChannel(224)));
    expect(lines(large.get('model.py'))).toBe(lines(small.get('model.py')));
    expect(new TextDecoder().decode(large.get('model.py'))).toContain("NORMALIZATION = {'kind': 'per-channel', 'mean': [0.485, 0.456, 0.406], 'std': [0.229, 0.224, 0.225]}");
    expect(large.has('normalization.pt')).toBe(false);

    const pixels = projectFiles(imageModel(224, perPixel(224)));
    expect(lines(pixels.get('model.py'))).toBe(lines(small.get('model.py')));
    expect(new TextDecoder().decode(pixels.get('model.py'))).toContain("NORMALIZATION = {'kind': 'per-feature', 'file': 'normalization.pt'}");
    // The figures as float32 tensors: 2 × 150,528 × 4 bytes and the archive's few hundred.
    const file = pixels.get('normalization.pt')!;
    expect(file.length).toBeGreaterThanOrEqual(2 * 3 * 224 * 224 * 4);
    expect(file.length).toBeLessThan(2 * 3 * 224 * 224 * 4 + 4096);
    expect(pixels.get('model.py')!.length).toBeLessThan(8192);
    expect(new TextDecoder().decode(pixels.get('README.md'))).toContain('`normalization.pt`');
  });

  it(`a normalisation of at most ${NORMALIZATION_LITERAL_FIGURES} figures stays readable in model.py`, () => {
    const few = perPixel(4);
    const py = new TextDecoder().decode(projectFiles(imageModel(4, few)).get('model.py'));
    expect(py).toContain("NORMALIZATION = {\n    'kind': 'per-feature',");
    expect(projectFiles(imageModel(4, few)).has('normalization.pt')).toBe(false);
    expect(new TextDecoder().decode(projectFiles(imageModel(4, { kind: 'global', mean: [0.13], std: [0.31] })).get('model.py'))).toContain("NORMALIZATION = {'kind': 'global', 'mean': [0.13], 'std': [0.31]}");
  });
});

describe('bundled samples as 8-bit values', () => {
  it('every k / 255 as float32 is k; any other value (between two, NaN, −0, past 1) keeps the samples float32', () => {
    const all = Float32Array.from({ length: 256 }, (_, k) => k / 255);
    expect(Array.from(eightBitValues(all)!)).toEqual(Array.from({ length: 256 }, (_, k) => k));
    for (const v of [0.5 / 255, 100.5 / 255, NaN, -0, Math.fround(1 + 2 ** -23), -1 / 255, 256 / 255]) expect(eightBitValues(Float32Array.of(0, 1, v)), String(v)).toBeUndefined();
  });
});

describe.skipIf(!HAS_TORCH)('normalize() under PyTorch', () => {
  it('gives, bit for bit, what the per-feature literals gave: per-channel, per-pixel (normalization.pt), few per-feature and global', async () => {
    const cases: [string, Normalization, number][] = [
      ['per-channel', perChannel(16), 16],
      ['per-pixel', perPixel(16), 16],
      ['few per-feature', perPixel(4), 4],
      ['global', { kind: 'global', mean: [0.13], std: [0.31] }, 8],
    ];
    const dirs = cases.map(([, norm, size]) => {
      const dir = exportTo(imageModel(size, norm));
      writeFileSync(join(dir, 'expected-normalization.json'), JSON.stringify({ ...norm, shape: [3, size, size] }));
      return dir;
    });
    // The old model.py's normalize(), from the full figures: torch.tensor(figures, dtype=x.dtype) reshaped to a sample.
    const script = `import json, os, runpy, sys, torch
out = []
for d in sys.argv[1:]:
    norm = json.load(open(os.path.join(d, 'expected-normalization.json')))
    x = torch.randn(5, *norm['shape'], generator=torch.Generator().manual_seed(3))
    mean, std = torch.tensor(norm['mean'], dtype=x.dtype), torch.tensor(norm['std'], dtype=x.dtype)
    shape = (1,) + tuple(x.shape[1:])
    old = (x - mean.reshape(shape)) / std.reshape(shape) if norm['kind'] == 'per-feature' else (x - mean[0]) / std[0]
    new = runpy.run_path(os.path.join(d, 'model.py'))['normalize'](x)
    out.append([bool(torch.equal(old, new)), float((old - new).abs().max())])
print(json.dumps(out))`;
    const r = await torchProcess(['-c', script, ...dirs], tempDir('norm'));
    expect(r.stderr).toBe('');
    const got = JSON.parse(r.stdout) as [boolean, number][];
    cases.forEach(([what], i) => expect(got[i], what).toEqual([true, 0]));
    expect(readFileSync(join(dirs[1], 'normalization.pt')).length).toBeGreaterThan(0);
  });
});
