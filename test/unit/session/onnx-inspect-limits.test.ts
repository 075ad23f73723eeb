/**
 * #81 L10: `model.inspect` answered what the protocol's own schema then refused (the page got
 * E_PROTOCOL_BAD_RESULT instead of the view): the importer reads a file whatever its producer,
 * opset list or IR version say, and the summary passed them on as the file has them, while the
 * schema holds a producer to 400 characters, 64 opset domains of 200, and versions to whole
 * numbers ≥ 0; an import's warnings (one per NaN weight) were not held to the schema's 1,000.
 * The producer (`onnxSummary`, `importWarningTexts`) now fits its answer to the one declaration
 * both read (`OnnxSummarySchema`, `IMPORT_TEXT_LIMITS`, base/schemas.ts). torchvision's resnet18,
 * as torch.onnx writes it, with what a file may say of itself changed, goes through the real
 * protocol.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IMPORT_TEXT_LIMITS, OnnxSummarySchema } from '../../../src-engine/base/schemas';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import { decodeModel, encodeModel, type OnnxModel } from '../../../src-engine/core/export/onnx/proto';
import { importOnnxAsync, onnxSummary } from '../../../src-engine/core/import/onnx';
import { torchvisionFixtures } from '../engine/export/onnx/torchvision-fixtures';
import { setupEngine } from './fixtures';

const resnet18 = () => new Uint8Array(readFileSync(join(torchvisionFixtures(), 'resnet18.onnx')));

/** Edits of what the file says of itself, none of which the importer refuses. */
const EDITS: Record<string, (m: OnnxModel) => void> = {
  'a producer name of 1,000 characters': (m) => void (m.producer_name = `pytorch ${'x'.repeat(992)}`),
  '100 opset domains': (m) => void m.opset_import!.push(...Array.from({ length: 100 }, (_, i) => ({ domain: `com.example.d${i}`, version: 1 }))),
  'a domain of 300 characters': (m) => void m.opset_import!.push({ domain: `com.${'d'.repeat(296)}`, version: 1 }),
  'IR version −3': (m) => void (m.ir_version = -3),
  'a domain at version 2⁶⁰': (m) => void m.opset_import!.push({ domain: 'com.example', version: 2 ** 60 }),
};

describe('model.inspect answers what its schema takes (#81 L10)', () => {
  it("torchvision's resnet18: the summary fits the schema as the file is, and with what it says of itself changed", async () => {
    const bytes = resnet18();
    const plain = onnxSummary(bytes, await importOnnxAsync(bytes));
    expect(OnnxSummarySchema.safeParse(plain).success).toBe(true);
    expect(plain).toMatchObject({ opset: 17, producer: expect.stringMatching(/^pytorch /), restored: false });
    const { client } = setupEngine();
    for (const [what, edit] of Object.entries(EDITS)) {
      const m = decodeModel(bytes);
      edit(m);
      const edited = encodeModel(m);
      const summary = onnxSummary(edited, await importOnnxAsync(edited));
      const checked = OnnxSummarySchema.safeParse(summary);
      expect(checked.success, `${what}: ${checked.error?.message}`).toBe(true);
      // Through the protocol, as the page asks: the view, not E_PROTOCOL_BAD_RESULT.
      const seen = await client.request('model.inspect', { format: 'onnx', data: edited });
      expect(seen.params, what).toBe(plain.params);
      expect(seen.shapes, what).toEqual(plain.shapes);
      expect(seen.opset, what).toBe(17);
    }
    const long = decodeModel(bytes);
    EDITS['a producer name of 1,000 characters'](long);
    const seen = await client.request('model.inspect', { format: 'onnx', data: encodeModel(long) });
    expect(seen.producer).toHaveLength(IMPORT_TEXT_LIMITS.producerChars);
    expect(seen.producer).toMatch(/^pytorch x+…$/);
    const many = decodeModel(bytes);
    EDITS['100 opset domains'](many);
    expect((await client.request('model.inspect', { format: 'onnx', data: encodeModel(many) })).opsets).toHaveLength(IMPORT_TEXT_LIMITS.opsets);
    const ir = decodeModel(bytes);
    EDITS['IR version −3'](ir);
    expect((await client.request('model.inspect', { format: 'onnx', data: encodeModel(ir) })).irVersion).toBe(0);
  }, 300_000);

  it('a file of 1,040 NaN weights: 1,000 warnings, the last saying how many more', async () => {
    // A chain of 520 small Linears, exported before training, every weight then set to NaN.
    const nodes: GraphIR['nodes'] = [{ id: 'x', op: 'Input', attrs: { shape: [2], source: 'features' }, inputs: [] }];
    for (let i = 0; i < 520; i++) nodes.push({ id: `fc${i}`, op: 'Linear', attrs: { outFeatures: 2 }, inputs: [i ? `fc${i - 1}` : 'x'] });
    const graph: GraphIR = { format: 'netwright.graph', version: 1, name: 'chain', nodes, outputs: { y: 'fc519' } };
    const { client } = setupEngine();
    const exported = await client.request('model.export', { source: { kind: 'initial', graph }, format: 'onnx' });
    const m = decodeModel(exported.files[0].data);
    for (const t of m.graph!.initializer!) {
      const n = t.raw_data?.length ? t.raw_data.length / 4 : (t.float_data?.length ?? 0);
      t.raw_data = new Uint8Array(new Float32Array(n).fill(Number.NaN).buffer);
      t.float_data = [];
    }
    const seen = await client.request('model.inspect', { format: 'onnx', data: encodeModel(m) });
    expect(seen.warnings).toHaveLength(IMPORT_TEXT_LIMITS.warnings);
    expect(seen.warnings[0]).toMatch(/^The weight "fc0\.weight" holds 4 NaN values \(of 4\)/);
    expect(seen.warnings.at(-1)).toBe('… and 41 more warnings.');
  }, 120_000);
});
