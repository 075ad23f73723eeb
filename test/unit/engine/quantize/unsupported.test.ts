/**
 * What `netwright quantize` says of a model its int8 path does not cover (#85): every layer the
 * prediction is computed from is looked at (every path, not only each layer's first input), each
 * counted once, grouped by op (with a count and the first names), so the message of a real network
 * stays readable. Joins and branches are no longer refused (the int8 path runs a graph: graph.test.ts);
 * a U-Net whose decoder upsamples by Upsample (no int8 rule) is refused for those two layers only;
 * 40 Tanh layers in a row are one clause.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GraphIR, NodeIR } from '../../../../src-engine/base/ir/types';
import type { QuantizeError } from '../../../../src-engine/core/quantize/errors';
import { quantizationPlan } from '../../../../src-engine/core/quantize/plan';

const EXAMPLES = join(import.meta.dirname, '..', '..', '..', '..', 'examples');

/** The refusal of `graph` (weights are not read before the layers are checked). */
function refusal(graph: GraphIR): QuantizeError {
  try {
    quantizationPlan({ graph, params: {}, buffers: {} });
  } catch (e) {
    return e as QuantizeError;
  }
  throw new Error('not refused');
}

/** How many times `s` occurs in `text`. */
const count = (text: string, s: string): number => text.split(s).length - 1;

describe('quantize: a model the int8 path does not cover', () => {
  it('a U-Net upsampling by Upsample: its two Upsample layers named once each, its covered layers, joins and branches not', () => {
    const unet = JSON.parse(readFileSync(join(EXAMPLES, 'shapes-segmentation.json'), 'utf8')) as GraphIR;
    const graph = { ...unet, nodes: unet.nodes.map((n) => (n.op === 'ConvTranspose2d' ? { ...n, op: 'Upsample', attrs: { scaleFactor: 2 } } : n)) };
    const e = refusal(graph);
    expect(e.code).toBe('E_QUANTIZE_UNSUPPORTED');
    expect(e.message).toContain('2 Upsample layers ("up2", "up1") without an int8 form');
    // Covered layers (the Concat skips, the encoder outputs they branch from) are not named.
    expect(e.message).not.toMatch(/"enc1"|"dec1_bn"|"pool1"|"skip1"|"enc1_relu"/);
    expect(count(e.message, '"up1"')).toBe(1);
  });

  it('40 Tanh layers in a row are one clause: their count and the first three names', () => {
    const nodes: NodeIR[] = [{ id: 'x', op: 'Input', attrs: { shape: [8], source: 'features' }, inputs: [] }];
    for (let i = 0; i < 40; i++) nodes.push({ id: `act${i}`, op: 'Tanh', attrs: {}, inputs: [nodes.at(-1)!.id] });
    nodes.push({ id: 'fc', op: 'Linear', attrs: { outFeatures: 2 }, inputs: ['act39'] });
    nodes.push({ id: 'label', op: 'Input', attrs: { shape: [], source: 'target' }, inputs: [] });
    nodes.push({ id: 'loss', op: 'CrossEntropyLoss', attrs: {}, inputs: ['fc', 'label'] });
    const e = refusal({ format: 'netwright.graph', version: 1, nodes, outputs: { logits: 'fc', loss: 'loss' } } as GraphIR);
    expect(e.message).toContain('40 Tanh layers ("act0", "act1", "act2", and 37 more) without an int8 form');
    expect(e.message).not.toContain('act3"');
    // The previous message gave one clause per layer (40 × ~110 characters).
    expect(e.message.length).toBeLessThan(300);
  });
});
