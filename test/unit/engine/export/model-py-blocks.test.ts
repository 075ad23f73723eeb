/**
 * model.py writes the blocks a network repeats as nn.Module classes, instantiated per block (#82
 * deliverable 3: "model.py readable, a resnet18 in a few hundred lines, blocks as modules"). A run
 * of layers with one way in and one way out that recurs with the same structure is one class, what
 * differs (channels, strides) its arguments: torchvision's resnet18 as torch.onnx wrote it
 * (test/golden/gen_torchvision_onnx.py) gives two classes, its BasicBlock (5 instances) and the one
 * with a downsample (3), and Net's forward() holds 13 calls. Under PyTorch, `import model` gives
 * torchvision's own output on the fixture's input; the state dict names the layers by their path
 * (`layer1_layer1_0.conv1.weight`), and weights files written with the flat names still load.
 * Repeated blocks whose nodes carry hostile names compute as Netwright does, layer by layer.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { GraphIR, NodeIR } from '../../../../src-engine/base/ir/types';
import { Rng } from '../../../../src-engine/base/rng';
import { npy } from '../../../../src-engine/core/export/archive';
import { exportPytorch, torchNodeNames, torchStateEntries } from '../../../../src-engine/core/export/pytorch';
import { checkedOrThrow } from '../../../../src-engine/core/analysis/checked';
import { writeSafetensors } from '../../../../src-engine/core/export/safetensors';
import { importOnnx } from '../../../../src-engine/core/import/onnx';
import { loadWeights } from '../../../../src-engine/core/import/state-dict';
import { analyzeGraph } from '../../../../src-engine/core/analysis/validate';
import { findClassifierHead, replaceHead } from '../../../../src-engine/core/analysis/classifier';
import { freezeNodes, upstreamNodeIds } from '../../../../src-engine/base/ir/freeze';
import type { TrainedModel } from '../../../../src-engine/core/export/model';
import { torchvisionFixtures } from './onnx/torchvision-fixtures';
import { HAS_TORCH, compareWithTorch, exportTo, initialModel, torchProcess } from './torch-harness';

interface Fixture {
  input: number[];
  inputShape: number[];
  output: number[];
}

let resnet: TrainedModel;
let fixture: Fixture;
beforeAll(() => {
  const dir = torchvisionFixtures();
  resnet = importOnnx(readFileSync(join(dir, 'resnet18.onnx'))).model;
  fixture = JSON.parse(readFileSync(join(dir, 'resnet18.json'), 'utf8')) as Fixture;
}, 300_000);

const text = (files: { path: string; data: Uint8Array }[], path: string) => new TextDecoder().decode(files.find((f) => f.path === path)!.data);

/** The lines of a class's method in model.py: from its `def` to the next blank line. */
function method(py: string, cls: string, name: string): string[] {
  const body = py.slice(py.indexOf(`class ${cls}(`));
  const lines = body.slice(body.indexOf(`    def ${name}(`)).split('\n');
  return lines.slice(0, lines.indexOf(''));
}

describe("model.py's repeated blocks", () => {
  it("resnet18: two block classes instantiated 5 and 3 times, Net's forward() 13 calls, model.py under 200 lines", () => {
    const files = exportPytorch(resnet).files;
    const py = text(files, 'model.py');
    expect(py.split('\n').length).toBeLessThan(200);
    expect(py).toContain('class Block1(nn.Module):\n    """A block the network repeats (5 times): Conv2d, ReLU, Conv2d, Add, ReLU, from its input x."""');
    expect(py).toContain('class Block2(nn.Module):\n    """A block the network repeats (3 times): Conv2d, Conv2d, ReLU, Conv2d, Add, ReLU, from its input x."""');
    expect(method(py, 'Block1', '__init__')[0]).toBe('    def __init__(self, channels):');
    expect(method(py, 'Block2', '__init__')[0]).toBe('    def __init__(self, channels, out_channels):');
    expect(py.match(/= Block1\(\d+\)/g)).toEqual(['= Block1(64)', '= Block1(64)', '= Block1(128)', '= Block1(256)', '= Block1(512)']);
    expect(py.match(/= Block2\(\d+, \d+\)/g)).toEqual(['= Block2(64, 128)', '= Block2(128, 256)', '= Block2(256, 512)']);
    // conv1, relu, maxpool, 8 blocks, the pooling, fc: 13 calls and the docstring and return.
    expect(method(py, 'Net', 'forward').filter((l) => / = self\./.test(l))).toHaveLength(13);
  });
});

describe.skipIf(!HAS_TORCH)("model.py's repeated blocks under PyTorch", () => {
  it("resnet18: `import model` computes torchvision's output; weights named by path, and flat names still load", async () => {
    const dir = exportTo(resnet);
    writeFileSync(join(dir, 'input.npy'), npy(Float32Array.from(fixture.input), fixture.inputShape));
    const script = `import json, sys, numpy as np, torch
sys.path.insert(0, '.')
import model
net = model.load_weights(model.Net(), 'weights.pt').eval()
with torch.no_grad():
    y = net(torch.from_numpy(np.load('input.npy')))
print(json.dumps({'y': y.reshape(-1).tolist(), 'keys': list(net.state_dict().keys()), 'blocks': [type(m).__name__ for m in net.children()]}))`;
    const r = await torchProcess(['-c', script], dir);
    expect(r.status, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout) as { y: number[]; keys: string[]; blocks: string[] };
    const peak = fixture.output.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const worst = got.y.reduce((m, v, i) => Math.max(m, Math.abs(v - fixture.output[i])), 0);
    // The same float32 convolutions as PyTorch's own run of torchvision's resnet18 (only the order of the graph's ops may differ).
    expect(got.y).toHaveLength(fixture.output.length);
    expect(worst).toBeLessThanOrEqual(1e-5 * peak);
    expect(got.keys).toContain('layer1_layer1_0.conv1.weight');
    expect(got.keys).toContain('layer4_layer4_0.downsample_downsample_0.weight');
    expect(got.blocks.filter((b) => b === 'Block1')).toHaveLength(5);

    // A weights file of the same model under the flat names a Netwright export wrote before (layer1_layer1_0_conv1.weight).
    const checked = checkedOrThrow(resnet.graph);
    const flatName = (n: string) => n.replace(/^(layer\d_layer\d_\d)\./, '$1_');
    const entries = torchStateEntries(resnet, checked, torchNodeNames(checked)).map((e) => ({ ...e, name: flatName(e.name) }));
    expect(entries.some((e) => e.name === 'layer1_layer1_0_conv1.weight')).toBe(true);
    const reloaded = loadWeights(resnet.graph, writeSafetensors(entries, {}), 'old.safetensors');
    const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    for (const [k, w] of Object.entries(resnet.params)) expect(Buffer.compare(bytes(reloaded.params[k] as Float32Array), bytes(w as Float32Array)), k).toBe(0);
  }, 120_000);

  it('a fine-tuned resnet18 (new head, backbone frozen): FROZEN lists the layers by their path and Net() freezes them', async () => {
    const a = analyzeGraph(resnet.graph, { batchSize: 1 });
    const head = findClassifierHead(a.graph!, a.shapes)!;
    const tuned = replaceHead(resnet.graph, head.head, 5, 'head');
    const backbone = upstreamNodeIds(tuned, ['head']);
    const g: GraphIR = { ...tuned, nodes: freezeNodes(tuned.nodes, backbone, true) };
    const dir = exportTo({ ...initialModel(g), params: { ...initialModel(g).params } });
    const py = readFileSync(join(dir, 'model.py'), 'utf8');
    expect(py).toContain("'layer1_layer1_0.conv1'");
    const script = `import json, sys; sys.path.insert(0, '.')
import model
net = model.Net()
print(json.dumps(sorted(n for n, p in net.named_parameters() if p.requires_grad)))`;
    const r = await torchProcess(['-c', script], dir);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(['head.bias', 'head.weight']);
  }, 120_000);

  it('blocks of nodes with hostile names: each layer computes as in Netwright (hooked by its path), and the probe hooks them', async () => {
    // x → stem → 3 × [fc, relu, fc, + input, relu] → out, the blocks' ids holding quotes, a newline, 'x', 'self' and a class name.
    const names = [`it's`, 'line\nbreak', 'x'];
    const nodes: NodeIR[] = [
      { id: 'features', op: 'Input', attrs: { shape: [6], source: 'features' }, inputs: [] },
      { id: 'label', op: 'Input', attrs: { shape: [], source: 'target' }, inputs: [] },
      { id: 'stem', op: 'Linear', attrs: { outFeatures: 8 }, inputs: ['features'] },
    ];
    let last = 'stem';
    for (const b of names) {
      const id = (s: string) => `${b}${s}`;
      nodes.push(
        { id: id('self'), op: 'Linear', attrs: { outFeatures: 8 }, inputs: [last] },
        { id: id('/Block1'), op: 'ReLU', attrs: {}, inputs: [id('self')] },
        { id: id('"""'), op: 'Linear', attrs: { outFeatures: 8 }, inputs: [id('/Block1')] },
        { id: id(''), op: 'Add', attrs: {}, inputs: [id('"""'), last] },
        { id: id('.relu'), op: 'ReLU', attrs: {}, inputs: [id('')] },
      );
      last = id('.relu');
    }
    nodes.push({ id: 'out', op: 'Linear', attrs: { outFeatures: 3 }, inputs: [last] }, { id: 'loss', op: 'CrossEntropyLoss', attrs: {}, inputs: ['out', 'label'] });
    const g: GraphIR = {
      format: 'netwright.graph',
      version: 1,
      name: 'blocks',
      nodes,
      outputs: { logits: 'out', loss: 'loss' },
      training: { dataset: { name: 'iris' }, loss: 'loss', optimizer: { kind: 'adam', lr: 1e-3 }, batchSize: 8, epochs: 1, seed: 1, metrics: ['accuracy'] },
    } as GraphIR;
    const model = initialModel(g);
    const py = text(exportPytorch(model).files, 'model.py');
    expect(py.match(/= Block1\(\)/g)).toHaveLength(3);
    const rng = new Rng(3);
    const inputs = { features: Float32Array.from({ length: 4 * 6 }, () => rng.normal()) };
    const cmp = await compareWithTorch(model, inputs, 4, 'out');
    const blockLayers = cmp.hooked.filter((h) => h.includes('.'));
    expect(blockLayers.length).toBeGreaterThanOrEqual(3 * 4);
    for (const [node, d] of Object.entries(cmp.diffs)) expect(d, node).toBeLessThan(1e-5);
    expect(Object.keys(cmp.diffs).filter((k) => k.includes('.')).length).toBeGreaterThanOrEqual(3 * 4);

    // train.py's probe hooks each layer by its path (CONFIG['modules']), inside the blocks too.
    const dir = exportTo(model);
    const script = `import json, sys, torch; sys.argv = ['train.py']; import train
net = train.Net()
probe = train.Probe(net, True)
probe.start()
net(torch.randn(2, 6))
print(json.dumps(sorted(probe.acts)))`;
    const r = await torchProcess(['-c', script], dir);
    expect(r.status, r.stderr).toBe(0);
    const acts = JSON.parse(r.stdout) as string[];
    expect(acts.filter((a) => a.includes('.'))).toHaveLength(3 * 4);
    expect(acts).toContain('stem');
  }, 120_000);
});


