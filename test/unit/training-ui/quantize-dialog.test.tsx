/**
 * Export ▸ Quantize… (#85): the dialog offers the int8 format's own choices (the engine's export
 * table) and draws what `model.quantize` answers: float32 beside int8 (metric, size, latency at
 * batch 1, throughput at batch 32 and what ran each), the classes that moved, each layer's
 * sensitivity; while it measures, the engine's progress and a Cancel; figures of a model that is no
 * longer the one Export would export are not shown as its own.
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { QUANTIZE_SETTINGS } from '../../../src-engine/core/quantize/export-format';
import { createMemoryChannelPair, RpcClient, RpcServer, type ParamsOf } from '../../../src-engine/protocol';
import { ConfusionPair, QuantizeFigures, QuantizeStatus } from '../../../src-renderer/src/components/QuantizeDialog';
import { ConfusionMatrix } from '../../../src-renderer/src/components/training/ConfusionMatrix';
import { MOST_CONFUSION_CLASSES } from '../../../src-renderer/src/training/charts';
import { int8Choices, measureQuantization, measuredWith, quantizeSourceKey, showChange, showLatency, showMetric, showRate, toggleKept, worstLayer, type QuantizeProgress, type QuantizeReport } from '../../../src-renderer/src/training/quantize';
import { parseProject } from '../../../src-renderer/src/editor/project';
import { createWindowStores } from '../../../src-renderer/src/state/window-stores';
import { twoMoonsGraph } from '../session/fixtures';

/** The confusion matrices the dialog draws (ConfusionMatrix's grids): each side's classes and cells (count, title, marked). */
function matrices(html: string) {
  return [...html.matchAll(/<div class="compare__confusion" data-side="(\w+)">.*?data-testid="compare-matrix" data-classes="([^"]*)">(.*?)<\/div><\/div><\/div>/g)].map(([, side, classes, body]) => ({
    side,
    classes,
    cells: [...body.matchAll(/<span( class="compare__matrix-changed" data-changed="true")? style="[^"]*" title="(true [^"]*)">(-?\d*)<\/span>/g)].map((c) => ({ changed: c[1] !== undefined, title: c[2], count: Number(c[3]) })),
  }));
}

const REPORT: QuantizeReport = {
  method: 'entropy',
  samples: 256,
  calibratedOn: 'mnist, its training split',
  testSamples: 1000,
  metric: 'accuracy',
  float: { metric: 0.894, bytes: 442_982 },
  int8: { metric: 0.895, bytes: 120_218 },
  changed: 5,
  moved: [
    { name: '8', samples: 97, float: 75, int8: 76, changed: 3 },
    { name: '<b>4</b>', samples: 98, float: 88, int8: 89, changed: 2 },
  ],
  sensitivity: [
    { layer: 'fc1', metric: 0.86, change: 0 },
    { layer: 'fc3', metric: 0.855, change: -0.005 },
  ],
  sensitivitySamples: 200,
};

/** The same with the engine's timings, as it answers them now. */
const TIMED: QuantizeReport = {
  ...REPORT,
  float: { ...REPORT.float, latencyMs: 0.2341, perSecond: 41_236.4 },
  int8: { ...REPORT.int8, latencyMs: 0.1012, perSecond: 95_012.9 },
  timedBatch: 32,
  floatRuntime: 'CPU · 2 threads (WebAssembly SIMD)',
  int8Runtime: 'WebAssembly SIMD',
};

describe('Export ▸ Quantize…', () => {
  it("draws float32 beside int8, the moved classes as text, and each layer's sensitivity", () => {
    const html = renderToStaticMarkup(<QuantizeFigures report={REPORT} />);
    expect(html).toContain('Calibrated (entropy) on 256 samples of mnist, its training split; measured on 1000 test samples.');
    expect(html).toMatch(/<tr data-row="metric"><th>accuracy<\/th><td>89\.40%<\/td><td>89\.50%<\/td><\/tr>/);
    expect(html).toMatch(/<tr data-row="size"><th>size \(ONNX\)<\/th><td>432\.6 KiB<\/td><td>117\.4 KiB \(27%\)<\/td><\/tr>/);
    // A class name is text, never markup.
    expect(html).toContain('8 75→76 right (3 changed), &lt;b&gt;4&lt;/b&gt; 88→89 right (2 changed)');
    expect([...html.matchAll(/data-layer="([^"]+)" data-change="([^"]+)"/g)].map((m) => [m[1], Number(m[2])])).toEqual([['fc1', 0], ['fc3', -0.005]]);
    expect(html).toContain('−0.50 points');
    // The sensitivity's own sample count: its figures (86 %) are the first 200 samples', not the 1000's (89.4 %).
    expect(html).toContain('on the first 200 test samples (its figures are theirs, not the 1000 above)');
    expect(html).toContain('5 of 1000 test samples changed class');
    // A segmenter's changes are pixels, among every test pixel.
    expect(renderToStaticMarkup(<QuantizeFigures report={{ ...REPORT, testSamples: 200, positions: 1024, changed: 998, moved: undefined }} />)).toContain('998 of 204800 test pixels changed class');
    expect([showMetric('mse', 0.11824), showChange('mse', 0.000323), showChange('accuracy', 0)]).toEqual(['0.1182', '+0.000323', '±0.00 points']);
  });

  it('draws latency at batch 1 and throughput at batch 32 beside size and accuracy, with what ran each side; none where the engine timed nothing', () => {
    const html = renderToStaticMarkup(<QuantizeFigures report={TIMED} />);
    expect(html).toMatch(/<tr data-row="latency"><th>latency, batch 1<\/th><td>0\.234 ms<\/td><td>0\.101 ms \(2\.3× faster\)<\/td><\/tr>/);
    expect(html).toMatch(/<tr data-row="throughput"><th>throughput, batch 32<\/th><td>41,236\/s<\/td><td>95,013\/s \(2\.3× faster\)<\/td><\/tr>/);
    expect(html).toMatch(/<tr data-row="runtime"><th>run by<\/th><td>CPU · 2 threads \(WebAssembly SIMD\)<\/td><td>WebAssembly SIMD<\/td><\/tr>/);
    // Slower int8 says so.
    const slow = renderToStaticMarkup(<QuantizeFigures report={{ ...TIMED, int8: { ...TIMED.int8, latencyMs: 0.7023, perSecond: 13_000 } }} />);
    expect(slow).toContain('0.702 ms (3.0× slower)');
    expect(slow).toContain('13,000/s (3.2× slower)');
    expect(renderToStaticMarkup(<QuantizeFigures report={REPORT} />)).not.toMatch(/data-row="(latency|throughput)"/);
    expect([showLatency(123.4), showLatency(7.891), showRate(4.5), showRate(1234.5)]).toEqual(['123 ms', '7.89 ms', '4.50/s', '1,235/s']);
  });

  it("draws float32's and int8's confusion matrices side by side with the shared ConfusionMatrix, int8's changed cells marked with float32's count, names as text", () => {
    const confusion = {
      classes: ['cat', '<i>dog</i>', 'a long class name'],
      float: [
        [5, 1, 0],
        [0, 6, 0],
        [1, 0, 4],
      ],
      int8: [
        [4, 2, 0],
        [0, 6, 0],
        [1, 0, 4],
      ],
    };
    const html = renderToStaticMarkup(<QuantizeFigures report={{ ...TIMED, confusion }} />);
    const sides = matrices(html);
    expect(sides.map((m) => m.side)).toEqual(['float', 'int8']);
    // Both sides are ConfusionMatrix's grid (Compare's and Evaluate's), its counts row by row: float32's the same markup as the component alone.
    expect(html).toContain(renderToStaticMarkup(<ConfusionMatrix m={confusion.float} classes={confusion.classes} />));
    expect(sides[0].cells.map((c) => c.count)).toEqual(confusion.float.flat());
    expect(sides[1].cells.map((c) => c.count)).toEqual(confusion.int8.flat());
    // Only int8's two changed cells are marked, each with float32's count; float32's side has none.
    expect(sides[1].cells.filter((c) => c.changed).map((c) => c.title)).toEqual(['true cat, predicted cat: 4 (float32: 5)', 'true cat, predicted &lt;i&gt;dog&lt;/i&gt;: 2 (float32: 1)']);
    expect(sides[0].cells.some((c) => c.changed)).toBe(false);
    // A class name is text, never markup.
    expect(html).not.toContain('<i>dog</i>');
    expect(html).toContain('title="predicted &lt;i&gt;dog&lt;/i&gt;">&lt;i&gt;dog&lt;/i&gt;</span>');
    // Past MOST_CONFUSION_CLASSES, both sides show the same classes (float32's most frequent, then "rest"), marked as before.
    const n = MOST_CONFUSION_CLASSES + 5;
    const eye = (k: number) => Array.from({ length: n }, (_, a) => Array.from({ length: n }, (_, b) => (a === b ? 10 + (a % 7) * k : 0)));
    const moved = eye(1).map((row, a) => (a === 3 ? row.map((v, b) => (b === 4 ? 2 : b === 3 ? v - 2 : v)) : row));
    const many = matrices(renderToStaticMarkup(<ConfusionPair confusion={{ classes: Array.from({ length: n }, (_, i) => `c${i}`), float: eye(1), int8: moved }} />));
    expect(many.map((m) => m.classes)).toEqual([many[0].classes, many[0].classes]);
    expect(many[0].classes.split(',')).toHaveLength(MOST_CONFUSION_CLASSES + 1);
    expect(many[1].cells.filter((c) => c.changed).map((c) => c.title)).toEqual(['true c3, predicted c3: 11 (float32: 13)', 'true c3, predicted c4: 2 (float32: 0)']);
    expect(renderToStaticMarkup(<QuantizeFigures report={TIMED} />)).not.toContain('quantize-confusion');
  });

  it("ConfusionMatrix draws counts from 10,000 on in thousands, as the Samples tab does (a segmenter's pixels in 30 px cells), the exact count in the title", () => {
    const html = renderToStaticMarkup(<ConfusionMatrix m={[[328_208, 440], [16_290, 3638]]} classes={['background', 'circle']} />);
    expect([...html.matchAll(/title="(true [^"]*, predicted [^"]*)">([^<]*)<\/span>/g)].map((c) => [c[1], c[2]])).toEqual([
      ['true background, predicted background: 328208', '328k'],
      ['true background, predicted circle: 440', '440'],
      ['true circle, predicted background: 16290', '16k'],
      ['true circle, predicted circle: 3638', '3638'],
    ]);
  });

  it('ConfusionMatrix marks nothing and adds nothing for its other users (Compare, Evaluate)', () => {
    const m = [
      [3, 1],
      [0, 4],
    ];
    const plain = renderToStaticMarkup(<ConfusionMatrix m={m} classes={['a', 'b']} />);
    expect(plain).not.toMatch(/compare__matrix-changed|data-changed|float32/);
    // The same matrix against itself: nothing differs, the same markup.
    expect(renderToStaticMarkup(<ConfusionMatrix m={m} classes={['a', 'b']} changedFrom={{ m, label: 'float32' }} />)).toBe(plain);
  });

  it("shows the engine's progress while it measures, and says when it was cancelled or the model changed", () => {
    const at = (progress?: QuantizeProgress) => renderToStaticMarkup(<QuantizeStatus state={{ kind: 'measuring', key: 'k', ...(progress ? { progress } : {}) }} />);
    expect(at()).toContain('Starting…');
    expect(at({ phase: 'calibrating', done: 0, total: 256 })).toContain('Calibrating on the training split…');
    expect(at({ phase: 'timing', done: 0, total: 0 })).toContain('Timing batch 1 and batch 32…');
    const pass = at({ phase: 'sensitivity', done: 37, total: 200 });
    expect(pass).toContain('Per-layer sensitivity: 37 of 200 samples');
    expect(pass).toContain('<progress value="37" max="200">');
    expect(renderToStaticMarkup(<QuantizeStatus state={{ kind: 'cancelled' }} />)).toContain('Cancelled: nothing was measured.');
    expect(renderToStaticMarkup(<QuantizeStatus state={{ kind: 'stale' }} />)).toContain('changed (the design, or the run on screen): measure again');
    expect(renderToStaticMarkup(<QuantizeStatus state={{ kind: 'idle' }} />)).toBe('');
  });

  it('measures with an id of its own: hears its progress only, passes its cancel to the engine, and stops listening when answered', async () => {
    const w = createWindowStores();
    const parsed = parseProject(JSON.stringify(twoMoonsGraph()));
    if (!parsed.ok) throw new Error(parsed.message);
    w.editor.getState().load(parsed.doc, { name: 'moons' });
    const [a, b] = createMemoryChannelPair();
    const asked: ParamsOf<'model.quantize'>[] = [];
    let cancelled = false;
    const server: RpcServer = new RpcServer(b, {
      'model.quantize': async (p: ParamsOf<'model.quantize'>, { signal }: { signal: AbortSignal }) => {
        asked.push(p);
        server.emit('quantize.progress', { progressId: 'someone-else', phase: 'timing', done: 0, total: 0 });
        server.emit('quantize.progress', { progressId: p.progressId!, phase: 'sensitivity', done: 5, total: 200 });
        if (asked.length === 1) return TIMED;
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        cancelled = true;
        throw Object.assign(new Error('cancelled'), { code: 'E_CANCELLED' });
      },
    });
    const client = new RpcClient(a);
    w.engine.setState({ client });
    const heard: QuantizeProgress[] = [];
    expect(await measureQuantization(w, 'entropy', 64, { onProgress: (p) => heard.push(p) })).toEqual(TIMED);
    expect(asked[0]).toMatchObject({ source: { kind: 'initial' }, method: 'entropy', samples: 64, progressId: expect.stringMatching(/^quantize-\d+$/) });
    expect(heard).toEqual([{ phase: 'sensitivity', done: 5, total: 200 }]);
    // Answered: its listener is gone (an event for it now reaches no one).
    server.emit('quantize.progress', { progressId: asked[0].progressId!, phase: 'sensitivity', done: 6, total: 200 });
    await new Promise((r) => setTimeout(r, 5));
    expect(heard.length).toBe(1);
    const stop = new AbortController();
    const second = measureQuantization(w, 'minmax', 64, { signal: stop.signal, onProgress: (p) => (heard.push(p), stop.abort()) });
    await expect(second).rejects.toMatchObject({ code: 'E_CANCELLED' });
    await new Promise((r) => setTimeout(r, 5));
    expect(cancelled).toBe(true);
    expect(asked[1].progressId).not.toBe(asked[0].progressId);
  });

  it("keys a measurement by what Export would export: the design's weights change with the design, not with a selection", () => {
    const w = createWindowStores();
    const parsed = parseProject(JSON.stringify(twoMoonsGraph()));
    if (!parsed.ok) throw new Error(parsed.message);
    w.editor.getState().load(parsed.doc, { name: 'moons' });
    const before = quantizeSourceKey(w);
    const first = w.editor.getState().history.present.graph.nodes.find((n) => n.op === 'Linear')!;
    w.editor.getState().select([first.id]);
    expect(quantizeSourceKey(w)).toBe(before);
    w.editor.getState().edit({ kind: 'set-attrs', nodeIds: [first.id], attrs: { outFeatures: 7 } });
    expect(quantizeSourceKey(w)).not.toBe(before);
    // A run on screen is what Export exports: its key is the run's, whatever the design.
    w.run.setState({ runId: 'run-1', phase: 'done', graph: w.editor.getState().history.present.graph });
    expect(JSON.parse(quantizeSourceKey(w))).toEqual({ kind: 'current', runId: 'run-1', phase: 'done' });
  });

  it('a "keep in float" checkbox per layer, the worst marked; kept layers listed as measured in float32; figures of another set marked, not shown as the checked set\'s', () => {
    const boxes = (html: string) => [...html.matchAll(/<input type="checkbox" data-testid="quantize-keep"[^>]*>/g)].map(([tag]) => [/value="([^"]+)"/.exec(tag)![1], tag.includes('checked=""')]);
    const onKeep = () => {};
    // Nothing kept: a box per int8 layer, none checked; fc3 (−0.5 points) marked as the worst, fc1 (±0) not.
    const plain = renderToStaticMarkup(<QuantizeFigures report={REPORT} keep={[]} onKeep={onKeep} />);
    expect(boxes(plain)).toEqual([['fc1', false], ['fc3', false]]);
    expect([...plain.matchAll(/data-layer="(\w+)"[^>]*data-worst="true"/g)].map((m) => m[1])).toEqual(['fc3']);
    expect(plain).toContain('costs most');
    expect(plain).not.toContain('data-stale');
    // fc3 checked, not yet measured: the figures are every-layer-int8's, and say so.
    const checked = renderToStaticMarkup(<QuantizeFigures report={REPORT} keep={['fc3']} onKeep={onKeep} />);
    expect(boxes(checked)).toEqual([['fc1', false], ['fc3', true]]);
    expect(checked).toContain('data-stale="true"');
    expect(checked).toContain('These figures were measured with every layer in int8, not the layers checked now (fc3): measure again');
    // Measured with fc3 kept: fc3 is no longer in the sensitivity (it is not in int8), listed as kept and checked; nothing stale.
    const measured: QuantizeReport = { ...REPORT, sensitivity: [{ layer: 'fc1', metric: 0.86, change: -0.001 }], keptFloat: ['fc3'] };
    const after = renderToStaticMarkup(<QuantizeFigures report={measured} keep={['fc3']} onKeep={onKeep} />);
    expect(boxes(after)).toEqual([['fc1', false], ['fc3', true]]);
    expect(after).toContain('<li data-layer="fc3" data-kept="true">');
    expect(after).toContain('with fc3 kept in float32 (their weights float32 in the file)');
    expect(after).not.toContain('data-stale');
    // Unchecked again: those figures are fc3-kept's, marked.
    expect(renderToStaticMarkup(<QuantizeFigures report={measured} keep={[]} onKeep={onKeep} />)).toContain('measured with fc3 kept in float32, not the layers checked now (no layer)');
    // Without a handler (a report shown alone) the boxes show the report's set and cannot be changed.
    const alone = renderToStaticMarkup(<QuantizeFigures report={measured} />);
    expect(boxes(alone)).toEqual([['fc1', false], ['fc3', true]]);
    expect(alone.match(/<input [^>]*disabled=""/g)?.length).toBe(2);
    expect([toggleKept(['a'], 'b', true), toggleKept(['a', 'b'], 'a', false), toggleKept(['a'], 'a', true)]).toEqual([['a', 'b'], ['b'], ['a']]);
    expect([measuredWith(measured, ['fc3']), measuredWith(measured, []), measuredWith(REPORT, []), measuredWith({ keptFloat: ['a', 'b'] }, ['b', 'a'])]).toEqual([true, false, true, true]);
    // MSE: the layer that adds most error is the worst; none where no layer costs anything.
    expect(worstLayer({ metric: 'mse', sensitivity: [{ layer: 'a', metric: 1, change: 0.1 }, { layer: 'b', metric: 1, change: 0.3 }] })).toBe('b');
    expect(worstLayer({ metric: 'accuracy', sensitivity: [{ layer: 'a', metric: 1, change: 0 }] })).toBeUndefined();
  });

  it('measures with the layers checked: model.quantize carries keepFloat, none when none are checked', async () => {
    const w = createWindowStores();
    const parsed = parseProject(JSON.stringify(twoMoonsGraph()));
    if (!parsed.ok) throw new Error(parsed.message);
    w.editor.getState().load(parsed.doc, { name: 'moons' });
    const [a, b] = createMemoryChannelPair();
    const asked: ParamsOf<'model.quantize'>[] = [];
    new RpcServer(b, { 'model.quantize': async (p: ParamsOf<'model.quantize'>) => (asked.push(p), { ...TIMED, keptFloat: p.keepFloat }) });
    w.engine.setState({ client: new RpcClient(a) });
    expect((await measureQuantization(w, 'minmax', 64, { keepFloat: ['fc3'] })).keptFloat).toEqual(['fc3']);
    await measureQuantization(w, 'minmax', 64, { keepFloat: [] });
    expect(asked.map((p) => p.keepFloat)).toEqual([['fc3'], undefined]);
  });

  it("offers the int8 format's choices as the engine's export table declares them", () => {
    const w = { exports: { getState: () => ({ formats: [{ id: 'onnx-int8', settings: QUANTIZE_SETTINGS.map((s) => ({ ...s, choices: [...s.choices] })) }] }) } } as unknown as Parameters<typeof int8Choices>[0];
    expect(int8Choices(w, 'method')).toEqual({ values: ['minmax', 'percentile', 'entropy'], default: 'minmax' });
    expect(int8Choices(w, 'samples')).toEqual({ values: ['64', '256', '1024'], default: '256' });
    const none = { exports: { getState: () => ({ formats: [] }) } } as unknown as Parameters<typeof int8Choices>[0];
    expect(int8Choices(none, 'method')).toBeUndefined();
  });
});
