/** analyzeGraph: every diagnostic code it promises, shape inference, and a fuzz test that it never throws. */
import { checkedOrThrow } from '../../../src-engine/core/analysis/checked';
import { describe, expect, it } from 'vitest';
import { analyzeGraph, type GraphAnalysis } from '../../../src-engine/core/analysis/validate';
import { MIGRATIONS, migrateGraph, type MigrationStep } from '../../../src-engine/base/ir/migrate';
import { GRAPH_VERSION, type GraphIR } from '../../../src-engine/base/ir/types';
import { Rng } from '../../../src-engine/base/rng';
import { graph, mnistMlp, node, smallCnn } from './graphs';

function codes(a: GraphAnalysis): string[] {
  return a.diagnostics.map((d) => d.code);
}

function errorCodes(a: GraphAnalysis): string[] {
  return a.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code);
}

describe('analyzeGraph: valid graphs', () => {
  it('MNIST MLP: shapes, parameter count and FLOPs', () => {
    const a = analyzeGraph(mnistMlp(), { batchSize: 32 });
    expect(a.diagnostics).toEqual([]);
    expect(a.graph).toBeDefined();
    expect(a.shapes.image).toEqual([32, 1, 28, 28]);
    expect(a.shapes.flat).toEqual([32, 784]);
    expect(a.shapes.fc2).toEqual([32, 10]);
    expect(a.shapes.loss).toEqual([]);
    expect(a.params).toBe(784 * 128 + 128 + 128 * 10 + 10);
    expect(a.flopsPerSample).toBeGreaterThanOrEqual(2 * (784 * 128 + 128 * 10));
    expect(a.order!.indexOf('fc1')).toBeLessThan(a.order!.indexOf('fc2'));
  });

  it('without a batch size the batch dim is -1; attrs get defaults and pairs are expanded', () => {
    const a = analyzeGraph(smallCnn());
    expect(errorCodes(a)).toEqual([]);
    expect(a.shapes.c1).toEqual([-1, 4, 8, 8]);
    expect(a.shapes.gap).toEqual([-1, 6]);
    const c1 = a.graph!.nodes.find((n) => n.id === 'c1')!;
    expect(c1.attrs.kernelSize).toEqual([3, 3]);
    expect(c1.attrs.stride).toEqual([1, 1]);
    expect(c1.attrs.groups).toBe(1);
  });
});

describe('analyzeGraph: diagnostics', () => {
  const mlp = mnistMlp();
  const withNodes = (mutate: (n: ReturnType<typeof mnistMlp>['nodes']) => void): unknown => {
    const g = structuredClone(mlp);
    mutate(g.nodes);
    return g;
  };

  it.each([
    ['not an object', 42, 'E_NOT_OBJECT'],
    ['an array', [], 'E_NOT_OBJECT'],
    ['wrong format', { format: 'onnx', version: 1, nodes: [] }, 'E_FORMAT'],
    ['bad version', { format: 'netwright.graph', version: '1', nodes: [] }, 'E_VERSION'],
    ['newer version', { format: 'netwright.graph', version: 99, nodes: [] }, 'E_VERSION_NEWER'],
    ['version 0 with no migration step', { format: 'netwright.graph', version: 0, nodes: [] }, 'E_MIGRATION'],
    ['nodes not a list', { format: 'netwright.graph', version: 1, nodes: {} }, 'E_NODES'],
    ['no nodes', { format: 'netwright.graph', version: 1, nodes: [], outputs: {} }, 'E_EMPTY'],
  ])('%s → %s', (_label, json, code) => {
    const a = analyzeGraph(json);
    expect(errorCodes(a)).toContain(code);
    expect(a.graph).toBeUndefined();
  });

  it('bad node entries, duplicates, unknown ops (with a suggestion)', () => {
    const a = analyzeGraph(
      withNodes((n) => {
        n.push(null as never, { id: 7 } as never, { id: 'x', op: 'Linear', inputs: 'flat' } as never, { id: 'y', op: 'Linear', attrs: [] } as never);
        n.push(node('fc1', 'Linear', ['flat']));
        n.push(node('weird', 'linear', ['flat']));
      }),
    );
    expect(codes(a).filter((c) => c === 'E_NODE_INVALID')).toHaveLength(4);
    expect(a.diagnostics.find((d) => d.code === 'E_DUPLICATE_ID')?.nodeId).toBe('fc1');
    const unknown = a.diagnostics.find((d) => d.code === 'E_UNKNOWN_OP')!;
    expect(unknown.nodeId).toBe('weird');
    expect(unknown.message).toContain('did you mean "Linear"');
  });

  it('missing and extra inputs, dangling references', () => {
    const a = analyzeGraph(
      withNodes((n) => {
        n.find((x) => x.id === 'fc1')!.inputs = [];
        n.find((x) => x.id === 'act1')!.inputs = ['fc1', 'flat'];
        n.find((x) => x.id === 'fc2')!.inputs = ['nope'];
      }),
    );
    expect(a.diagnostics).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 'E_MISSING_INPUT', nodeId: 'fc1' }),
        expect.objectContaining({ code: 'E_EXTRA_INPUT', nodeId: 'act1' }),
        expect.objectContaining({ code: 'E_DANGLING_INPUT', nodeId: 'fc2' }),
      ]),
    );
  });

  it('a cycle names the nodes on it, in order', () => {
    const a = analyzeGraph(
      withNodes((n) => {
        n.find((x) => x.id === 'fc1')!.inputs = ['fc2'];
      }),
    );
    const d = a.diagnostics.find((x) => x.code === 'E_CYCLE')!;
    expect(d).toBeDefined();
    expect(d.message).toContain('"fc1" → "act1" → "fc2" → "fc1"');
  });

  it('every cycle the loss depends on is an E_CYCLE error, even behind a self-loop that feeds nothing (#44)', () => {
    // A graph fuzzer's document: fc1 reads itself and feeds nothing; fc2 and act1 feed each other
    // and the loss reads fc2. Only fc1's loop was named (a warning, being unused), and training
    // then failed with "this graph has 0" inputs.
    const g = mnistMlp(8);
    g.training = { dataset: { name: 'mnist' }, loss: 'loss', optimizer: { kind: 'sgd', lr: 0.1 }, batchSize: 4, epochs: 1, seed: 1 } as GraphIR['training'];
    g.nodes.find((n) => n.id === 'fc1')!.inputs = ['fc1'];
    g.nodes.find((n) => n.id === 'act1')!.inputs = ['fc2'];
    g.nodes.find((n) => n.id === 'fc2')!.inputs = ['act1'];
    const a = analyzeGraph(g, { batchSize: 4 });
    expect(a.graph).toBeUndefined();
    const cycles = a.diagnostics.filter((d) => d.code === 'E_CYCLE');
    expect(cycles).toEqual([
      expect.objectContaining({ severity: 'warning', nodeId: 'fc1', message: expect.stringMatching(/"fc1" → "fc1".*left out of training/) }),
      expect.objectContaining({ severity: 'error', nodeId: 'act1', message: expect.stringContaining('"act1" → "fc2" → "act1"') }),
    ]);
    expect(() => checkedOrThrow(g)).toThrow(/E_CYCLE/);
  });

  it('attr type and range errors', () => {
    const a = analyzeGraph(
      withNodes((n) => {
        n.find((x) => x.id === 'fc1')!.attrs = { outFeatures: 0, bias: 'yes' };
        n.find((x) => x.id === 'fc2')!.attrs = { outFeatures: 2.5, color: 'red' };
      }),
    );
    expect(a.diagnostics).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 'E_ATTR_RANGE', nodeId: 'fc1' }),
        expect.objectContaining({ code: 'E_ATTR_TYPE', nodeId: 'fc1' }),
        expect.objectContaining({ code: 'E_ATTR_TYPE', nodeId: 'fc2' }),
        expect.objectContaining({ code: 'W_UNKNOWN_ATTR', nodeId: 'fc2', severity: 'warning' }),
      ]),
    );
  });

  it('shape mismatch names the node and both shapes, without cascading', () => {
    const g = graph(
      [
        node('a', 'Input', [], { shape: [3] }),
        node('b', 'Input', [], { shape: [4] }),
        node('sum', 'Add', ['a', 'b']),
        node('fc', 'Linear', ['sum'], { outFeatures: 2 }),
      ],
      { out: 'fc' },
    );
    const a = analyzeGraph(g);
    expect(a.diagnostics).toEqual([expect.objectContaining({ code: 'E_SHAPE_MISMATCH', nodeId: 'sum' })]);
    expect(a.diagnostics[0].message).toMatch(/N×3.*N×4/);
  });

  it('Linear straight after an image input suggests a Flatten', () => {
    const g = graph([node('image', 'Input', [], { shape: [1, 28, 28] }), node('fc', 'Linear', ['image'])], { out: 'fc' });
    const d = analyzeGraph(g).diagnostics[0];
    expect(d).toMatchObject({ code: 'E_RANK', nodeId: 'fc' });
    expect(d.message).toContain('Flatten');
  });

  it('outputs referencing unknown nodes', () => {
    const g = mnistMlp();
    g.outputs.probs = 'softmax';
    expect(errorCodes(analyzeGraph(g))).toEqual(['E_OUTPUT_UNKNOWN']);
  });

  it('training without a loss, or naming a node that is not a loss', () => {
    const g = mnistMlp();
    delete (g.training as { loss?: unknown }).loss;
    const a = analyzeGraph(g);
    expect(errorCodes(a)).toEqual(['E_NO_LOSS']);
    expect(a.diagnostics[0].message).toContain('"loss"');
    const h = mnistMlp();
    h.training!.loss = 'fc2';
    expect(errorCodes(analyzeGraph(h))).toEqual(['E_NOT_A_LOSS']);
    const k = mnistMlp();
    k.training!.loss = 'missing';
    expect(errorCodes(analyzeGraph(k))).toEqual(['E_NO_LOSS']);
  });

  it('a loss listed twice is an error (it would count twice in the loss, once in the gradient)', () => {
    const g = mnistMlp();
    g.training = { ...g.training!, loss: ['loss', 'loss'] };
    const a = analyzeGraph(g);
    expect(errorCodes(a)).toEqual(['E_DUPLICATE_LOSS']);
    expect(a.diagnostics[0]).toMatchObject({ nodeId: 'loss', message: expect.stringContaining('twice') });
  });

  it('warns about nodes that feed nothing', () => {
    const g = mnistMlp();
    g.nodes.push(node('dead', 'Linear', ['flat'], { outFeatures: 3 }));
    const a = analyzeGraph(g);
    expect(a.graph).toBeDefined();
    expect(a.diagnostics).toEqual([expect.objectContaining({ code: 'W_UNUSED_NODE', nodeId: 'dead', severity: 'warning' })]);
  });

  it('a stray node off the path to the loss (no input, or fed by another stray) is a warning and left out: training is not refused', async () => {
    const { compileGraph } = await import('../../../src-engine/core/autodiff/executor');
    const { createReferenceBackend } = await import('../../../src-engine/core/backend/reference');
    const { checkedGraph } = await import('../../../src-engine/app/handlers/context');
    const g = mnistMlp(8);
    g.training = { dataset: { name: 'mnist' }, loss: 'loss', optimizer: { kind: 'sgd', lr: 0.1 }, batchSize: 4, epochs: 1, seed: 1 } as GraphIR['training'];
    // Dropped from the palette and never connected, and a ReLU hung under it; and a valid head that feeds nothing.
    g.nodes.push(node('stray', 'Linear', [], { outFeatures: 5 }), node('strayAct', 'ReLU', ['stray']), node('probs', 'Softmax', ['fc2']));
    const a = analyzeGraph(g, { batchSize: 4 });
    expect(errorCodes(a)).toEqual([]);
    expect(a.diagnostics).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 'E_MISSING_INPUT', severity: 'warning', nodeId: 'stray', message: expect.stringContaining('left out of training') }),
        expect.objectContaining({ code: 'W_UNUSED_NODE', severity: 'warning', nodeId: 'strayAct', message: expect.stringContaining('left out') }),
        expect.objectContaining({ code: 'W_UNUSED_NODE', severity: 'warning', nodeId: 'probs', message: expect.not.stringContaining('left out') }),
      ]),
    );
    // Only what cannot be computed is left out: the head stays (an export keeps it), as before.
    expect(a.graph!.nodes.map((n) => n.id)).toEqual(['image', 'label', 'flat', 'fc1', 'act1', 'fc2', 'loss', 'probs']);
    expect(a.order).not.toContain('stray');
    // What Start sends through: the engine's check accepts it, and the design compiles without the stray nodes.
    const checked = checkedGraph(g);
    expect(checked.ir.nodes.some((n) => n.id.startsWith('stray'))).toBe(false);
    expect(a.shapes.probs).toEqual([4, 10]);
    expect(() => compileGraph(checked, { backend: createReferenceBackend(), batchSize: 4, seed: 1 })).not.toThrow();
    // A node on the path still refuses: fc1 without its input.
    const broken = mnistMlp(8);
    broken.nodes.find((n) => n.id === 'fc1')!.inputs = [];
    expect(errorCodes(analyzeGraph(broken))).toContain('E_MISSING_INPUT');
  });

  it('a layer fed a loss\'s single number (no batch dim) is refused on that layer, not left to fail when compiled', async () => {
    const { compileGraph } = await import('../../../src-engine/core/autodiff/executor');
    const { createReferenceBackend } = await import('../../../src-engine/core/backend/reference');
    for (const [op, attrs] of [['Reshape', {}], ['Reshape', { shape: [-1] }], ['Noise', { shape: [32] }]] as const) {
      const g = graph(
        [node('x', 'Input', [], { shape: [32] }), node('t', 'Input', [], { shape: [32], source: 'target' }), node('loss', 'MSELoss', ['x', 't']), node('after', op, ['loss'], attrs)],
        { out: 'after' },
      );
      const a = analyzeGraph(g, { batchSize: 4 });
      expect(a.diagnostics, op).toEqual([expect.objectContaining({ code: 'E_RANK', severity: 'error', nodeId: 'after', message: expect.stringContaining('reads "loss", a single number') })]);
      // What used to happen: validation passed and compiling threw an uncoded "data has 0 elements, shape [,32]".
      expect(() => compileGraph(checkedOrThrow(g), { backend: createReferenceBackend(), batchSize: 4, seed: 1 })).toThrow(expect.objectContaining({ code: 'E_GRAPH_INVALID' }));
    }
  });

  it('huge sizes are an error, not an allocation', () => {
    const g = graph([node('x', 'Input', [], { shape: [100000, 100000] }), node('f', 'Flatten', ['x'])], { out: 'f' });
    expect(errorCodes(analyzeGraph(g))).toContain('E_TOO_LARGE');
    const h = graph([node('x', 'Input', [], { shape: [100000] }), node('f', 'Linear', ['x'], { outFeatures: 1 << 20 })], { out: 'f' });
    expect(errorCodes(analyzeGraph(h))).toContain('E_TOO_LARGE');
  });

  it('warns once when every layer with weights is frozen (training would change nothing), not while one still learns', () => {
    const frozen = (ids: string[]) => {
      const g = mnistMlp();
      return { ...g, nodes: g.nodes.map((n) => (ids.includes(n.id) ? { ...n, frozen: true } : n)) };
    };
    expect(codes(analyzeGraph(frozen(['fc1'])))).not.toContain('W_ALL_FROZEN');
    const all = analyzeGraph(frozen(['fc1', 'fc2']));
    expect(all.graph).toBeDefined();
    expect(all.diagnostics.filter((d) => d.code === 'W_ALL_FROZEN')).toEqual([expect.objectContaining({ severity: 'warning', message: expect.stringMatching(/^Every layer with weights is frozen \(2 of them\)/) })]);
    // A design without training settings trains nothing anyway: no warning.
    expect(codes(analyzeGraph({ ...frozen(['fc1', 'fc2']), training: undefined }))).not.toContain('W_ALL_FROZEN');
  });

  it('prototype keys do not pollute and reserved ids are refused', () => {
    const text = '{"format":"netwright.graph","version":1,"outputs":{"__proto__":"x"},"nodes":[{"id":"__proto__","op":"Input","attrs":{"__proto__":{"polluted":1}},"inputs":[]},{"id":"x","op":"Input","attrs":{"constructor":1,"shape":[2]}}]}';
    const a = analyzeGraph(JSON.parse(text));
    expect(codes(a)).toEqual(expect.arrayContaining(['E_NODE_INVALID', 'E_OUTPUTS', 'W_UNKNOWN_ATTR']));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // Not replaced by the file's `__proto__` value (shapes are keyed by node ids: no prototype at all).
    expect(Object.getPrototypeOf(a.shapes)).toBeNull();
  });
});

describe('analyzeGraph: fuzz (never throws; problems come back as diagnostics)', () => {
  const rng = new Rng(2024);
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)];
  const atoms: unknown[] = [
    null, true, false, 0, -1, 1, 2.5, 1e308, -1e308, 2 ** 53, Number.MAX_SAFE_INTEGER, '', 'x', '__proto__', 'constructor',
    'Linear', 'Input', 'Conv2d', 'Add', 'Concat', 'BatchNorm', 'CrossEntropyLoss', [], {}, [1e9, 1e9], [-1], [0], [3, 3],
  ];
  const keys = ['id', 'op', 'attrs', 'inputs', 'shape', 'outFeatures', 'kernelSize', 'axis', '__proto__', 'constructor', 'format', 'version', 'nodes', 'outputs', 'training', 'loss'];

  function randomJson(depth: number): unknown {
    const r = rng.uniform();
    if (depth <= 0 || r < 0.4) return pick(atoms);
    if (r < 0.7) return Array.from({ length: rng.int(5) }, () => randomJson(depth - 1));
    const o: Record<string, unknown> = {};
    for (let i = rng.int(5); i > 0; i--) Object.defineProperty(o, pick(keys), { value: randomJson(depth - 1), enumerable: true, configurable: true, writable: true });
    return o;
  }

  /** Replace one random sub-value of a valid graph with random JSON. */
  function mutate(value: unknown): unknown {
    if (rng.uniform() < 0.2 || value === null || typeof value !== 'object') return randomJson(3);
    if (Array.isArray(value)) {
      const copy = [...value];
      if (copy.length && rng.uniform() < 0.8) copy[rng.int(copy.length)] = mutate(copy[rng.int(copy.length)]);
      else copy.push(randomJson(2));
      if (rng.uniform() < 0.1) copy.splice(rng.int(copy.length + 1), 1);
      return copy;
    }
    const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    const ks = Object.keys(copy);
    if (ks.length && rng.uniform() < 0.7) {
      const k = pick(ks);
      if (rng.uniform() < 0.15) delete copy[k];
      else copy[k] = mutate(copy[k]);
    } else copy[pick(keys)] = randomJson(2);
    return copy;
  }

  function assertDiagnosed(json: unknown): void {
    let a: GraphAnalysis | undefined;
    expect(() => {
      a = analyzeGraph(json, { batchSize: 2 });
    }).not.toThrow();
    expect(Array.isArray(a!.diagnostics)).toBe(true);
    for (const d of a!.diagnostics) {
      expect(typeof d.code).toBe('string');
      expect(typeof d.message).toBe('string');
      expect(d.code, d.message).not.toBe('E_INTERNAL');
    }
    // Either a graph, or at least one error explaining why not.
    expect(a!.graph !== undefined || a!.diagnostics.some((d) => d.severity === 'error')).toBe(true);
  }

  it('random JSON values', () => {
    for (let i = 0; i < 400; i++) assertDiagnosed(randomJson(5));
  });

  it('mutations of valid graphs', () => {
    const bases = [mnistMlp(), smallCnn()];
    for (let i = 0; i < 600; i++) {
      let g: unknown = pick(bases);
      for (let m = 1 + rng.int(3); m > 0; m--) g = mutate(g);
      assertDiagnosed(g);
    }
  });

  it('deep nesting, long chains and huge numbers', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 5000; i++) deep = { nodes: [deep] };
    assertDiagnosed(deep);
    const g = mnistMlp() as unknown as { training: { dataset: { options: unknown } } };
    g.training.dataset.options = deep;
    assertDiagnosed(g);
    // A 3000-node chain (iterative graph algorithms, no recursion limit).
    const nodes = [node('n0', 'Input', [], { shape: [4] })];
    for (let i = 1; i < 3000; i++) nodes.push(node(`n${i}`, 'ReLU', [`n${i - 1}`]));
    const chain = analyzeGraph(graph(nodes, { out: 'n2999' }));
    expect(chain.diagnostics).toEqual([]);
    nodes[0] = node('n0', 'ReLU', ['n2999']);
    expect(codes(analyzeGraph(graph(nodes, { out: 'n2999' })))).toContain('E_CYCLE');
    assertDiagnosed({ format: 'netwright.graph', version: 1e308, nodes: [] });
    assertDiagnosed({ format: 'netwright.graph', version: 1, nodes: [{ id: 'x', op: 'Input', attrs: { shape: [1e308] } }] });
    assertDiagnosed({ format: 'netwright.graph', version: 1, nodes: [{ id: 'x', op: 'Input', attrs: { shape: [2 ** 31, 2 ** 31] } }] });
  });
});

describe('migrateGraph', () => {
  it('is a no-op for the current version', () => {
    const g = { ...mnistMlp(), version: GRAPH_VERSION };
    const r = migrateGraph(g);
    expect(r.json).toBe(g);
    expect(r.applied).toEqual([]);
  });

  it('v1 → v2 (training.groups) → v3 (frozen nodes, node groups) → v4 (targets standardised by default) change nothing but the version, and are not reported as upgrades', () => {
    const g = mnistMlp();
    expect(g.version).toBe(1);
    const r = migrateGraph(g);
    expect(r.diagnostics).toEqual([]);
    expect(r.fromVersion).toBe(1);
    expect(r.applied).toEqual([]);
    expect(r.json).toEqual({ ...g, version: GRAPH_VERSION });
    expect(analyzeGraph(g).diagnostics).toEqual([]);
  });

  it('applies a v0 → v1 step from the table (the hook the next format change will use)', () => {
    // A fake v0 where Linear was called "Dense" with "units".
    const step: MigrationStep = {
      from: 0,
      describe: 'rename Dense(units) → Linear(outFeatures)',
      up(g) {
        for (const n of g.nodes as { op: string; attrs: Record<string, unknown> }[]) {
          if (n.op === 'Dense') {
            n.op = 'Linear';
            n.attrs = { outFeatures: n.attrs.units };
          }
        }
        return g;
      },
    };
    const v0 = { format: 'netwright.graph', version: 0, nodes: [{ id: 'x', op: 'Input', attrs: { shape: [4] }, inputs: [] }, { id: 'd', op: 'Dense', attrs: { units: 3 }, inputs: ['x'] }], outputs: { y: 'd' } };
    const r = migrateGraph(v0, [step, ...MIGRATIONS]);
    expect(r.diagnostics).toEqual([]);
    expect(r.fromVersion).toBe(0);
    expect(r.applied).toEqual([step.describe]);
    expect(v0.version).toBe(0); // the input is not modified
    const a = analyzeGraph(r.json);
    expect(a.diagnostics).toEqual([]);
    expect(a.shapes.d).toEqual([-1, 3]);
  });

  it('a step that throws becomes an E_MIGRATION diagnostic', () => {
    const r = migrateGraph({ format: 'netwright.graph', version: 0 }, [{ from: 0, describe: 'broken', up: () => { throw new Error('boom'); } }]);
    expect(r.diagnostics[0]).toMatchObject({ code: 'E_MIGRATION', severity: 'error' });
    expect(r.diagnostics[0].message).toContain('boom');
  });
});
