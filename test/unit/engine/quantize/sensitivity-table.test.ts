/**
 * `netwright quantize`'s per-layer sensitivity table (#85 deliverable 2): an imported model's layer
 * ids (torch.onnx's module paths, 23 to 46 characters on mobilenet_v3_small) keep the figures in one
 * column. Names were padded to 20, so each longer one pushed its figures right by its own excess.
 */
import { describe, expect, it } from 'vitest';
import { printSensitivity } from '../../../../src-engine/node/quantize-cli';

describe('the per-layer sensitivity table', () => {
  it("keeps the figures in one column past 20-character layer ids, the kept layer's line too", () => {
    let text = '';
    const layers = [
      { layer: 'features_features_0_features_0_0', metric: 0.9, change: 0 },
      { layer: 'features_features_1_block_block_1_fc1', metric: 0.895, change: -0.005 },
      { layer: 'features_features_11_block_block_3_block_3_0', metric: 0.9, change: 0 },
      { layer: 'classifier_classifier_3', metric: 0.91, change: 0.01 },
      { layer: 'fc', metric: 0.9, change: 0 },
    ];
    const kept = [{ layer: 'features_features_4_block_block_0_block_0_0', metric: 0.89, change: -0.01 }];
    printSensitivity((s) => (text += s), 200, 'accuracy', layers, kept);
    const rows = text.split('\n').slice(1, -1);
    expect(rows).toHaveLength(6);
    // Where each row's metric ends ("90.00%"): the same column on every row.
    const ends = rows.map((r) => r.indexOf('%') + 1);
    expect(new Set(ends).size).toBe(1);
    expect(rows.map((r) => r.trim().split(/\s+/).slice(0, 2))).toEqual([...layers, ...kept].map((l) => [l.layer, `${(100 * l.metric).toFixed(2)}%`]));
    expect(rows[5]).toContain('(-1.00 points; kept in float32 by --keep-float-worst)');
  });
});
