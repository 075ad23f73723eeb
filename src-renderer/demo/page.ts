/**
 * The web demo page's script (core/export/web-demo.ts writes the page): it loads the model that
 * `model.js` set, shows the inputs the model reads (an image: file, drop, drawing, camera; a
 * text; values) and each answer as the Playground shows it (top classes with their
 * probabilities). Bundled with the engine's half (src-engine/app/web-demo/runtime.ts, which set
 * `globalThis.netwrightDemo` before this runs) by src-engine/node/web-demo-runtime.ts.
 */
import type { WebDemoAnswer, WebDemoModel, WebDemoRuntime } from '../../src-engine/facade';

type DemoGlobals = { netwrightDemo?: WebDemoRuntime; NETWRIGHT_DEMO_MODEL?: string; NETWRIGHT_DEMO_CARD?: string };

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

function showError(e: unknown): void {
  $('error').textContent = e instanceof Error ? e.message : String(e);
}

function show(answer: WebDemoAnswer, source: string): void {
  const result = $('result');
  result.replaceChildren();
  $('error').textContent = '';
  $('status').textContent = `Prediction for ${source}:`;
  if (answer.kind === 'classes') {
    const best = answer.top[0];
    const head = document.createElement('p');
    head.innerHTML = '<b id="top-class"></b> <span id="top-probability"></span>';
    head.querySelector('#top-class')!.textContent = best.name;
    const p = head.querySelector('#top-probability') as HTMLElement;
    p.textContent = `${(best.probability * 100).toFixed(2)} %`;
    p.dataset.probability = String(best.probability);
    (head.querySelector('#top-class') as HTMLElement).dataset.index = String(best.index);
    result.append(head);
    for (const c of answer.top) {
      const row = document.createElement('div');
      row.className = 'row';
      const name = document.createElement('span');
      name.className = 'name';
      name.textContent = c.name;
      const bar = document.createElement('span');
      bar.className = 'bar';
      const fill = document.createElement('i');
      fill.style.width = `${Math.max(0, Math.min(1, c.probability)) * 100}%`;
      bar.append(fill);
      const pct = document.createElement('span');
      pct.className = 'p';
      pct.textContent = `${(c.probability * 100).toFixed(1)} %`;
      row.append(name, bar, pct);
      result.append(row);
    }
  } else {
    const pre = document.createElement('pre');
    pre.id = 'values-out';
    pre.textContent = answer.kind === 'values' ? answer.values.map((v) => v.toPrecision(6)).join(', ') : answer.what;
    result.append(pre);
  }
}

/** The RGBA pixels of a drawable at its own size, unconverted (no colour management, no premultiplication). */
function pixelsOf(source: CanvasImageSource, width: number, height: number): ImageData {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const g = canvas.getContext('2d', { willReadFrequently: true })!;
  g.drawImage(source, 0, 0);
  return g.getImageData(0, 0, width, height);
}

async function predictFile(model: WebDemoModel, file: File): Promise<void> {
  try {
    const bitmap = await createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
    const img = pixelsOf(bitmap, bitmap.width, bitmap.height);
    bitmap.close();
    const preview = $<HTMLImageElement>('preview');
    preview.src = URL.createObjectURL(file);
    preview.hidden = false;
    show(model.predictImage(img), file.name);
  } catch (e) {
    showError(e);
  }
}

function setUpImage(model: WebDemoModel, channels: number): void {
  $('image-input').hidden = false;
  const file = $<HTMLInputElement>('file');
  file.addEventListener('change', () => {
    if (file.files?.[0]) void predictFile(model, file.files[0]);
  });
  const drop = $('drop');
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const f = e.dataTransfer?.files[0];
    if (f) void predictFile(model, f);
  });
  // A drawing pad for one-channel images (digits, sketches): white strokes on black, as MNIST is.
  if (channels === 1) setUpPad(model);
  // Only where the browser offers a camera (not on a page served over plain http from another host).
  if (typeof navigator.mediaDevices?.getUserMedia === 'function') setUpCamera(model);
}

function setUpPad(model: WebDemoModel): void {
  $('draw').hidden = false;
  const pad = $<HTMLCanvasElement>('pad');
  const g = pad.getContext('2d', { willReadFrequently: true })!;
  const clear = () => {
    g.fillStyle = '#000';
    g.fillRect(0, 0, pad.width, pad.height);
  };
  clear();
  let last: [number, number] | null = null;
  const at = (e: PointerEvent): [number, number] => {
    const r = pad.getBoundingClientRect();
    return [((e.clientX - r.left) * pad.width) / r.width, ((e.clientY - r.top) * pad.height) / r.height];
  };
  pad.addEventListener('pointerdown', (e) => {
    pad.setPointerCapture(e.pointerId);
    last = at(e);
  });
  pad.addEventListener('pointermove', (e) => {
    if (!last) return;
    const p = at(e);
    g.strokeStyle = '#fff';
    g.lineWidth = 22;
    g.lineCap = 'round';
    g.beginPath();
    g.moveTo(...last);
    g.lineTo(...p);
    g.stroke();
    last = p;
  });
  const end = () => {
    if (!last) return;
    last = null;
    try {
      show(model.predictImage(g.getImageData(0, 0, pad.width, pad.height)), 'the drawing');
    } catch (e) {
      showError(e);
    }
  };
  pad.addEventListener('pointerup', end);
  pad.addEventListener('pointercancel', end);
  $('clear').addEventListener('click', clear);
}

function setUpCamera(model: WebDemoModel): void {
  $('camera').hidden = false;
  const video = $<HTMLVideoElement>('video');
  $('camera-start').addEventListener('click', async () => {
    try {
      video.srcObject = await navigator.mediaDevices.getUserMedia({ video: true, audio: false });
      video.hidden = false;
      await video.play();
      const tick = () => {
        if (!video.srcObject) return;
        if (video.videoWidth > 0) {
          const frame = pixelsOf(video, video.videoWidth, video.videoHeight);
          show(model.predictImage(frame), 'the camera');
        }
        window.setTimeout(tick, 500);
      };
      tick();
    } catch (e) {
      showError(e);
    }
  });
}

function setUpText(model: WebDemoModel): void {
  $('text-input').hidden = false;
  $('text-go').addEventListener('click', () => {
    try {
      show(model.predictText($<HTMLTextAreaElement>('typed-text').value), 'the text');
    } catch (e) {
      showError(e);
    }
  });
}

function setUpValues(model: WebDemoModel, count: number): void {
  $('values-input').hidden = false;
  $<HTMLTextAreaElement>('values').placeholder = `${count} numbers`;
  $('values-go').addEventListener('click', () => {
    try {
      const values = $<HTMLTextAreaElement>('values').value.split(/[\s,;]+/).filter((s) => s !== '').map(Number);
      show(model.predictValues(values), 'the values');
    } catch (e) {
      showError(e);
    }
  });
}

function start(): void {
  const g = globalThis as DemoGlobals;
  $('card').textContent = g.NETWRIGHT_DEMO_CARD ?? '';
  try {
    if (!g.netwrightDemo || g.NETWRIGHT_DEMO_MODEL === undefined) throw new Error('model.js or netwright-demo.js did not load: keep the folder\'s files together.');
    const model = g.netwrightDemo.load(g.NETWRIGHT_DEMO_MODEL);
    const input = model.input;
    if (input.kind === 'image') setUpImage(model, input.channels);
    else if (input.kind === 'typed') setUpText(model);
    else setUpValues(model, input.count);
    document.body.dataset.ready = 'true';
  } catch (e) {
    showError(e);
  }
}

start();
