/**
 * The web demo export (`netwright export --format web`): a folder anyone can open, from a static
 * server or from disk, offline, to try the model as the Playground shows it — drop or pick an
 * image, draw, type a text or use a camera, and read the top classes with their probabilities.
 *
 * The folder: `index.html` (the page, its style inline), `model.js` (the Netwright model file as
 * one string, set on `globalThis`: a `<script src>` loads from `file://`, where a fetch of a JSON
 * or a .wasm file is refused), `netwright-demo.js` (the engine's inference and the page's script,
 * bundled for the browser by the host: `options.pageRuntime`) and `README.md` (the model card,
 * also shown on the page). The page asks nothing of the network: its Content-Security-Policy
 * allows its own scripts and nothing to connect to.
 */
import { ExportError, type ExportBundle } from './bundle';
import { modelToJSONText } from './json';
import { modelCard } from './model-card';
import type { TrainedModel } from './model';

/** The global `model.js` sets: the model file's text. */
export const WEB_DEMO_MODEL_GLOBAL = 'NETWRIGHT_DEMO_MODEL';

/** The runtime script's file name in the folder. */
export const WEB_DEMO_RUNTIME_FILE = 'netwright-demo.js';

/** What the page's input controls are: which the page shows for this model. */
export type WebDemoInput = { kind: 'image'; channels: number; height: number; width: number } | { kind: 'typed' } | { kind: 'values'; count: number };

/** One answer as the page shows it: a classifier's top classes, or output values. */
export type WebDemoAnswer = { kind: 'classes'; top: { name: string; index: number; probability: number }[] } | { kind: 'values'; values: number[] } | { kind: 'other'; what: string };

/** What the bundled engine offers the page (`globalThis.netwrightDemo.load(text)`). */
export interface WebDemoModel {
  name: string;
  input: WebDemoInput;
  /** An RGBA image (as canvas `getImageData` gives it) converted as training converts one. */
  predictImage(image: { width: number; height: number; data: Uint8Array | Uint8ClampedArray }): WebDemoAnswer;
  /** A text, encoded by the model's own tokenizer. */
  predictText(text: string): WebDemoAnswer;
  /** Values in the dataset's units. */
  predictValues(values: readonly number[]): WebDemoAnswer;
}

/** The bundled runtime's entry point, set on `globalThis.netwrightDemo`. */
export interface WebDemoRuntime {
  load(modelText: string): WebDemoModel;
}

/** HTML-escaped text (`&`, `<`, `>`, quotes). */
function html(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The page's policy: its own files only (`file:` ones too, which Chromium does not count as
 * 'self' from disk), inline style, images and video from blobs or data URLs; nothing from or to
 * anywhere else.
 * NOTE: 'unsafe-eval' because the reference backend compiles its fused elementwise kernels with
 * `new Function` (core/elementwise); the page loads no script but its own two.
 */
export const WEB_DEMO_CSP = "default-src 'self' file:; script-src 'self' file: 'unsafe-eval'; style-src 'unsafe-inline'; img-src 'self' data: blob:; media-src blob: mediastream:; base-uri 'self'; form-action 'self'";

const STYLE = `
body{font:15px/1.45 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
main{max-width:920px;margin:0 auto;padding:20px}
h1{font-size:22px;margin:0 0 4px}
.sub{color:#5b6475;margin:0 0 16px}
.cols{display:flex;gap:20px;flex-wrap:wrap}
.card{background:#fff;border:1px solid #dde1e8;border-radius:8px;padding:14px;flex:1 1 380px}
#drop{border:2px dashed #9aa5b8;border-radius:8px;padding:18px;text-align:center;color:#5b6475}
#drop.over{border-color:#3563e9;background:#eef2fd}
#preview{max-width:100%;height:140px;object-fit:contain;image-rendering:pixelated;display:block;margin:10px auto}
#pad{background:#000;border-radius:6px;touch-action:none;cursor:crosshair}
button{font:inherit;padding:5px 12px;border-radius:6px;border:1px solid #9aa5b8;background:#fff;cursor:pointer}
textarea{width:100%;box-sizing:border-box;font:inherit}
.row{display:flex;align-items:center;gap:8px;margin:6px 0}
.bar{flex:1;height:14px;background:#e8ebf0;border-radius:7px;overflow:hidden}
.bar>i{display:block;height:100%;background:#3563e9}
.name{width:30%;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.p{width:64px;text-align:right;font-variant-numeric:tabular-nums}
#error{color:#b3261e}
pre{white-space:pre-wrap;font-size:13px}
[hidden]{display:none!important}
`;

/** The page: its controls empty until the runtime fills them for the model. */
function indexHtml(title: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${WEB_DEMO_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${html(title)} · Netwright demo</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1 id="title">${html(title)}</h1>
<p class="sub" id="about">Runs in this page, offline: nothing you give it leaves your computer.</p>
<div class="cols">
<section class="card" id="inputs">
<div id="image-input" hidden>
<div id="drop">Drop an image here, or <label><input type="file" id="file" accept="image/png,image/jpeg,image/webp,image/gif,image/bmp"></label></div>
<img id="preview" alt="" hidden>
<div id="draw" hidden><p>Or draw:</p><canvas id="pad" width="280" height="280"></canvas><div><button id="clear" type="button">Clear</button></div></div>
<div id="camera" hidden><p><button id="camera-start" type="button">Use camera</button></p><video id="video" playsinline muted hidden width="280"></video></div>
</div>
<div id="text-input" hidden><label for="typed-text">Type a text:</label><textarea id="typed-text" rows="5"></textarea><button id="text-go" type="button">Predict</button></div>
<div id="values-input" hidden><label for="values">Values, separated by commas:</label><textarea id="values" rows="3"></textarea><button id="values-go" type="button">Predict</button></div>
</section>
<section class="card">
<h2 style="font-size:17px;margin:0 0 8px">Prediction</h2>
<p id="status">Give the model an input.</p>
<p id="error" role="alert"></p>
<div id="result" aria-live="polite"></div>
</section>
</div>
<section class="card" style="margin-top:20px"><h2 style="font-size:17px;margin:0 0 8px">Model card</h2><pre id="card"></pre></section>
</main>
<script src="model.js"></script>
<script src="${WEB_DEMO_RUNTIME_FILE}"></script>
</body>
</html>
`;
}

/**
 * The most weight bytes (parameters and buffers, float32) a demo page is given: 128 MiB, about 33.5 M
 * values (resnet50's 97.5 MiB fits; vgg16's 528 MiB does not).
 * NOTE: the page holds a model about three times over while it loads — `model.js`'s text (base64,
 * 4/3 of the bytes), the base64 strings `JSON.parse` makes of it, and the decoded float32 arrays,
 * about 3.7 × the weights (470 MiB here) before a single activation — all in one tab, whose
 * JavaScript heap a browser caps at a few GiB (4 GiB in Chromium with pointer compression), on
 * phones less. And past 384 MiB of weights the text cannot exist at all: V8 (Node's, where it is
 * written, and Chromium's) makes no string over 2^29 − 24 characters.
 */
export const WEB_DEMO_MAX_WEIGHT_BYTES = 128 * 2 ** 20;

/** The bytes of `model`'s weights as the page loads them: every parameter and buffer, as float32. */
export function webDemoWeightBytes(model: Pick<TrainedModel, 'params' | 'buffers'>): number {
  let values = 0;
  for (const t of Object.values(model.params)) values += t.length;
  for (const t of Object.values(model.buffers)) values += t.length;
  return 4 * values;
}

const mebibytes = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/**
 * Refuse, before anything is made, a model too large for a page (`WEB_DEMO_MAX_WEIGHT_BYTES`).
 *
 * @throws ExportError `E_EXPORT_TOO_LARGE`, naming the model's size and the limit.
 */
export function checkFitsWebDemo(model: Pick<TrainedModel, 'params' | 'buffers'>): void {
  const bytes = webDemoWeightBytes(model);
  if (bytes <= WEB_DEMO_MAX_WEIGHT_BYTES) return;
  throw new ExportError(
    'E_EXPORT_TOO_LARGE',
    `This model's weights are ${mebibytes(bytes)} (${(bytes / 4).toLocaleString('en-US')} float32 values); a web page loads them whole into the browser tab, and the web page export takes at most ${mebibytes(WEB_DEMO_MAX_WEIGHT_BYTES)} (${(WEB_DEMO_MAX_WEIGHT_BYTES / 4).toLocaleString('en-US')} values).`,
  );
}

/**
 * The demo folder of `model`. `runtime` is the browser bundle (the host builds it: the engine's
 * inference and the page's script).
 *
 * @throws ExportError `E_EXPORT_TOO_LARGE` for a model past `WEB_DEMO_MAX_WEIGHT_BYTES` (before its text is made);
 *   `E_EXPORT_UNSUPPORTED` when the host has no runtime to give.
 */
export function exportWebDemo(model: TrainedModel, runtime: string | undefined): ExportBundle {
  checkFitsWebDemo(model);
  if (runtime === undefined) throw new ExportError('E_EXPORT_UNSUPPORTED', 'This build of Netwright has no web demo runtime to copy (netwright-demo.js); export the web page from the command line or a full install.');
  const text = modelToJSONText(model);
  const card = modelCard(model);
  const enc = new TextEncoder();
  const title = model.graph.name?.trim() || 'Netwright model';
  // NOTE: JSON.stringify of a string is a valid JavaScript string literal (U+2028/2029 included since ES2019).
  const modelJs = `globalThis.${WEB_DEMO_MODEL_GLOBAL} = ${JSON.stringify(text)};\nglobalThis.NETWRIGHT_DEMO_CARD = ${JSON.stringify(card)};\n`;
  return {
    kind: 'folder',
    files: [
      { path: 'index.html', data: enc.encode(indexHtml(title)) },
      { path: 'model.js', data: enc.encode(modelJs) },
      { path: WEB_DEMO_RUNTIME_FILE, data: enc.encode(runtime) },
      { path: 'README.md', data: enc.encode(card) },
    ],
  };
}
