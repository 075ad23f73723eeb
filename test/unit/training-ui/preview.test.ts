import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import type { DatasetPreview } from '../../../src-engine/protocol';
import { previewContent } from '../../../src-renderer/src/training/preview';

const example = (name: string) => JSON.parse(readFileSync(path.resolve(__dirname, '../../../examples', `${name}.json`), 'utf8')) as GraphIR;

// What the engine answers for MNIST whatever the design does with it (it describes the data set).
const mnist: DatasetPreview = {
  name: 'mnist',
  task: 'classification',
  featureShape: [1, 28, 28],
  counts: { train: 54000, val: 6000, test: 10000 },
  classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  classBalance: [5330, 6070, 5360, 5510, 5250, 4880, 5330, 5640, 5270, 5360],
  samples: [{ features: [0, 0.5], target: 7 }],
};

describe('dataset preview content', () => {
  it('the denoising autoencoder template trains on reconstruction: no "classification", no class labels or balance', () => {
    const ae = example('mnist-denoise-ae');
    const c = previewContent(mnist, ae.training!.dataset);
    expect(c.task).toBe('reconstruction (autoencoder)');
    expect(c.task).not.toMatch(/classification/);
    expect(c.classLabels).toBe(false);
    expect(c.classBalance).toBe(false);
  });

  it('a classifier on the same data set shows the class task, labels and balance', () => {
    const mlp = example('mnist-mlp');
    expect(previewContent(mnist, mlp.training!.dataset)).toEqual({ task: 'classification', classLabels: true, classBalance: true });
  });

  it('a regression set has no classes to label or balance', () => {
    const reg: DatasetPreview = { ...mnist, task: 'regression', classNames: [], classBalance: [], samples: [{ features: [1], target: [0.5] }] };
    expect(previewContent(reg, { target: 'label' })).toEqual({ task: 'regression', classLabels: false, classBalance: false });
  });
});
