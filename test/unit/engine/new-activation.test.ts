/**
 * Issue #28: a new activation is one op file plus its registry line. HardSwish and HardSigmoid
 * (MobileNetV3's) were added that way: this checks they appear in the palette's table, train on
 * the reference and CPU backends alike, leave as ONNX and PyTorch, come back from ONNX, get their
 * probe traits, and that the coverage query says where they have no kernel of their own. Mish
 * (issue #45) is one `elementwise` declaration: its ONNX forms (opset 17 and 18) and PyTorch too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReferenceBackend } from '../../../src-engine/core/backend/reference';
import { exportOnnx } from '../../../src-engine/core/export/onnx';
import { importOnnx } from '../../../src-engine/core/import/onnx';
import { IMPORT_RULES } from '../../../src-engine/core/import/onnx/rules';
import { decodeModel, encodeModel } from '../../../src-engine/core/export/onnx/proto';
import { exportPytorch } from '../../../src-engine/core/export/pytorch';
import { getOp, listOps } from '../../../src-engine/core/ops/registry';
import { prepareData } from '../../../src-engine/core/data';
import { Trainer } from '../../../src-engine/core/train';
import { compileGraph } from '../../../src-engine/core/autodiff/executor';
import { modelFromCheckpoint } from '../../../src-engine/core/export/model';
import { createCpuBackend, type CpuBackend } from '../../../src-engine/node/cpu';
import { loadDataset } from '../../../src-engine/node/datasets';
import { coverageLine, opCoverage } from '../../../src-engine/core/backend/coverage';
import { twoMoonsGraph } from '../session/fixtures';

let cpu: CpuBackend;
beforeAll(async () => {
  cpu = await createCpuBackend({ threads: 2 });
});
afterAll(() => cpu?.dispose());

/** Two moons through two activations (HardSwish and HardSigmoid by default). */
function actGraph(first = 'HardSwish', second = 'HardSigmoid') {
  const g = twoMoonsGraph({ epochs: 1 }, 256);
  g.nodes = g.nodes.map((n) => (n.id === 'relu1' ? { ...n, op: first } : n.id === 'relu2' ? { ...n, op: second } : n));
  return g;
}

async function train(backend: ConstructorParameters<typeof Trainer>[2], g = actGraph()) {
  const t = g.training!;
  const data = prepareData(loadDataset(t.dataset, t.seed), t.dataset, t.seed);
  const losses: number[] = [];
  const trainer = new Trainer(g, data, backend, { compile: compileGraph, onStepLoss: (_, l) => losses.push(l) });
  await trainer.run();
  return { losses, model: modelFromCheckpoint(g, trainer.loop.capture(), { classNames: data.train.classNames }) };
}

describe('a new activation in one file', () => {
  it('is in the registry the palette lists, with its probe traits', () => {
    expect(listOps().filter((d) => d.category === 'activations').map((d) => d.name)).toEqual(expect.arrayContaining(['HardSwish', 'HardSigmoid']));
    expect(getOp('HardSwish')!.output).toEqual({ deadAtZero: true });
    expect(getOp('HardSigmoid')!.output?.saturated).toEqual({ below: 1e-6, above: 1 - 1e-6 });
  });

  it('trains the same on the reference and CPU backends, and goes out to ONNX and PyTorch and back from ONNX', async () => {
    const ref = await train(createReferenceBackend());
    const onCpu = await train(cpu);
    expect(ref.losses.length).toBeGreaterThan(5);
    for (let i = 0; i < ref.losses.length; i++) expect(Math.abs(onCpu.losses[i] - ref.losses[i])).toBeLessThan(1e-4 * Math.max(1, ref.losses[i]));
    expect(ref.losses.at(-1)!).toBeLessThan(ref.losses[0]);

    const file = decodeModel(exportOnnx(ref.model).bytes);
    expect(file.graph.node.map((n) => n.op_type)).toEqual(expect.arrayContaining(['HardSwish', 'HardSigmoid']));
    file.metadata_props = []; // read from the nodes alone, not Netwright's stored graph
    const back = importOnnx(encodeModel(file));
    expect(back.model.graph.nodes.map((n) => n.op)).toEqual(expect.arrayContaining(['HardSwish', 'HardSigmoid']));

    const modelPy = new TextDecoder().decode(exportPytorch(ref.model).files.find((f) => f.path === 'model.py')!.data);
    expect(modelPy).toContain('nn.Hardswish()');
    expect(modelPy).toContain('nn.Hardsigmoid()');
  });

  it('Mish (one declaration in its op file) trains the same on the reference and CPU backends, and leaves as ONNX (opset 17 and 18) and PyTorch and comes back', async () => {
    const ref = await train(createReferenceBackend(), actGraph('Mish', 'Mish'));
    const onCpu = await train(cpu, actGraph('Mish', 'Mish'));
    expect(ref.losses.length).toBeGreaterThan(5);
    for (let i = 0; i < ref.losses.length; i++) expect(Math.abs(onCpu.losses[i] - ref.losses[i])).toBeLessThan(1e-4 * Math.max(1, ref.losses[i]));
    expect(ref.losses.at(-1)!).toBeLessThan(ref.losses[0]);

    for (const [opset, types] of [
      [17, ['Softplus', 'Tanh', 'Mul']],
      [18, ['Mish']],
    ] as const) {
      const file = decodeModel(exportOnnx(ref.model, { opset }).bytes);
      expect(file.graph.node.map((n) => n.op_type)).toEqual(expect.arrayContaining([...types]));
      if (opset === 18) expect(file.graph.node.map((n) => n.op_type)).not.toContain('Softplus');
      file.metadata_props = []; // read from the nodes alone, not Netwright's stored graph
      const back = importOnnx(encodeModel(file));
      expect(back.model.graph.nodes.filter((n) => n.op === 'Mish')).toHaveLength(2);
    }

    const modelPy = new TextDecoder().decode(exportPytorch(ref.model).files.find((f) => f.path === 'model.py')!.data);
    expect(modelPy).toContain('nn.Mish()');
  });
  it('reads ONNX HardSigmoid only with PyTorch’s slope', () => {
    const rule = IMPORT_RULES.get('HardSigmoid')!;
    const cx = { opset: 17, constant: () => undefined, consumers: () => ({ nodes: [], graphOutput: false }), shape: () => undefined };
    const node = (alpha: number) => ({ op_type: 'HardSigmoid', input: ['x'], output: ['y'], attribute: [{ name: 'alpha', type: 1, f: Math.fround(alpha) }] });
    expect(rule(node(1 / 6), cx)).toMatchObject({ op: 'HardSigmoid' });
    expect(rule(node(0.2), cx)).toMatchObject({ unsupported: expect.stringMatching(/α = 1\/6/) });
  });
});

describe('opCoverage', () => {
  it('says where each op runs and how it leaves and enters, and the gaps of the new ones', () => {
    const cov = new Map(opCoverage().map((c) => [c.op, c]));
    expect(cov.size).toBe(listOps().length);
    // HardSwish's CPU kernel is generated from its expression (core/elementwise); PReLU has none.
    expect(cov.get('HardSwish')).toMatchObject({ reference: true, cpu: true, gpu: true, onnxExport: true, onnxImport: ['HardSwish'], pytorch: true, gaps: [] });
    expect(cov.get('PReLU')).toMatchObject({ cpu: false, gaps: ['no CPU kernel (runs the reference kernels)'] });
    expect(cov.get('Linear')).toMatchObject({ cpu: true, gpu: true, onnxImport: ['Gemm', 'MatMul'], gaps: [] });
    expect(cov.get('Noise')?.gaps).toEqual(expect.arrayContaining(['no ONNX form', 'no PyTorch form']));
    // The palette's tooltip line (through the facade): what it has, then what it lacks.
    // The Input is the model's input in every format, with nothing to compute: no gap (the palette said 'no CPU kernel … no ONNX form').
    expect(cov.get('Input')).toMatchObject({ cpu: true, gpu: true, onnxExport: true, pytorch: true, graphInput: true, gaps: [] });
    expect(coverageLine(cov.get('Input')!)).toMatch(/^The model's input in every format: ONNX graph\.input/);
    expect(coverageLine(cov.get('PReLU')!)).toBe('Has: GPU kernel · ONNX export · ONNX import (PRelu) · PyTorch. Not yet: no CPU kernel (runs the reference kernels).');
    // Every ONNX op type is read by one op only, or by several each for its weight's rank (the
    // table refuses any other second claim when it is built); Identity and an all-zero Pad are no op.
    const claimed = opCoverage().flatMap((c) => c.onnxImport);
    expect(claimed.filter((t, i) => claimed.indexOf(t) !== i)).toEqual(['Conv']);
    expect(cov.get('Conv1d')).toMatchObject({ onnxImport: ['Conv'] });
    expect([...IMPORT_RULES.keys()].sort()).toEqual([...new Set([...claimed, 'Identity', 'Pad'])].sort());
  });
});
