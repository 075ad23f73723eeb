import { describe, expect, it } from 'vitest';
import { describeDiff, diffGraphs, sameArchitecture } from '../../../src-engine/base/ir/diff';
import { mnistMlp, node } from './graphs';

describe('architecture diff', () => {
  it('names added, removed and changed nodes with each attribute old → new', () => {
    const a = mnistMlp(128);
    const b = mnistMlp(256);
    b.nodes.splice(4, 0, node('drop', 'Dropout', ['act1'], { p: 0.2 }));
    b.nodes = b.nodes.map((n) => (n.id === 'fc2' ? { ...n, inputs: ['drop'] } : n)).filter((n) => n.id !== 'flat');
    b.nodes = b.nodes.map((n) => (n.id === 'fc1' ? { ...n, inputs: ['image'] } : n));
    const d = diffGraphs(a, b);
    expect(d.added.map((n) => n.id)).toEqual(['drop']);
    expect(d.removed.map((n) => n.id)).toEqual(['flat']);
    expect(d.changed).toEqual([
      { id: 'fc1', op: 'Linear', changes: [{ field: 'inputs', before: ['flat'], after: ['image'] }, { field: 'outFeatures', before: 128, after: 256 }] },
      { id: 'fc2', op: 'Linear', changes: [{ field: 'inputs', before: ['act1'], after: ['drop'] }] },
    ]);
    expect(describeDiff(d, 2)).toBe('+ drop (Dropout) · − flat (Flatten) · and 3 more');
    expect(sameArchitecture(a, b)).toBe(false);
  });

  it('an attribute set on one side only, an op swap and a moved output are changes; layout and training are not', () => {
    const a = mnistMlp();
    const b = { ...mnistMlp(), training: { ...a.training!, batchSize: 7 } };
    expect(sameArchitecture(a, b)).toBe(true);
    b.nodes = b.nodes.map((n) => (n.id === 'act1' ? { ...n, op: 'GELU', attrs: { approximate: 'tanh' } } : n));
    b.outputs = { logits: 'act1', loss: 'loss' };
    const d = diffGraphs(a, b);
    expect(d.changed).toEqual([{ id: 'act1', op: 'GELU', changes: [{ field: 'op', before: 'ReLU', after: 'GELU' }, { field: 'approximate', after: 'tanh' }] }]);
    expect(d.outputs).toEqual([{ name: 'logits', before: 'fc2', after: 'act1' }]);
    expect(describeDiff(d)).toBe('act1: op ReLU → GELU · act1: approximate (default) → tanh · output logits: fc2 → act1');
  });

  it('freezing a layer (fine-tuning) is a change: it changes what a run learns', () => {
    const a = mnistMlp();
    const b = { ...a, nodes: a.nodes.map((n) => (n.id === 'fc1' ? { ...n, frozen: true } : n)) };
    const d = diffGraphs(a, b);
    expect(d.changed).toEqual([{ id: 'fc1', op: 'Linear', changes: [{ field: 'frozen', before: false, after: true }] }]);
    expect(describeDiff(d)).toBe('fc1: frozen false → true');
  });

  it('ids named like Object.prototype members are plain ids', () => {
    const a = { nodes: [node('__proto__', 'Input', [], { shape: [2] }), node('toString', 'ReLU', ['__proto__'])], outputs: {} };
    const b = { nodes: [node('constructor', 'Input', [], { shape: [2] })], outputs: {} };
    const d = diffGraphs(a, b);
    expect(d.added.map((n) => n.id)).toEqual(['constructor']);
    expect(d.removed.map((n) => n.id)).toEqual(['__proto__', 'toString']);
  });
});
