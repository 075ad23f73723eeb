import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import { imagePixels } from '../../../src-engine/base/image-pixels';
import type { StoredFrame } from '../../../src-engine/protocol';
import { loadDataset } from '../../../src-engine/node/datasets';
import { RunStore } from '../../../src-engine/node/run-store';
import { main as trainCli } from '../../../src-engine/node/train-cli';
import { setupEngine } from '../session/fixtures';
import { graphEvent, textsEvent } from '../../../src-engine/app/runs/tf-events';
import { frameImages } from '../../../src-engine/app/runs/tf-images';
import { frameTexts } from '../../../src-engine/app/runs/tf-texts';
import { attrOf, decodeEvent, decodeGraphDef, pngHeader, readRunEvents, readTfRecords, type ReadEvent } from './tf-reader';

/*
 * What a run's TensorBoard file holds besides its scalars (docs/runs.md, "TensorBoard"): each probe
 * frame's histograms and gradient norms, the Samples tab's images, and the design as a graph —
 * read back with the spec reader (tf-reader.ts) and checked against the frames the run's own log
 * kept, which are what the app showed.
 */

const EXAMPLES = join(import.meta.dirname, '../../../examples');
const design = (name: string) => JSON.parse(readFileSync(join(EXAMPLES, name), 'utf8')) as GraphIR;

/** Train `graph` for one epoch on `limit` MNIST samples through the engine's protocol, recorded with a frame every 2 steps. */
async function recordedRun(graph: GraphIR, limit: number) {
  const dir = mkdtempSync(join(tmpdir(), 'nw-tfevents-probes-'));
  const store = new RunStore(dir, { flushMs: 5 });
  const { client, waitFor, service } = setupEngine({ runs: store, loadDataset: (config, seed) => loadDataset(config, seed) });
  try {
    const started = await client.request('train.start', { graph, overrides: { epochs: 1, limit }, probes: { everySteps: 2, maxHz: 30, budget: 0.5, samples: 8 } });
    await waitFor('train.done', () => true, 60_000);
    await waitFor('train.state', (s) => s.state === 'done', 10_000);
    const run = store.open(started.storedRunId!);
    const frames = run.records.filter((r) => r.kind === 'frame').map((r) => ({ step: r.step, frame: (r as { frame: StoredFrame }).frame }));
    const folder = join(dir, started.storedRunId!);
    return { folder, frames, start: started, ...readRunEvents(folder) };
  } finally {
    service.dispose();
  }
}

/** The event at `step` holding `tag`. */
function valueAt(events: readonly ReadEvent[], step: number, tag: string) {
  return events.find((e) => e.step === step && e.values.some((v) => v.tag === tag))?.values.find((v) => v.tag === tag);
}

/** A PNG's pixels, RGBA (decoded by pngjs, for the values; the header is read by hand). */
function pngPixels(b: Uint8Array): { width: number; height: number; data: Uint8Array } {
  const p = PNG.sync.read(Buffer.from(b));
  return { width: p.width, height: p.height, data: new Uint8Array(p.data) };
}

const pixel = (img: { width: number; data: Uint8Array }, x: number, y: number) => [...img.data.subarray((y * img.width + x) * 4, (y * img.width + x) * 4 + 3)];

describe("a run's TensorBoard file holds what the app shows", () => {
  it('an autoencoder: every frame\'s weight, gradient and activation histograms (the probe\'s bins), gradient norms and reconstructions, and the design as a graph', async () => {
    const graph = design('mnist-denoise-ae.json');
    const { folder, frames, events, torn, name } = await recordedRun(graph, 256);
    expect(torn).toBe(0);
    expect(frames.length).toBeGreaterThanOrEqual(2);

    for (const { step, frame } of frames) {
      // Histograms: TensorBoard's buckets are the probe's bins, each one's upper edge its limit.
      for (const [tag, hist, stats] of [
        ...frame.layers.map((l) => [`activations/${l.nodeId}`, l.hist, l.stats] as const),
        ...frame.params.map((p) => [`weights/${p.nodeId}.${p.name}`, p.weightHist, p.weightStats] as const),
        // The gradients as histograms (the Layers tab's), not only their norms.
        ...frame.params.map((p) => [`gradients/${p.nodeId}.${p.name}`, p.gradHist!, p.gradStats!] as const),
      ]) {
        const h = valueAt(events, step, tag)?.histo;
        expect(h, `${tag} at step ${step}`).toBeDefined();
        const counts = Array.from(hist.counts as ArrayLike<number>);
        expect(h!.bucket).toEqual(counts);
        const width = (hist.max - hist.min) / counts.length;
        expect(h!.bucketLimit.length).toBe(counts.length);
        h!.bucketLimit.forEach((limit, i) => expect(limit).toBeCloseTo(hist.min + (i + 1) * width, 12));
        expect(h!.bucketLimit.at(-1)).toBe(hist.max);
        expect([h!.min, h!.max, h!.num]).toEqual([stats.min, stats.max, stats.count]);
        expect(h!.bucket.reduce((a, b) => a + b, 0)).toBe(stats.count);
        expect(h!.sum).toBeCloseTo(stats.mean * stats.count, 6);
        expect(h!.sumSquares / stats.count - (h!.sum / stats.count) ** 2).toBeCloseTo(stats.std ** 2, 6);
      }
      // Gradient flow: ‖∇W‖₂ of every parameter, as the Layers tab's bars.
      for (const p of frame.params) expect(valueAt(events, step, `gradient norm/${p.nodeId}.${p.name}`)?.simple).toBe(Math.fround(p.gradNorm!));
      // Each gradient histogram is the frame's, taken from that step's gradient: its sum of squares is ‖∇W‖₂².
      for (const p of frame.params) {
        expect(p.gradHist?.counts.length, `${p.nodeId}.${p.name}'s gradient histogram`).toBe(32);
        expect(Math.sqrt(valueAt(events, step, `gradients/${p.nodeId}.${p.name}`)!.histo!.sumSquares) / p.gradNorm!).toBeCloseTo(1, 4);
      }

      // Reconstructions, at the first frame and the last (the run takes less than TF_IMAGE_EVERY_S): a grid of 8 columns
      // (the probe samples) × 3 rows (clean, fed, output) of 28 × 28, 2 pixels apart, in one grey channel.
      const image = valueAt(events, step, 'samples/reconstructions')?.image;
      if (step !== frames[0].step && step !== frames.at(-1)!.step) continue;
      expect(image, `reconstructions at step ${step}`).toBeDefined();
      const header = pngHeader(image!.encoded);
      expect(header).toEqual({ width: 2 + 8 * 30, height: 2 + 3 * 30, bitDepth: 8, colourType: 0 });
      expect([image!.width, image!.height, image!.colorspace]).toEqual([header.width, header.height, 1]);
      const png = pngPixels(image!.encoded);
      const samples = frame.samples as Extract<NonNullable<StoredFrame['samples']>, { outputs: unknown }>;
      expect(samples.kind).toBe('reconstruction');
      for (const i of [0, 7]) {
        // The output row's cell of sample i is the app's pixels for that output (its [0, 1] range).
        const app = imagePixels(samples.outputs[i] as ArrayLike<number>, [1, 28, 28], [0, 1])!;
        for (const [x, y] of [[0, 0], [14, 14], [27, 27], [5, 20]]) {
          expect(pixel(png, 2 + i * 30 + x, 2 + 2 * 30 + y), `sample ${i} (${x}, ${y})`).toEqual([...app.data.subarray((y * 28 + x) * 4, (y * 28 + x) * 4 + 3)]);
        }
      }
    }
    // The design: one NodeDef per node, its op, its inputs in order, its attributes and inferred shape.
    const graphEvents = events.filter((e) => e.graphDef);
    expect(graphEvents.length).toBe(1);
    const nodes = decodeGraphDef(graphEvents[0].graphDef!);
    expect(nodes.map((n) => [n.name, n.op, n.inputs])).toEqual(graph.nodes.map((n) => [n.id, n.op, n.inputs]));
    const fc1 = nodes.find((n) => n.name === 'fc1')!;
    expect(attrOf(fc1.attr.get('outFeatures'))).toBe(graph.nodes.find((n) => n.id === 'fc1')!.attrs.outFeatures);
    expect(attrOf(fc1.attr.get('_output_shapes'))).toEqual([[-1, graph.nodes.find((n) => n.id === 'fc1')!.attrs.outFeatures]]);
    expect(attrOf(nodes.find((n) => n.name === 'noisy')!.attr.get('shape'))).toEqual([1, 28, 28]);

    // What it costs: bytes per frame event (histograms, gradient norms and the PNG) and per step.
    const { records } = readTfRecords(readFileSync(join(folder, name)));
    const frameSteps = new Set(frames.map((f) => f.step));
    const sizes = records.map((r, i) => ({ bytes: r.length + 16, e: events[i] }));
    const perFrame = sizes.filter((s) => frameSteps.has(s.e.step) && s.e.values.some((v) => v.histo)).map((s) => s.bytes);
    const perImages = sizes.filter((s) => s.e.values.some((v) => v.image)).map((s) => s.bytes);
    const perStep = sizes.filter((s) => s.e.values.some((v) => v.tag === 'batch loss')).map((s) => s.bytes);
    const mean = (xs: number[]) => Math.round(xs.reduce((a, b) => a + b, 0) / xs.length);
    console.log(`autoencoder: file ${statSync(join(folder, name)).size} B (log.nwr ${statSync(join(folder, 'log.nwr')).size} B); ${frames.length} frames, histograms and norms ${mean(perFrame)} B each; ${perImages.length} image events of ${mean(perImages)} B; steps ${mean(perStep)} B; graph ${graphEvents[0].graphDef!.length} B`);
    expect(perFrame.every((b) => b < 16 * 1024)).toBe(true);
    expect(perImages.every((b) => b < 16 * 1024)).toBe(true);
  }, 120_000);

  it('a classifier: its predictions on image inputs framed green when right, red when wrong, over a bar of its confidence', async () => {
    const graph = design('mnist-mlp.json');
    const { frames, events, start } = await recordedRun(graph, 256);
    const { step, frame } = frames.at(-1)!;
    const image = valueAt(events, step, 'samples/predictions')?.image;
    expect(image).toBeDefined();
    // One row of 8 cells: 28 × 28 inside a 2-pixel frame, a gap and a 3-pixel bar below.
    expect(pngHeader(image!.encoded)).toEqual({ width: 2 + 8 * (32 + 2), height: 2 + 36 + 2, bitDepth: 8, colourType: 2 });
    expect(image!.colorspace).toBe(3);
    const png = pngPixels(image!.encoded);
    const samples = frame.samples as Extract<StoredFrame['samples'], { kind: 'classification' }>;
    samples.predicted.forEach((p, i) => {
      const colour = p === samples.targets[i] ? [31, 157, 85] : [214, 69, 69];
      const x0 = 2 + i * 34;
      expect(pixel(png, x0, 2), `sample ${i}'s frame`).toEqual(colour);
      const conf = Number((samples.probs[i] as ArrayLike<number>)[p]);
      const bar = Math.round(conf * 32);
      if (bar > 0) expect(pixel(png, x0 + bar - 1, 2 + 35)).toEqual(colour);
      if (bar < 32) expect(pixel(png, x0 + bar, 2 + 35)).toEqual([40, 40, 40]);
      // Inside the frame: the input as the app draws it.
      const app = imagePixels(start.probeSamples.inputs[i], start.probeSamples.shape)!;
      expect(pixel(png, x0 + 2 + 14, 2 + 2 + 14)).toEqual([...app.data.subarray((14 * 28 + 14) * 4, (14 * 28 + 14) * 4 + 3)]);
    });
    expect(valueAt(events, step, 'weights/fc1.weight')?.histo?.bucket.length).toBe(32);
  }, 120_000);

  it('a CLI run (no probe frames) has the graph and no histogram or image', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nw-tfevents-cli-'));
    expect(await trainCli([join(EXAMPLES, 'iris-mlp.json'), '--epochs', '1', '--runs', dir], () => {}, () => {})).toBe(0);
    const { events } = readRunEvents(join(dir, new RunStore(dir).list()[0].id));
    const graph = design('iris-mlp.json');
    const graphDefs = events.filter((e) => e.graphDef);
    expect(graphDefs.map((e) => e.step)).toEqual([0]);
    expect(decodeGraphDef(graphDefs[0].graphDef!).map((n) => [n.name, n.op, n.inputs])).toEqual(graph.nodes.map((n) => [n.id, n.op, n.inputs]));
    expect(events.flatMap((e) => e.values).filter((v) => v.histo || v.image)).toEqual([]);
  }, 60_000);

  it("a design's groups are the graph's scopes, and a name TensorBoard would misread (`:`, `^`, a lone surrogate) is written with `_`", () => {
    const graph: GraphIR = {
      format: 'netwright.graph',
      version: 3,
      nodes: [
        { id: 'x', op: 'Input', attrs: { shape: [4] }, inputs: [] },
        { id: 'fc:1', op: 'Linear', attrs: { outFeatures: 3, bias: true }, inputs: ['x'], frozen: true },
        { id: '^act\ud800', op: 'ReLU', attrs: {}, inputs: ['fc:1'] },
      ],
      outputs: {},
      groups: [
        { id: 'g1', name: 'features', nodes: ['fc:1', '^act\ud800'] },
        { id: 'g2', name: 'block 1', parent: 'g1', nodes: ['fc:1'] },
      ],
    };
    const { records } = readTfRecords(graphEvent(graph, 1.7e9));
    const nodes = decodeGraphDef(decodeEvent(records[0]).graphDef!);
    expect(nodes.map((n) => [n.name, n.inputs])).toEqual([
      ['x', []],
      ['features/block_1/fc_1', ['x']],
      ['features/_act_', ['features/block_1/fc_1']],
    ]);
    expect(attrOf(nodes[1].attr.get('frozen'))).toBe(true);
    expect(attrOf(nodes[1].attr.get('bias'))).toBe(true);
    expect(attrOf(nodes[1].attr.get('_output_shapes'))).toEqual([[-1, 3]]);
  });

  it("a GAN's samples are one grid; a table's or text's frames give no image", () => {
    const gan = { samples: Float32Array.from({ length: 9 * 16 }, (_, i) => (i % 16) / 15), count: 9, shape: [1, 4, 4], dReal: 0.5, dFake: 0.5, diversity: 1, realDiversity: 1, hints: [] };
    const [grid] = frameImages({ gan }, undefined);
    expect([grid.tag, grid.width, grid.height, grid.grey]).toEqual(['samples/generated', 2 + 3 * 6, 2 + 3 * 6, true]);
    // Sample 4 (the middle cell) at its last pixel: 1 → 255, as the app's [0, 1] range draws it.
    expect(grid.rgba[((2 + 6 + 3) * grid.width + 2 + 6 + 3) * 4]).toBe(255);
    const table = { shape: [4], inputs: [[1, 2, 3, 4]], targets: [0] };
    expect(frameImages({ samples: { kind: 'classification', probs: [Float32Array.of(0.2, 0.8)], predicted: [1], targets: [0] } }, table)).toEqual([]);
    expect(frameImages({ samples: { kind: 'regression', outputs: [Float32Array.of(0.5)], shape: [1] } }, table)).toEqual([]);
  });

  it("a language model's frames: its next-character guesses as the text plugin's markdown, a ^ under each wrong one", () => {
    const probe = { shape: [5], inputs: [[3, 2, 4, 1, 2]], targets: [[2, 4, 1, 2, 0]] };
    const frame = { samples: { kind: 'sequence' as const, predicted: [[2, 4, 1, 1, 0]], confidence: [Float32Array.of(0.5, 0.25, 0.9, 0.4, 0.8)] } };
    const texts = frameTexts(frame, probe, ['\n', ' ', 'a', 'c', 't']);
    expect(texts).toEqual([{ tag: 'samples/next characters', markdown: '**sample 1**: 80 % right\n\n```\ntruth  at a↵\nguess  at  ↵\nwrong     ^\n```' }]);
    const { records } = readTfRecords(textsEvent(texts, 7, 1.7e9)!);
    const e = decodeEvent(records[0]);
    expect(e.step).toBe(7);
    expect(e.values.map((v) => [v.tag, v.plugin, v.dtype, v.strings])).toEqual([['samples/next characters', 'text', 7, [texts[0].markdown]]]);
    // Frames of other kinds give no text (their samples are images, or nothing).
    expect(frameTexts({ samples: { kind: 'classification', probs: [Float32Array.of(0.2, 0.8)], predicted: [1], targets: [0] } }, probe, [])).toEqual([]);
  });

  // TensorBoard's own reader, where this machine has it (it is not a dependency: nothing is installed for this test).
  const python = '/usr/bin/python3';
  const probe = spawnSync(python, ['-c', 'import tensorboard'], { encoding: 'utf8' });
  const tensorboard = probe.status === 0;
  const why = tensorboard ? '' : ` (skipped: ${python} cannot import tensorboard${probe.error ? `: ${probe.error.message}` : ''})`;
  it.skipIf(!tensorboard)(`TensorBoard's EventAccumulator reads the histograms, images and graph${why}`, async () => {
    const { folder, frames } = await recordedRun(design('mnist-denoise-ae.json'), 128);
    const script = join(mkdtempSync(join(tmpdir(), 'nw-tb-')), 'read.py');
    writeFileSync(
      script,
      [
        'import json, sys',
        'from tensorboard.backend.event_processing.event_accumulator import EventAccumulator',
        'ea = EventAccumulator(sys.argv[1], size_guidance={"histograms": 0, "images": 0, "scalars": 0})',
        'ea.Reload()',
        'tags = ea.Tags()',
        'h = ea.Histograms("weights/fc1.weight")',
        'img = ea.Images("samples/reconstructions")',
        'g = ea.Graph()',
        'print(json.dumps({"histograms": tags["histograms"], "images": tags["images"], "graph": tags["graph"], "steps": [x.step for x in h], "buckets": list(h[-1].histogram_value.bucket), "image": [img[-1].width, img[-1].height], "nodes": [n.name for n in g.node]}))',
      ].join('\n'),
    );
    const r = spawnSync(python, [script, folder], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const read = JSON.parse(r.stdout) as { histograms: string[]; images: string[]; graph: boolean; steps: number[]; buckets: number[]; image: number[]; nodes: string[] };
    expect(read.histograms).toContain('activations/fc1');
    expect(read.images).toEqual(['samples/reconstructions']);
    expect(read.graph).toBe(true);
    expect(read.steps).toEqual(frames.map((f) => f.step));
    expect(read.buckets).toEqual(Array.from(frames.at(-1)!.frame.params.find((p) => p.nodeId === 'fc1' && p.name === 'weight')!.weightHist.counts as ArrayLike<number>));
    expect(read.image).toEqual([242, 92]);
    expect(read.nodes).toContain('fc1');
  }, 120_000);
});

