/**
 * safetensors in and out, and torch.save state dicts in (docs/export.md, "safetensors" and
 * "Loading weights"): the export equals the ONNX export's initializers tensor for tensor; a
 * state_dict and a safetensors file made by PyTorch load into the matching design and predict as
 * PyTorch did; a pickle that names anything but plain tensors is refused and runs nothing.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../../src-engine/base/ir/types';
import { featureInput } from '../../../../src-engine/base/ir/inputs';
import { predictionNodeId } from '../../../../src-engine/base/ir/prediction';
import { checkedOrThrow } from '../../../../src-engine/core/analysis/checked';
import { zipStore } from '../../../../src-engine/core/export/archive';
import { exportFormat } from '../../../../src-engine/core/export/formats';
import { type TrainedModel } from '../../../../src-engine/core/export/model';
import { inferModel } from '../../../../src-engine/core/export/infer';
import { decodeModel } from '../../../../src-engine/core/export/onnx/proto';
import { torchNodeNames, torchStateNames } from '../../../../src-engine/core/export/pytorch';
import { loadWeights, readWeightsFile } from '../../../../src-engine/core/import/state-dict';
import { importOnnx } from '../../../../src-engine/core/import/onnx';
import { writeSafetensors } from '../../../../src-engine/core/export/safetensors';
import { main as exportCli } from '../../../../src-engine/node/export-cli';
import { modelFromJSON, modelToJSONText } from '../../../../src-engine/core/export/json';
import { projectModel } from '../../../../src-engine/node/project-model';
import { main as importCli } from '../../../../src-engine/node/import-cli';
import { Rng } from '../../../../src-engine/base/rng';
import { exportTo, HAS_TORCH, initialModel, torchProcess } from './torch-harness';

const EXAMPLES = join(import.meta.dirname, '../../../../examples');
const cnn = JSON.parse(readFileSync(join(EXAMPLES, 'mnist-cnn.json'), 'utf8')) as GraphIR;

/** The CNN at its initial weights, with BatchNorm statistics that are not 0 and 1 (so buffers are checked too). */
function cnnModel(): TrainedModel {
  const m = initialModel(cnn);
  const rng = new Rng(7);
  for (const [k, v] of Object.entries(m.buffers)) for (let i = 0; i < v.length; i++) v[i] = /var$/i.test(k) ? 0.5 + rng.uniform() : rng.uniform() - 0.5;
  return { ...m, normalization: { kind: 'global', mean: [0.1307], std: [0.3081] }, classNames: [...'0123456789'] };
}

/** A safetensors file read from the format's description (8-byte LE header length, JSON, raw data), sharing no code with the writer. */
function parseSafetensors(bytes: Uint8Array): { header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>; metadata: Record<string, string>; data: Uint8Array } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const { __metadata__, ...header } = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, never>;
  return { header, metadata: __metadata__, data: bytes.subarray(8 + n) };
}

/** `python3 -c script` in `cwd`, forked from the interpreter that has imported torch (torchProcess): its stdout. */
async function python(script: string, cwd: string): Promise<string> {
  const r = await torchProcess(['-c', script], cwd);
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
  return r.stdout;
}

describe('safetensors export', () => {
  it('holds the ONNX export\'s initializers tensor for tensor, under the PyTorch state_dict\'s names, with metadata naming the design', async () => {
    const model = cnnModel();
    const st = exportFormat('safetensors')!.export(model, {});
    expect(st.files.map((f) => f.path)).toEqual(['model.safetensors']);
    const { header, metadata, data } = parseSafetensors(st.files[0].data);
    expect(metadata.design).toBe(cnn.name);
    expect(metadata.format).toBe('pt');
    const onnx = decodeModel(exportFormat('onnx')!.export(model, { settings: { normalization: 'none' } }).files[0].data);
    const inits = new Map(onnx.graph!.initializer!.map((t) => [t.name!, t]));
    const checked = checkedOrThrow(cnn);
    let compared = 0;
    for (const e of torchStateNames(checked, torchNodeNames(checked))) {
      const h = header[e.name];
      expect(h, e.name).toBeDefined();
      if ('counter' in e) {
        expect(h.dtype).toBe('I64');
        continue;
      }
      const init = inits.get(e.spec.key)!;
      expect(init, e.spec.key).toBeDefined();
      expect(h.dtype).toBe('F32');
      expect(h.shape).toEqual(init.dims!.map(Number));
      const raw = data.slice(h.data_offsets[0], h.data_offsets[1]);
      const values = new Float32Array(raw.buffer);
      const onnxValues = init.raw_data?.length ? new Float32Array(Uint8Array.from(init.raw_data).buffer) : Float32Array.from(init.float_data!);
      expect(values).toEqual(onnxValues);
      compared++;
    }
    // Every tensor ONNX holds but its Reshape/normalisation constants was compared: 2 conv × 2,
    // 2 BatchNorm × 4, the linear's 2; num_batches_tracked (×2) is PyTorch's alone.
    expect(compared).toBe(14);
    expect([...inits.keys()].filter((k) => /^(conv|bn|fc)\d?\./.test(k))).toHaveLength(14);
    expect(Object.keys(header)).toHaveLength(16);
  });

  it('npm run export -- M.json --format safetensors writes it; the PyTorch project ships it with requirements.txt', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nw-st-cli-'));
    const model = cnnModel();
    writeFileSync(join(dir, 'M.json'), modelToJSONText(model));
    const err: string[] = [];
    expect(await exportCli([join(dir, 'M.json'), '--format', 'safetensors', '--out', join(dir, 'model.safetensors')], () => {}, (s) => err.push(s))).toBe(0);
    const written = readFileSync(join(dir, 'model.safetensors'));
    expect(written).toEqual(Buffer.from(exportFormat('safetensors')!.export(model, {}).files[0].data));
    // And back into the design from the command line: a project whose runs start from the weights.
    expect(await importCli([join(dir, 'model.safetensors'), '--design', join(EXAMPLES, 'mnist-cnn.json'), '--out', join(dir, 'P.netwright.json')], () => {}, (s) => err.push(s))).toBe(0);
    const saved = JSON.parse(readFileSync(join(dir, 'P.netwright.json'), 'utf8')) as { graph: GraphIR; model: unknown };
    expect(saved.graph.training?.startFrom).toEqual({ kind: 'loaded' });
    expect(projectModel(join(dir, 'P.netwright.json'), saved.model as Record<string, unknown>).params).toEqual(model.params);
    expect(await importCli([join(dir, 'model.safetensors'), '--design', join(EXAMPLES, 'mnist-mlp.json'), '--out', join(dir, 'Q.netwright.json')], () => {}, (s) => err.push(s))).toBe(2);
    expect(err.join('')).toMatch(/error E_WEIGHTS_MISMATCH: model\.safetensors does not fit the design/);
    const project = exportTo(model);
    expect(readFileSync(join(project, 'model.safetensors'))).toEqual(written);
    expect(readFileSync(join(project, 'requirements.txt'), 'utf8')).toMatch(/^torch>=.*\nnumpy\nsafetensors>=/);
  });
});

describe('a photo model\'s safetensors, read back (#82)', () => {
  // A [3, 224, 224] input normalised per pixel (each channel's figures repeated over its pixels, as
  // Add data's per-channel normalisation is stored): written as 5.8 MB of JSON, it passed the
  // header bound (1 MiB + 16 KiB a tensor) and Netwright could not read its own file back.
  const photo: GraphIR = {
    format: 'netwright.graph',
    version: 1,
    name: 'photo',
    nodes: [
      { id: 'image', op: 'Input', attrs: { shape: [3, 224, 224], source: 'features' }, inputs: [] },
      { id: 'label', op: 'Input', attrs: { shape: [], source: 'target' }, inputs: [] },
      { id: 'conv', op: 'Conv2d', attrs: { outChannels: 4, kernelSize: [3, 3], stride: [4, 4] }, inputs: ['image'] },
      { id: 'gap', op: 'GlobalAvgPool', attrs: {}, inputs: ['conv'] },
      { id: 'fc', op: 'Linear', attrs: { outFeatures: 3 }, inputs: ['gap'] },
      { id: 'loss', op: 'CrossEntropyLoss', attrs: {}, inputs: ['fc', 'label'] },
    ],
    outputs: { logits: 'fc', loss: 'loss' },
  } as GraphIR;
  const plane = 224 * 224;
  const perPixel = (figures: number[]) => figures.flatMap((v) => new Array<number>(plane).fill(v));
  // Figures as a fit on photos gives them (float64 sums: 17 significant digits).
  const mean = [0.485, 0.456, 0.406].map((v) => v + Math.PI * 1e-9);
  const std = [0.229, 0.224, 0.225].map((v) => v + Math.E * 1e-9);
  const model: TrainedModel = { ...initialModel(photo), normalization: { kind: 'per-feature', mean: perPixel(mean), std: perPixel(std) }, classNames: ['cat', 'dog', 'fox'] };

  it('npm run export --format safetensors then npm run import --design: the weights, the per-pixel normalisation and the class names come back; the header is small', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nw-st-photo-'));
    writeFileSync(join(dir, 'M.json'), modelToJSONText(model));
    writeFileSync(join(dir, 'design.json'), JSON.stringify(photo));
    const err: string[] = [];
    expect(await exportCli([join(dir, 'M.json'), '--format', 'safetensors', '--out', join(dir, 'model.safetensors')], () => {}, (s) => err.push(s))).toBe(0);
    const written = readFileSync(join(dir, 'model.safetensors'));
    const { metadata } = parseSafetensors(written);
    expect(JSON.parse(metadata.normalization)).toEqual({ kind: 'per-channel', features: 3 * plane, mean, std });
    expect(Number(written.readBigUInt64LE(0))).toBeLessThan(4096);
    expect(await importCli([join(dir, 'model.safetensors'), '--design', join(dir, 'design.json'), '--out', join(dir, 'P.netwright.json')], () => {}, (s) => err.push(s))).toBe(0);
    expect(err.join('')).toBe('');
    const back = projectModel(join(dir, 'P.netwright.json'), (JSON.parse(readFileSync(join(dir, 'P.netwright.json'), 'utf8')) as { model: Record<string, unknown> }).model);
    expect(back.params).toEqual(model.params);
    expect(back.normalization).toEqual(model.normalization);
    expect(back.classNames).toEqual(model.classNames);
  });

  it('a file written before the per-channel form (the normalisation feature by feature, 5.8 MB) still loads into the design', () => {
    const entries = torchStateNames(checkedOrThrow(photo), torchNodeNames(checkedOrThrow(photo))).flatMap((w) => ('spec' in w ? [{ name: w.name, tensor: { kind: 'float32' as const, shape: w.spec.shape, data: model.params[w.spec.key] } }] : []));
    const file = writeSafetensors(entries, { format: 'pt', normalization: JSON.stringify(model.normalization), class_names: JSON.stringify(model.classNames) });
    expect(Number(new DataView(file.buffer).getBigUint64(0, true))).toBeGreaterThan(5_000_000);
    const back = loadWeights(photo, file, 'model.safetensors');
    expect(back.params).toEqual(model.params);
    expect(back.normalization).toEqual(model.normalization);
  });

  it('the JSON model and the ONNX file carry it as its runs too, and read it back feature by feature (a project holds the JSON model: 8.8 MB for a fine-tuned resnet18, 6.3 MB of it this normalisation)', () => {
    const text = modelToJSONText(model);
    expect(text.length).toBeLessThan(20_000);
    expect((JSON.parse(text) as { normalization: unknown }).normalization).toEqual({ kind: 'per-channel', features: 3 * plane, mean, std });
    expect(modelFromJSON(text).normalization).toEqual(model.normalization);
    // One that does not cover the graph's input is refused, not spread.
    const wrong = text.replace(`"features":${3 * plane}`, '"features":1099511627776');
    expect(() => modelFromJSON(wrong)).toThrow(/per-channel "normalization" does not cover the input/);
    const onnx = exportFormat('onnx')!.export(model, { settings: { normalization: 'none' } }).files[0].data;
    const meta = decodeModel(onnx).metadata_props!.find((p) => p.key === 'netwright.normalization')!.value;
    expect(meta.length).toBeLessThan(200);
    expect(importOnnx(onnx).model.normalization).toEqual(model.normalization);
  });

  it('a per-channel entry that does not cover the design\'s input is not read as its normalisation (nothing is spread over a count the file alone says)', () => {
    const entries = torchStateNames(checkedOrThrow(photo), torchNodeNames(checkedOrThrow(photo))).flatMap((w) => ('spec' in w ? [{ name: w.name, tensor: { kind: 'float32' as const, shape: w.spec.shape, data: model.params[w.spec.key] } }] : []));
    const file = writeSafetensors(entries, { format: 'pt', normalization: JSON.stringify({ kind: 'per-channel', features: 2 ** 40, mean: [0.5, 0.5, 0.5], std: [1, 1, 1] }) });
    expect(loadWeights(photo, file, 'model.safetensors').normalization).toBeUndefined();
  });
});

describe('loading weights into a matching design', () => {
  it('a safetensors file round-trips with its normalisation and class names', () => {
    const model = cnnModel();
    const file = exportFormat('safetensors')!.export(model, {}).files[0].data;
    const back = loadWeights(cnn, file, 'model.safetensors');
    expect(back.params).toEqual(model.params);
    expect(back.buffers).toEqual(model.buffers);
    expect(back.normalization).toEqual(model.normalization);
    expect(back.classNames).toEqual(model.classNames);
  });

  it('tells a safetensors file whose header length starts with byte 0x80 from a pickle', () => {
    const model = cnnModel();
    const tensors = [{ name: 'fc.bias', tensor: { kind: 'float32' as const, shape: [10], data: model.params['fc.bias'] } }];
    // Pad the metadata until the header is 0x80 (+ k·256) bytes long: its first byte is pickle's PROTO.
    let file = writeSafetensors(tensors, { design: '' });
    for (let pad = 1; file[0] !== 0x80; pad++) file = writeSafetensors(tensors, { design: 'x'.repeat(pad) });
    expect(readWeightsFile(file, 'w.safetensors').tensors.get('fc.bias')?.data).toEqual(model.params['fc.bias']);
    // A pickle (PyTorch before 1.6) is told apart and refused with what to do.
    expect(() => readWeightsFile(Uint8Array.from([0x80, 2, 0x8a, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]), 'old.pt')).toThrow(/before PyTorch 1\.6/);
  });

  it('names, tensor by tensor, what is missing, extra or of another shape', () => {
    const file = exportFormat('safetensors')!.export(cnnModel(), {}).files[0].data;
    const wider: GraphIR = { ...cnn, nodes: cnn.nodes.map((n) => (n.id === 'conv2' ? { ...n, attrs: { ...n.attrs, outChannels: 48 } } : n.id === 'fc' ? { ...n, id: 'head' } : n)), outputs: { logits: 'head', loss: 'loss' } };
    wider.nodes = wider.nodes.map((n) => (n.id === 'loss' ? { ...n, inputs: ['head', 'label'] } : n));
    let message = '';
    try {
      loadWeights(wider, file, 'model.safetensors');
    } catch (e) {
      expect((e as { code?: string }).code).toBe('E_WEIGHTS_MISMATCH');
      message = (e as Error).message;
    }
    expect(message).toContain('conv2.weight: the file has shape [64, 32, 3, 3], node "conv2" needs [48, 32, 3, 3]');
    expect(message).toContain('bn2.running_mean: the file has shape [64], node "bn2" needs [48]');
    expect(message).toContain('head.weight: missing from the file');
    expect(message).toContain('fc.weight: in the file, but the design has no such tensor');
  });

  it.skipIf(!HAS_TORCH)('a state_dict saved by torch.save and a safetensors file written by PyTorch load and predict as PyTorch did', async () => {
    const dir = exportTo(cnnModel());
    const batch = 3;
    const x = Float32Array.from({ length: batch * 28 * 28 }, (_, i) => Math.sin(i * 0.37));
    writeFileSync(join(dir, 'x.bin'), x);
    // New weights made in PyTorch (not the exported ones), saved both ways; the safetensors file by
    // hand from its format, as safetensors.torch.save_file lays it out (Debian has no safetensors package).
    await python(
      `
import json, struct, numpy as np, torch
from model import Net
torch.manual_seed(3)
net = Net()
with torch.no_grad():
    for name, t in net.state_dict().items():
        if t.dtype == torch.float32:
            t.copy_(torch.rand_like(t) + 0.25 if name.endswith('running_var') else torch.randn_like(t) * 0.2)
net.eval()
x = torch.from_numpy(np.fromfile('x.bin', dtype=np.float32).reshape(${batch}, 1, 28, 28))
net(x).detach().numpy().astype(np.float32).tofile('y.bin')
sd = net.state_dict()
torch.save(sd, 'sd.pt')
torch.save(sd, 'sd4.pt', pickle_protocol=4)
header, blobs, at = {'__metadata__': {'format': 'pt'}}, [], 0
for name, t in sd.items():
    b = t.contiguous().numpy().tobytes()
    header[name] = {'dtype': {torch.float32: 'F32', torch.int64: 'I64'}[t.dtype], 'shape': list(t.shape), 'data_offsets': [at, at + len(b)]}
    blobs.append(b); at += len(b)
h = json.dumps(header).encode()
h += b' ' * (-len(h) % 8)
open('sd.safetensors', 'wb').write(struct.pack('<Q', len(h)) + h + b''.join(blobs))
`,
      dir,
    );
    const y = new Float32Array(Uint8Array.from(readFileSync(join(dir, 'y.bin'))).buffer);
    const input = featureInput(cnn)!.id;
    const prediction = predictionNodeId(cnn)!;
    for (const file of ['sd.pt', 'sd4.pt', 'sd.safetensors']) {
      const model = loadWeights(cnn, readFileSync(join(dir, file)), file);
      const out = inferModel(model, { [input]: x }, batch, [prediction])[prediction];
      expect(out.length).toBe(y.length);
      const worst = Math.max(...Array.from(out, (v, i) => Math.abs(v - y[i])));
      expect(worst, file).toBeLessThan(1e-4);
    }
  }, 60_000);

  it('a pickle naming os.system (GLOBAL then REDUCE) is refused with a coded message, and nothing runs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nw-pickle-'));
    const marker = join(dir, 'pwned');
    const enc = new TextEncoder();
    const cmd = enc.encode(`touch ${marker}`);
    // PROTO 2, GLOBAL os.system, BINUNICODE cmd, TUPLE1, REDUCE, STOP: what pickle.dumps of an object whose __reduce__ is (os.system, (cmd,)) holds.
    const pkl = Uint8Array.from([0x80, 2, 0x63, ...enc.encode('os\nsystem\n'), 0x58, cmd.length, 0, 0, 0, ...cmd, 0x85, 0x52, 0x2e]);
    const file = zipStore([{ path: 'archive/data.pkl', data: pkl }, { path: 'archive/version', data: enc.encode('3\n') }], 64);
    let thrown: unknown;
    try {
      readWeightsFile(file, 'evil.pt');
    } catch (e) {
      thrown = e;
    }
    expect((thrown as { code?: string }).code).toBe('E_WEIGHTS_PICKLE');
    expect((thrown as Error).message).toMatch(/evil\.pt was not loaded: its data\.pkl names os\.system/);
    expect(existsSync(marker)).toBe(false);
    // The same through STACK_GLOBAL (protocol 4), and a callable that is allowed called with a REDUCE it may not make.
    const stack = Uint8Array.from([0x80, 4, 0x8c, 5, ...enc.encode('posix'), 0x8c, 6, ...enc.encode('system'), 0x93, 0x2e]);
    expect(() => readWeightsFile(zipStore([{ path: 'a/data.pkl', data: stack }]), 'evil.pt')).toThrow(/names posix\.system/);
  });

  it('a view repeating one float a billion times (stride 0) counts a billion values, and is refused before anything is allocated', () => {
    const enc = new TextEncoder();
    const u = (s: string) => [0x58, s.length, 0, 0, 0, ...enc.encode(s)];
    const g = (m: string, n: string) => [0x63, ...enc.encode(`${m}\n${n}\n`)];
    const billion = [0x4a, 0x00, 0xca, 0x9a, 0x3b];
    const pkl = Uint8Array.from([
      ...[0x80, 2, ...g('collections', 'OrderedDict'), 0x29, 0x52, 0x28],
      ...u('w'),
      ...[...g('torch._utils', '_rebuild_tensor_v2'), 0x28],
      ...[0x28, ...u('storage'), ...g('torch', 'FloatStorage'), ...u('0'), ...u('cpu'), 0x4b, 1, 0x74, 0x51],
      ...[0x4b, 0, 0x28, ...billion, 0x74, 0x28, 0x4b, 0, 0x74, 0x89, ...g('collections', 'OrderedDict'), 0x29, 0x52, 0x74, 0x52],
      ...[0x75, 0x2e],
    ]);
    const file = zipStore([{ path: 'archive/data.pkl', data: pkl }, { path: 'archive/data/0', data: new Uint8Array(4) }]);
    expect(() => readWeightsFile(file, 'big.pt')).toThrow(/big\.pt was not read: its tensors hold 3\.7 GiB of values, past the 2 GiB Netwright reads/);
  });
});

describe('model.loadWeights (the Train dock\'s Load weights…)', () => {
  it('loads a safetensors file into the design on the canvas, which then predicts with it; a mismatch is refused tensor by tensor', async () => {
    const { setupEngine } = await import('../../session/fixtures');
    const { client, service } = setupEngine();
    try {
      const model = cnnModel();
      const data = exportFormat('safetensors')!.export(model, {}).files[0].data;
      const info = await client.request('model.loadWeights', { graph: cnn, name: 'cnn.safetensors', data });
      expect(info.classNames).toEqual(model.classNames);
      const x = Float32Array.from({ length: 28 * 28 }, (_, i) => Math.cos(i));
      const p = await client.request('model.predict', { runId: info.runId, input: Array.from(x), normalized: true });
      const prediction = predictionNodeId(cnn)!;
      const want = inferModel(model, { [featureInput(cnn)!.id]: x }, 1, [prediction])[prediction];
      if (p.kind !== 'probabilities') throw new Error(`expected probabilities, got ${p.kind}`);
      const softmax = Array.from(want, (v) => Math.exp(v - Math.max(...want)));
      const sum = softmax.reduce((a, b) => a + b, 0);
      expect(Math.max(...(p.values as number[]).map((v, i) => Math.abs(v - softmax[i] / sum)))).toBeLessThan(1e-5);
      const small: GraphIR = { ...cnn, nodes: cnn.nodes.map((n) => (n.id === 'fc' ? { ...n, attrs: { ...n.attrs, outFeatures: 5 } } : n)) };
      await expect(client.request('model.loadWeights', { graph: small, name: 'cnn.safetensors', data })).rejects.toMatchObject({ code: 'E_WEIGHTS_MISMATCH', message: expect.stringContaining('fc.weight: the file has shape [10, 3136], node "fc" needs [5, 3136]') });
    } finally {
      service.dispose();
    }
  });
});
