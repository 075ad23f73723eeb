/**
 * The web demo export refuses a model too large for a page (#85 deliverable 4's limit): the page
 * loads every weight into the browser tab, so past `WEB_DEMO_MAX_WEIGHT_BYTES` the export says so
 * by code, naming the model's size and the limit, before the model's text is made or the host's
 * page script is asked for.
 */
import { describe, expect, it } from 'vitest';
import { ERRORS } from '../../../../src-engine/base/errors';
import type { GraphIR } from '../../../../src-engine/base/ir/types';
import { ExportError } from '../../../../src-engine/core/export/bundle';
import { exportFormat } from '../../../../src-engine/core/export/formats';
import type { TrainedModel } from '../../../../src-engine/core/export/model';
import { WEB_DEMO_MAX_WEIGHT_BYTES, webDemoWeightBytes } from '../../../../src-engine/core/export/web-demo';

/** An MLP `inputs → outFeatures` (one Linear: weight and bias), its weights all zero. */
function linearModel(inputs: number, outFeatures: number): TrainedModel {
  const graph: GraphIR = {
    format: 'netwright.graph',
    version: 1,
    name: 'wide',
    nodes: [
      { id: 'x', op: 'Input', attrs: { shape: [inputs], source: 'features' }, inputs: [] },
      { id: 'fc', op: 'Linear', attrs: { outFeatures }, inputs: ['x'] },
    ],
    outputs: { y: 'fc' },
  } as GraphIR;
  return { graph, params: { 'fc.weight': new Float32Array(inputs * outFeatures), 'fc.bias': new Float32Array(outFeatures) }, buffers: {} };
}

/** What the web format answers for `model` with no page script: the thrown error. */
function refusal(model: TrainedModel): ExportError {
  try {
    exportFormat('web')!.export(model, {});
  } catch (e) {
    return e as ExportError;
  }
  throw new Error('the export was not refused');
}

describe('web demo export: the size limit', () => {
  it('a model whose weights pass 128 MiB is refused up front with E_EXPORT_TOO_LARGE, naming its size and the limit', () => {
    // 1024 × 32768 weights are exactly the limit (33,554,432 values); the 32,768 biases pass it.
    const model = linearModel(1024, 32768);
    expect(webDemoWeightBytes(model)).toBe(4 * (1024 * 32768 + 32768));
    const e = refusal(model);
    // Refused for its size, before the missing page script (E_EXPORT_UNSUPPORTED) is looked at.
    expect(e).toBeInstanceOf(ExportError);
    expect(e.code).toBe('E_EXPORT_TOO_LARGE');
    expect(e.message).toContain('128.1 MiB');
    expect(e.message).toContain('33,587,200');
    expect(e.message).toContain(`at most ${(WEB_DEMO_MAX_WEIGHT_BYTES / 2 ** 20).toFixed(1)} MiB`);
    expect(e.message).toContain('33,554,432 values');
    expect(ERRORS[e.code].docs).toBe('export.md#web-page');
  });

  it('buffers count with the parameters: the limit is exact to the value', () => {
    // 1024 × 32736 weights and 32736 biases: 1025 × 32736 = 33,554,400 values, 32 under the limit.
    const model = linearModel(1024, 32736);
    expect(WEB_DEMO_MAX_WEIGHT_BYTES / 4 - webDemoWeightBytes(model) / 4).toBe(32);
    // A BatchNorm's running statistics are loaded by the page as the weights are.
    model.buffers['bn.running_mean'] = new Float32Array(32);
    expect(webDemoWeightBytes(model)).toBe(WEB_DEMO_MAX_WEIGHT_BYTES);
    // At the limit: refused only for the missing page script, not for its size.
    expect(refusal(model).code).toBe('E_EXPORT_UNSUPPORTED');
    model.buffers['bn.running_mean'] = new Float32Array(33);
    expect(refusal(model).code).toBe('E_EXPORT_TOO_LARGE');
  });

  it('a small model is written', () => {
    const small = exportFormat('web')!.export(linearModel(4, 3), { pageRuntime: '/* runtime */' });
    expect(small.files.map((f) => f.path).sort()).toEqual(['README.md', 'index.html', 'model.js', 'netwright-demo.js']);
  });
});
