import { describe, expect, it } from 'vitest';
import { listTransforms } from '../../../../src-engine/catalog/transforms/registry';
import { checkTransform } from '../../../../src-engine/core/data/transforms';
import { TRAIN_PY_TEXT as TRAIN_PY } from '../../../../src-engine/core/export/generated/train-py';
import { DatasetConfigSchema } from '../../../../src-engine/base/schemas';
import type { TransformConfig } from '../../../../src-engine/catalog/transforms/registry';
import { DATASETS, getDataset } from '../../../../src-engine/catalog/datasets/registry';
import { codeLoader } from '../../../../src-engine/core/data/registry';
import { BUILTIN_DATASETS, loadBuiltinDataset } from '../../../../src-engine/core/data/builtin';
import { normalizationKind } from '../../../../src-engine/core/data/prepare';

const defaults = (kind: string): TransformConfig => {
  const def = listTransforms().find((t) => t.kind === kind)!;
  return { kind, ...Object.fromEntries(Object.entries(def.params).map(([n, p]) => [n, p.default])) } as TransformConfig;
};
const accepted = (transform: unknown) => DatasetConfigSchema.safeParse({ name: 'mnist', transform }).success;

/** Each input transform is declared once (catalog/transforms/): the protocol, the data layer and the exporter read that declaration. */
describe('declared input transforms', () => {
  it.each(listTransforms().map((t) => [t.kind]))('%s: its defaults are accepted by the protocol and the data layer alike', (kind) => {
    const t = defaults(kind);
    expect(accepted(t)).toBe(true);
    expect(() => checkTransform(t, [1, 28, 28])).not.toThrow();
  });

  it.each(listTransforms().flatMap((t) => Object.entries(t.params).flatMap(([name, p]) => (p.kind === 'bool' ? [] : [[t.kind, name, p.min, p.max] as const]))))(
    '%s.%s: a value outside its declared range is refused by the protocol and the data layer alike',
    (kind, name, min, max) => {
      for (const bad of [min !== undefined ? min - 1 : undefined, max !== undefined ? max + 1 : undefined, Number.NaN].filter((v) => v !== undefined)) {
        const t = { ...defaults(kind), [name]: bad };
        expect(accepted(t), `${kind}.${name} = ${bad}`).toBe(false);
        expect(() => checkTransform(t as TransformConfig, [1, 28, 28])).toThrow(new RegExp(`${kind} transform: ${name} must be`));
      }
    },
  );

  it('a kind nothing declares is refused by both, with the known kinds named', () => {
    expect(accepted({ kind: 'cutout', size: 3 })).toBe(false);
    expect(() => checkTransform({ kind: 'cutout' } as unknown as TransformConfig)).toThrow(/Unknown input transform "cutout" \(known: none, gaussian-noise/);
  });

  it('train.py has a branch for every declared kind with PyTorch text, and only the exporter fills it', () => {
    expect(TRAIN_PY).toContain('__TRANSFORMS__');
    expect(TRAIN_PY).not.toMatch(/t\['kind'\] == '/);
    expect(listTransforms().filter((t) => !t.identity && !t.torch)).toEqual([]);
  });
});

/** Each dataset is declared once (catalog/datasets/): its loader is keyed by its name; its default scale is read from the declaration. */
describe('declared datasets', () => {
  it('the sets that need no files are exactly those not declared `files`, and each loads through its loader in code', () => {
    const inCode = DATASETS.filter((d) => !d.files).map((d) => d.name);
    expect(inCode.length).toBeGreaterThan(10);
    expect([...BUILTIN_DATASETS].sort()).toEqual([...inCode].sort());
    for (const d of DATASETS) {
      // A series is split in time with a window's gap before validation and test (#83): 40 windows
      // of 20 leave none to train on, so a series gets enough for the gaps.
      const loaded = loadBuiltinDataset({ name: d.name, options: { samples: d.timeSeries ? 200 : 40 } }, 3);
      expect(loaded === undefined, d.name).toBe(d.files === true);
      if (loaded) expect(loaded.train.count, d.name).toBeGreaterThan(0);
    }
    expect(getDataset('__proto__')).toBeUndefined();
    expect(codeLoader('__proto__')).toBeUndefined();
    expect(codeLoader('toString')).toBeUndefined();
  });

  it('the scale a set gets when the design names none is its entry\'s declared default', () => {
    for (const d of DATASETS) expect(normalizationKind({ name: d.name }), d.name).toBe(d.options.normalize?.default ?? 'none');
    expect(normalizationKind({ name: 'nothing-declares-this' })).toBe('none');
  });
});
