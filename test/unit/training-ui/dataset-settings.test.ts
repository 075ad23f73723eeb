import { describe, expect, it } from 'vitest';
import { CORRUPTIONS, patchDataset, scaleHint, transformFor } from '../../../src-renderer/src/training/dataset-settings';
import { DatasetConfigSchema } from '../../../src-engine/base/schemas';

describe('dataset panel settings', () => {
  it('every corruption the panel offers makes a transform the protocol accepts', () => {
    for (const c of CORRUPTIONS) {
      const t = transformFor(c.kind);
      expect(DatasetConfigSchema.safeParse({ name: 'mnist', ...(t ? { transform: t } : {}) }).success, c.kind).toBe(true);
      expect(t?.kind ?? 'none').toBe(c.kind);
    }
  });

  it('switching corruption keeps a fraction as a fraction and resets amounts that mean something else', () => {
    expect(transformFor('salt-pepper', { kind: 'mask', fraction: 0.3 })).toEqual({ kind: 'salt-pepper', fraction: 0.3 });
    expect(transformFor('gaussian-noise', { kind: 'mask', fraction: 0.3 })).toEqual({ kind: 'gaussian-noise', std: 0.3, clip: true });
    expect(transformFor('block-mask', { kind: 'block-mask', size: 7, count: 3 })).toEqual({ kind: 'block-mask', size: 7, count: 3 });
    expect(transformFor('none', { kind: 'mask', fraction: 0.3 })).toBeUndefined();
  });

  it('patching removes keys set to undefined, so "all samples" leaves no limit in the design', () => {
    expect(patchDataset({ name: 'mnist', limit: 64, validationSplit: 0.1 }, { limit: undefined })).toEqual({ name: 'mnist', validationSplit: 0.1 });
    expect(scaleHint('raw')).toMatch(/0–255/);
  });
});
