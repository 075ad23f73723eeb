/**
 * Issue #32 item 3: exports took the network's name field ("Untitled"), so a second export of
 * another "Untitled" design replaced the first. They are named by project and run now.
 */
import { describe, expect, it } from 'vitest';
import { chartFileName, currentExportSource, designExportSource, exportFileName } from '../../../src-renderer/src/training/export';
import { createWindowStores } from '../../../src-renderer/src/state/window-stores';
import { mlpDoc } from '../editor/fixtures';

const onnx = { name: '.onnx' };
const pytorch = { name: '-pytorch' };

describe('exportFileName', () => {
  it('names an export by the saved project and the stored run', () => {
    expect(exportFileName(onnx, { path: '/home/a/thesis net.netwright.json', name: 'thesis net.netwright.json' }, 'Untitled.onnx', '20261124-101500-ab12')).toBe('thesis net run 20261124-101500-ab12.onnx');
    expect(exportFileName(pytorch, { path: 'cnn.json', name: 'cnn.json' }, 'Untitled-pytorch')).toBe('cnn-pytorch');
  });

  it('an unsaved design goes by the network’s name, and two runs of it by their ids', () => {
    const a = exportFileName(onnx, { name: 'Untitled' }, 'MNIST CNN.onnx', '20261124-101500-ab12');
    const b = exportFileName(onnx, { name: 'Untitled' }, 'MNIST CNN.onnx', '20261124-103000-cd34');
    expect(a).toBe('MNIST CNN run 20261124-101500-ab12.onnx');
    expect(b).not.toBe(a);
  });

  it('keeps a name a plain file name', () => {
    expect(exportFileName(onnx, { path: 'x', name: 'a/b:c.netwright.json' }, 'm.onnx')).toBe('a-b-c.onnx');
    expect(exportFileName(onnx, { path: 'x', name: '   .json' }, 'm.onnx')).toBe('model.onnx');
  });
});

describe('chartFileName (#32: chart exports were all "training-loss.png")', () => {
  it('names a chart by the runs it shows and the chart', () => {
    expect(chartFileName(['MNIST MLP'], 'training loss')).toBe('MNIST MLP · training loss');
    expect(chartFileName(['MNIST MLP', 'MNIST MLP'], 'validation accuracy')).toBe('MNIST MLP (2 runs) · validation accuracy');
  });

  it('runs of one lesson or sweep go by what their names share, cut at a whole word', () => {
    expect(chartFileName(['BatchNorm rescues a deep net that is stuck — deep sigmoid', 'BatchNorm rescues a deep net that is stuck — + BatchNorm'], 'test accuracy')).toBe('BatchNorm rescues a deep net that is stuck (2 runs) · test accuracy');
    expect(chartFileName(['sweep lr 0.001', 'sweep lr 0.01', 'sweep lr 0.1'], 'learning rate')).toBe('sweep lr (3 runs) · learning rate');
    expect(chartFileName(['adam', 'adagrad'], 'training loss')).toBe('adam and 1 more · training loss');
  });

  it('keeps the name a plain file name', () => {
    expect(chartFileName(['a/b: c'], 'loss')).toBe('a-b- c · loss');
    expect(chartFileName([], 'loss')).toBe('run · loss');
  });
});

describe('a design exported before training (#60)', () => {
  it('is named untrained, saved or not', () => {
    expect(exportFileName(onnx, { path: '/home/a/my-mlp.netwright.json', name: 'my-mlp' }, 'my-mlp (untrained).onnx', undefined, true)).toBe('my-mlp (untrained).onnx');
    expect(exportFileName(onnx, { name: 'Iris MLP (4-16-3)' }, 'Iris MLP (4-16-3) (untrained).onnx', undefined, true)).toBe('Iris MLP (4-16-3) (untrained).onnx');
  });

  it('is what Export exports when nothing trained is on screen and the design compiles; nothing for an empty one', () => {
    const w = createWindowStores();
    expect(designExportSource(w)).toBeUndefined();
    w.editor.getState().load(mlpDoc(), { name: 'mlp' });
    w.editor.getState().analyzeNow();
    expect(currentExportSource(w)).toBeUndefined();
    expect(designExportSource(w)).toMatchObject({ kind: 'initial', graph: { nodes: expect.arrayContaining([expect.objectContaining({ id: 'fc1' })]) } });
  });
});
