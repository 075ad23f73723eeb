/**
 * What `netwright quantize` says of a model its int8 path does not cover (#85): every layer the
 * prediction is computed from is looked at (every path, not only each layer's first input), each
 * counted once, grouped by what keeps it out — an op without an int8 form (by op, with a count and
 * the first names), a layer joining inputs, a layer whose output branches — so the message of a
 * real network stays readable. The U-Net template is refused for its two ConvTranspose2d, its two
 * Concat skips and the two layers they branch from; 40 HardSwish layers in a row are one clause.
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
  it('the U-Net template: its ConvTranspose2d and Concat layers, its joins and its branches, each layer named once per reason', () => {
    const graph = JSON.parse(readFileSync(join(EXAMPLES, 'shapes-segmentation.json'), 'utf8')) as GraphIR;
    const e = refusal(graph);
    expect(e.code).toBe('E_QUANTIZE_UNSUPPORTED');
    expect(e.message).toContain('2 ConvTranspose2d layers ("up2", "up1")');
    expect(e.message).toContain('2 Concat layers ("skip2", "skip1")');
    expect(e.message).toContain('2 layers join two or more inputs ("skip2", "skip1")');
    // The encoder's outputs feed both the next level and a skip: found though they are no first input.
    expect(e.message).toContain('2 layers whose output two or more layers read ("enc1_relu", "enc2_relu")');
    // Covered layers are not named; no layer is named twice for one reason.
    expect(e.message).not.toMatch(/"enc1"|"dec1_bn"|"pool1"/);
    expect(count(e.message, '"up1"')).toBe(1);
  });

  it('40 HardSwish layers in a row are one clause: their count and the first three names', () => {
    const nodes: NodeIR[] = [{ id: 'x', op: 'Input', attrs: { shape: [8], source: 'features' }, inputs: [] }];
    for (let i = 0; i < 40; i++) nodes.push({ id: `act${i}`, op: 'HardSwish', attrs: {}, inputs: [nodes.at(-1)!.id] });
    nodes.push({ id: 'fc', op: 'Linear', attrs: { outFeatures: 2 }, inputs: ['act39'] });
    nodes.push({ id: 'label', op: 'Input', attrs: { shape: [], source: 'target' }, inputs: [] });
    nodes.push({ id: 'loss', op: 'CrossEntropyLoss', attrs: {}, inputs: ['fc', 'label'] });
    const e = refusal({ format: 'netwright.graph', version: 1, nodes, outputs: { logits: 'fc', loss: 'loss' } } as GraphIR);
    expect(e.message).toContain('40 HardSwish layers ("act0", "act1", "act2", and 37 more) without an int8 form');
    expect(e.message).not.toContain('act3"');
    // The previous message gave one clause per layer (40 × ~110 characters).
    expect(e.message.length).toBeLessThan(300);
  });
});
