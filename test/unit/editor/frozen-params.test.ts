import { describe, expect, it } from 'vitest';
import { analyzeDesign } from '../../../src-renderer/src/editor/analysis';
import { mlpDoc } from './fixtures';

/**
 * Issue #82's journey: after Freeze on an imported resnet18 with a new 5-class head, the status bar
 * said "11.2M params" with the tooltip "11,178,117 trainable parameters" while 2,565 train. The
 * analysis now counts the frozen nodes' parameters apart, for the status bar to say both.
 */
describe('frozen parameters in the live analysis', () => {
  it('counts the parameters of frozen nodes apart from the trained ones', () => {
    const doc = mlpDoc();
    expect(analyzeDesign(doc.graph).frozenParams).toBe(0);
    const graph = { ...doc.graph, nodes: doc.graph.nodes.map((n) => (n.id === 'fc1' ? { ...n, frozen: true } : n)) };
    const a = analyzeDesign(graph);
    expect(a.params).toBe(784 * 128 + 128 + 128 * 10 + 10);
    expect(a.frozenParams).toBe(784 * 128 + 128);
    expect(a.params - a.frozenParams).toBe(a.nodeParams.fc2);
  });
});
