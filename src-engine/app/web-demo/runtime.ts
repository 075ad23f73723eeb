/**
 * The engine half of the web demo's script (core/export/web-demo.ts): a model file's text loaded
 * into the Playground's own predictor (`LoadedModel` on the reference backend), answering images,
 * texts and values as `model.predict` answers them. Bundled for the browser with the page's script
 * (src-renderer/demo/page.ts) by node/web-demo-runtime.ts; it touches no DOM.
 */
import { createReferenceBackend } from '../../core/backend/reference';
import { imageToSample } from '../../core/data';
import { readsTexts } from '../../core/data/model-texts';
import { modelFromJSON } from '../../core/export/json';
import type { WebDemoAnswer, WebDemoInput, WebDemoModel, WebDemoRuntime } from '../../core/export/web-demo';
import type { ResultOf } from '../../protocol';
import { LoadedModel } from '../session/loaded-model';

/** How many classes the page lists. */
const TOP = 5;

/** A `model.predict` answer as the page shows it. */
function answerOf(p: ResultOf<'model.predict'>): WebDemoAnswer {
  if (p.kind === 'probabilities') {
    const ranked = p.values.map((probability, index) => ({ name: p.classNames[index] ?? String(index), index, probability })).sort((a, b) => b.probability - a.probability || a.index - b.index);
    return { kind: 'classes', top: ranked.slice(0, TOP) };
  }
  if (p.kind === 'output') return { kind: 'values', values: p.values };
  return { kind: 'other', what: `a ${p.kind} answer, which this page does not draw; use the app's Playground` };
}

/** A model file's text as the page's model. */
export function loadWebDemoModel(text: string): WebDemoModel {
  const model = modelFromJSON(text);
  const loaded = new LoadedModel('web-demo', model, createReferenceBackend());
  const shape = loaded.featureShape;
  const input: WebDemoInput =
    readsTexts(model) ? { kind: 'typed' } : shape.length === 3 && [1, 3, 4].includes(shape[0]) ? { kind: 'image', channels: shape[0], height: shape[1], width: shape[2] } : { kind: 'values', count: shape.reduce((a, b) => a * b, 1) };
  return {
    name: model.graph.name?.trim() || 'Netwright model',
    input,
    predictImage(image) {
      const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
      imageToSample({ width: image.width, height: image.height, data: new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.byteLength) }, shape, out, 0);
      return answerOf(loaded.predict(Array.from(out)));
    },
    predictText: (text) => answerOf(loaded.predict([], false, text)),
    predictValues: (values) => answerOf(loaded.predict(values)),
  };
}

const runtime: WebDemoRuntime = { load: loadWebDemoModel };
(globalThis as { netwrightDemo?: WebDemoRuntime }).netwrightDemo = runtime;
