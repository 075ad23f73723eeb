import type { HostFiles } from '../../../src-contracts/host';
import { type GraphIR, bytesToBase64, getOp, zipStore, zipStoreParts } from '../../../src-engine/facade';
import { EXPORT_CHUNK_BYTES, type ExportSource, type LoadedModelInfo, type ResultOf, type RpcClient } from '../../../src-engine/protocol';
import { weightsParts, type ProjectModel, type WeightsSource } from '../editor/project-weights';
import { bareGraphDoc } from '../editor/project';
import { canvasAspect } from '../components/canvas-view';
import { isLive, runElsewhere } from './model';
import { engineGraph } from '../editor/analysis';
import { weightsFor } from '../state/training-store';
import { type ExportFormatInfo } from '../state/export-store';
import type { WindowStores } from '../state/window-stores';

type ExportResult = ResultOf<'model.export'>;

const client = (w: Pick<WindowStores, 'engine'>): RpcClient | undefined => w.engine.getState().client;
const notify = (w: Pick<WindowStores, 'editor'>, kind: 'info' | 'error', message: string, code?: string) => w.editor.getState().notify(kind, message, code ? { code } : undefined);

/** Ask the engine for its export formats (once per engine connection) and follow export progress. */
export function connectExport(w: WindowStores): () => void {
  let seen: RpcClient | undefined;
  let off: (() => void) | undefined;
  const sync = (c: RpcClient | undefined, ready: boolean) => {
    if (!c || !ready || c === seen) return;
    seen = c;
    off?.();
    off = c.on('export.progress', (p) => {
      const busy = w.exports.getState().busy;
      if (busy && !busy.writing) w.exports.setState({ busy: { ...busy, fraction: p.fraction, what: p.what } });
    });
    c.request('model.formats', {}).then(
      (r) => w.exports.setState({ formats: r.formats }),
      (e: Error) => console.error(`[netwright] no export formats: ${e.message}`),
    );
  };
  const s = w.engine.getState();
  sync(s.client, s.state === 'ready');
  const unsub = w.engine.subscribe((e) => sync(e.client, e.state === 'ready'));
  return () => {
    unsub();
    off?.();
  };
}

/**
 * What Export exports: the stored run on screen (its last checkpoint), else the run or loaded
 * model the engine holds; undefined when nothing trained is on screen — also while the run on view
 * is another project's (it trains in the background): its weights are not this design's.
 */
export function currentExportSource(w: WindowStores): ExportSource | undefined {
  const s = w.run.getState();
  if (runElsewhere(s, w.editor.getState().loadSeq)) return undefined;
  if (s.stored) return { kind: 'run', id: s.stored.id, which: 'last' };
  if (!s.runId) return undefined;
  if (s.loaded || isLive(s.phase) || s.phase === 'done' || s.phase === 'failed') return { kind: 'current' };
  return undefined;
}

/**
 * What Export exports when nothing trained is on screen: the design on the canvas with its initial
 * weights (`initial`: the engine draws them as a run with the design's seed would start, and marks
 * them untrained in every format), when it compiles; undefined for an empty or broken design.
 */
export function designExportSource(w: Pick<WindowStores, 'editor'>): ExportSource | undefined {
  const s = w.editor.getState();
  const graph = s.history.present.graph;
  if (graph.nodes.length === 0 || s.analysis.diagnostics.some((d) => d.severity === 'error')) return undefined;
  return { kind: 'initial', graph: engineGraph(graph) };
}

/** A browser download of an export: the file itself, or a folder as a zip archive. */
function download(r: Pick<ExportResult, 'kind' | 'name' | 'files'>): void {
  const single = r.kind === 'file' && r.files.length === 1;
  const bytes = single ? r.files[0].data : zipStore(r.files.map((f) => ({ path: `${r.name}/${f.path}`, data: f.data })));
  offerDownload([bytes], single ? r.name : `${r.name}.zip`, single ? 'application/octet-stream' : 'application/zip');
}

/** Offer `parts`, one after another, as a download named `name`. */
function offerDownload(parts: readonly Uint8Array[], name: string, type: string): void {
  const url = URL.createObjectURL(new Blob(parts as Uint8Array<ArrayBuffer>[], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * The name an export suggests: the project's name and the run's id (`my-net run 20261124-101500-ab12.onnx`),
 * so exports of different designs, or of two runs of one, never share a name. A design never
 * saved goes by the network's own name (`fallback`, the engine's suggestion).
 */
export function exportFileName(format: Pick<ExportFormatInfo, 'name'> | undefined, project: { path?: string; name: string }, fallback: string, run?: string, untrained = false): string {
  if (!format) return fallback;
  const stem = project.path ? project.name.replace(/\.netwright\.json$|\.json$/i, '') : fallback.slice(0, Math.max(0, fallback.length - format.name.length)).replace(/ \(untrained\)$/, '');
  return `${plainFileName(`${stem.trim() || 'model'}${run ? ` run ${run}` : ''}${untrained ? ' (untrained)' : ''}`)}${format.name}`;
}

/** `name` as a plain file name: no path separators or characters a file system refuses, at most 160 characters. */
const plainFileName = (name: string): string => [...name].map((c) => (c.charCodeAt(0) < 32 || '\\/:*?"<>|'.includes(c) ? '-' : c)).join('').slice(0, 160);

function commonPrefix(a: string, b: string): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return a.slice(0, i);
}

/**
 * The file name (without extension) of a chart exported from Compare: the runs it shows, then the
 * chart, e.g. `MNIST MLP · training loss` or, for runs of one lesson or sweep, what their names
 * share and how many they are (`BatchNorm rescues a deep net that is stuck (2 runs) · test accuracy`).
 */
export function chartFileName(runNames: readonly string[], chart: string): string {
  const names = [...new Set(runNames.map((n) => n.trim()).filter(Boolean))];
  const count = runNames.length > 1 ? ` (${runNames.length} runs)` : '';
  let runs: string;
  if (names.length <= 1) runs = `${names[0] ?? 'run'}${count}`;
  else {
    let shared = names.reduce(commonPrefix);
    // Cut back to a whole word, then drop the separator it ends on ("… stuck — ").
    if (!names.includes(shared)) shared = shared.slice(0, Math.max(0, shared.search(/[\s—·,:;-][^\s—·,:;-]*$/)));
    shared = shared.replace(/[\s—·,:;-]+$/, '');
    runs = shared.length >= 3 ? `${shared}${count}` : `${names[0]} and ${runNames.length - 1} more`;
  }
  return plainFileName(`${runs} · ${chart}`);
}

/** The stored run an export comes from, when there is one (its id names the file). */
function sourceRun(w: Pick<WindowStores, 'run'>, source: ExportSource): string | undefined {
  if (source.kind === 'run') return source.id;
  if (source.kind === 'initial') return undefined;
  const s = w.run.getState();
  return s.info?.storedRunId;
}

/**
 * Export `source` in `formatId`: the engine makes the files and holds them (`model.exportOpen`);
 * Electron asks where (native dialog, which confirms replacing a file), web mode writes into the
 * workspace's `exports/` folder under a name not taken yet and downloads it (a folder as a zip);
 * either way the files stream from the engine to the host part by part (`saveStreamedExport`),
 * whatever their size, with progress and Cancel. Nothing the exporter did not write is ever
 * replaced, nothing is left half-written, and Export is usable again after any failure. Errors
 * (no weights yet, an op the format cannot express, a folder holding other files, disk full) are
 * shown as the engine or host worded them, with their code.
 */
export async function exportModel(w: WindowStores, files: HostFiles, formatId: string, source: ExportSource | undefined = currentExportSource(w) ?? designExportSource(w), extra: { keepFloat?: readonly string[] } = {}): Promise<boolean> {
  const c = client(w);
  const format = w.exports.getState().formats.find((f) => f.id === formatId);
  const label = format?.label ?? formatId;
  if (!c) return notify(w, 'error', 'The engine is not connected; export when it is back.'), false;
  if (!source) return notify(w, 'error', `There is nothing to export yet: build a design that compiles (Problems lists what stops it), or open a project saved with its weights, then Export ▸ ${label}.`, 'E_EXPORT_NO_WEIGHTS'), false;
  const abort = new AbortController();
  const cancel = () => abort.abort();
  w.exports.setState({ busy: { label, fraction: 0, what: 'preparing', cancel } });
  let handle: string | undefined;
  try {
    const settings = w.exports.getState().settings[formatId];
    const r = await c.request('model.exportOpen', { source, format: formatId, ...(settings ? { settings: { ...settings } } : {}), ...(extra.keepFloat?.length ? { keepFloat: [...extra.keepFloat] } : {}) }, { signal: abort.signal });
    handle = r.handle;
    // A diverged run's weights are written only when the user says so, knowing why (#44 item 8);
    // the export is not in progress while the question waits.
    if (r.warning) w.exports.setState({ busy: undefined });
    if (r.warning && !(await w.confirm.getState().ask('Export a diverged run?', `${r.warning.message} (${r.warning.code})`, 'Export anyway'))) {
      notify(w, 'info', `Not exported: the run diverged.`, r.warning.code);
      return false;
    }
    w.exports.setState({ busy: { label, fraction: 0, what: 'writing', writing: true, cancel } });
    // A GAN leaves as its generator: say so, so nobody looks for the discriminator in the file.
    const holds = r.holds ? ` (${r.holds})` : '';
    // Before training: the file's name and the notice say the weights are the initial ones, as the file's metadata does.
    const untrained = source.kind === 'initial';
    const what = untrained ? `${label}${holds} with the design's initial weights (untrained: train it for a model that predicts)` : `${label}${holds}`;
    const held = r.handle;
    const read = async (file: number, offset: number) => (await c.request('model.exportRead', { handle: held, file, offset }, { signal: abort.signal })).data;
    return await saveStreamedExport(w, files, exportFileName(format, w.editor.getState().file, r.name, sourceRun(w, source), untrained), r, read, what, abort.signal);
  } catch (err) {
    if (abort.signal.aborted) return notify(w, 'info', `Export ▸ ${label} cancelled; nothing was written.`, 'E_EXPORT_CANCELLED'), false;
    const e = err as { code?: string; message: string };
    notify(w, 'error', `Export ▸ ${label} failed: ${e.message}`, e.code);
    return false;
  } finally {
    w.exports.setState({ busy: undefined });
    if (handle) c.request('model.exportClose', { handle }).catch(() => {});
  }
}

/** Megabytes, for a progress line. */
const megabytes = (bytes: number): string => `${(bytes / 1e6).toFixed(bytes < 1e7 ? 1 : 0)} MB`;

/**
 * Write an export the engine holds through the host, part by part: `read(file, offset)` answers
 * the next bytes of a file (the engine's `model.exportRead`, at most EXPORT_CHUNK_BYTES), each
 * sent to the host (`appendExport`, numbered) before the next is asked for — one part in flight,
 * so parts cannot overtake each other and neither side buffers more than one. Electron asks where
 * first; web mode writes into `exports/` and downloads what it wrote. `signal` cancels; a cancel
 * or any failure removes what was written (`cancelExport`) and is thrown.
 */
export async function saveStreamedExport(
  w: WindowStores,
  files: HostFiles,
  name: string,
  r: { kind: 'file' | 'folder'; files: readonly { path: string; bytes: number }[] },
  read: (file: number, offset: number) => Promise<Uint8Array>,
  label: string,
  signal: AbortSignal,
): Promise<boolean> {
  let target = name;
  if (files.pickExport) {
    const picked = await files.pickExport(name, r.kind);
    if (!picked) return false;
    target = picked;
  }
  signal.throwIfAborted();
  const total = r.files.reduce((a, f) => a + f.bytes, 0);
  const busy = w.exports.getState().busy;
  const { id } = await files.beginExport(target, r.kind, r.files.map((f) => ({ path: f.path, bytes: f.bytes })));
  // Web mode downloads what it wrote: the parts are kept for it (a Blob's parts, never one array).
  const download = !files.pickExport;
  const kept: Uint8Array[][] = r.files.map(() => []);
  let written: { path: string; full: string };
  try {
    let seq = 0;
    let done = 0;
    for (const [i, f] of r.files.entries()) {
      for (let offset = 0; offset < f.bytes; ) {
        signal.throwIfAborted();
        const data = await read(i, offset);
        if (data.length === 0 || offset + data.length > f.bytes) throw Object.assign(new Error(`The engine answered ${data.length} bytes at byte ${offset} of "${f.path}" (${f.bytes} bytes).`), { code: 'E_EXPORT_CHUNK_ORDER' });
        signal.throwIfAborted();
        await files.appendExport(id, seq++, f.path, bytesToBase64(data));
        if (download) kept[i].push(data);
        offset += data.length;
        done += data.length;
        if (busy) w.exports.setState({ busy: { ...busy, writing: true, fraction: total > 0 ? done / total : 1, what: `writing ${megabytes(done)} of ${megabytes(total)}` } });
      }
    }
    signal.throwIfAborted();
    written = await files.commitExport(id);
  } catch (e) {
    await files.cancelExport(id).catch(() => {});
    throw e;
  }
  if (!download) {
    const reveal = files.reveal;
    w.editor.getState().notify('info', `Exported ${label} to ${written.full}.`, reveal ? { action: { label: 'Show in folder', run: () => void reveal(written.full).catch(() => {}) } } : undefined);
    return true;
  }
  const saved = written.path.split(/[\\/]/).pop() ?? name;
  const single = r.kind === 'file' && r.files.length === 1;
  offerDownload(single ? kept[0] : zipStoreParts(r.files.map((f, i) => ({ path: `${saved}/${f.path}`, parts: kept[i] }))), single ? saved : `${saved}.zip`, single ? 'application/octet-stream' : 'application/zip');
  notify(w, 'info', `Exported ${label} to ${written.full}, and downloaded it${r.kind === 'folder' ? ' as a zip' : ''}.`);
  return true;
}

/**
 * Save what an export made (a model's files, a chart's CSV or PNG) the one way exports are
 * saved: Electron asks where (native dialog, which confirms replacing a file), writes atomically
 * and offers "Show in folder"; web mode writes into the workspace's `exports/` under a name not
 * taken yet and downloads it. The renderer never writes files itself.
 */
export async function saveExport(w: WindowStores, files: HostFiles, name: string, r: Pick<ExportResult, 'kind' | 'files'>, label: string): Promise<boolean> {
  const encoded = r.files.map((f) => ({ path: f.path, data: bytesToBase64(f.data) }));
  if (files.pickExport) {
    const target = await files.pickExport(name, r.kind);
    if (!target) return false;
    const written = await files.writeExport(target, r.kind, encoded);
    const reveal = files.reveal;
    w.editor.getState().notify('info', `Exported ${label} to ${written.full}.`, reveal ? { action: { label: 'Show in folder', run: () => void reveal(written.full).catch(() => {}) } } : undefined);
  } else {
    const written = await files.writeExport(name, r.kind, encoded);
    download({ ...r, name: written.path.split(/[\\/]/).pop() ?? name });
    notify(w, 'info', `Exported ${label} to ${written.full}, and downloaded it${r.kind === 'folder' ? ' as a zip' : ''}.`);
  }
  return true;
}

/** Save one file a view made (a chart's CSV or PNG) through `saveExport`; a failure is shown where exports' failures are. */
export async function saveViewFile(w: WindowStores, files: HostFiles, name: string, data: Uint8Array, label: string): Promise<boolean> {
  try {
    return await saveExport(w, files, name, { kind: 'file', files: [{ path: name, data }] }, label);
  } catch (err) {
    const e = err as { code?: string; message: string };
    notify(w, 'error', `Export ▸ ${label} failed: ${e.message}`, e.code);
    return false;
  }
}

/** Wait (up to `ms`) for a connected, ready engine. */
function readyClient(w: WindowStores, ms = 15_000): Promise<RpcClient | undefined> {
  const now = w.engine.getState();
  if (now.client && now.state === 'ready') return Promise.resolve(now.client);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      off();
      resolve(undefined);
    }, ms);
    const off = w.engine.subscribe((s) => {
      if (!s.client || s.state !== 'ready') return;
      clearTimeout(timer);
      off();
      resolve(s.client);
    });
  });
}

/**
 * The trained model a project was opened with, by the editor's `loadSeq` of its design: while
 * another project's run is on view the run view cannot show it, and Save must still keep it with
 * the project (never the other project's weights): its JSON when the file kept its tensors inside,
 * else the engine's loaded model (`runId`), whose weights Save reads from the engine again.
 */
const openedWithByWindow = new WeakMap<object, { loadSeq: number; model: Record<string, unknown>; runId?: string }>();

/**
 * Hand the engine a project's model whose weights file is read part by part (`weights`):
 * `model.weightsBegin`, each part as bytes by `model.weightsAppend` (at most EXPORT_CHUNK_BYTES, in
 * order, each once the last is answered; the next read meanwhile, `weightsParts`), then
 * `model.load({ model, weights })`. No message carries the weights whole (web mode's socket refuses
 * one over 256 MiB; a model ten times a resnet18 is 470 MB). Stops, answering undefined, once
 * `wanted` says the weights are no longer wanted (another design opened meanwhile).
 */
export async function sendWeightsToEngine(c: RpcClient, model: Record<string, unknown>, weights: WeightsSource, wanted: () => boolean = () => true): Promise<LoadedModelInfo | undefined> {
  // Another project opened meanwhile: its weights take the engine's one transfer, these stop.
  if (!wanted()) return undefined;
  const { id } = await c.request('model.weightsBegin', { bytes: weights.bytes });
  for await (const { offset, data } of weightsParts(weights)) {
    if (!wanted()) return undefined;
    for (let i = 0; i < data.length; i += EXPORT_CHUNK_BYTES) await c.request('model.weightsAppend', { id, offset: offset + i, data: data.subarray(i, i + EXPORT_CHUNK_BYTES) });
  }
  return wanted() ? c.request('model.load', { model, weights: id }) : undefined;
}

/**
 * A project opened with its trained model: load it into the engine, so the Playground and Export
 * work without training. `weights`: its weights file beside the project, streamed to the engine.
 * Whether they were loaded (a failure is said in a notice).
 */
export async function loadProjectModel(w: WindowStores, model: Record<string, unknown>, projectName: string, weights?: WeightsSource): Promise<boolean> {
  const loadSeq = w.editor.getState().loadSeq;
  openedWithByWindow.set(w.editor, { loadSeq, model });
  const c = await readyClient(w);
  const failed = (why: string, code?: string) => notify(w, 'error', `The trained weights saved with "${projectName}" could not be loaded (${why}). The design is open; train it to get weights again.`, code);
  if (!c) {
    failed('the engine is not connected');
    return false;
  }
  const wanted = () => w.editor.getState().loadSeq === loadSeq;
  try {
    const info = weights ? await sendWeightsToEngine(c, model, weights, wanted) : await c.request('model.load', { model });
    // Another design opened meanwhile: these weights are not its.
    if (!info || !wanted()) return false;
    // Weights read from beside the project stay in the engine only: Save reads them from there again.
    if (weights) openedWithByWindow.set(w.editor, { loadSeq, model, runId: info.runId });
    w.run.getState().dispatch({ type: 'model-loaded', info, graph: model.graph as GraphIR, ...(weights ? {} : { model }), source: `the project "${projectName}"` });
    w.run.getState().weightsLoaded(`the project "${projectName}"`, loadSeq);
    return true;
  } catch (err) {
    // Superseded (its transfer dropped for the next project's): nothing to say about a design no longer open.
    if (wanted()) {
      const e = err as { code?: string; message: string };
      failed(e.message, e.code);
    }
    return false;
  }
}

/**
 * Loaded weights (an imported model) take the Playground's samples from the design's dataset as
 * it is now (`model.samples`): adding data (or choosing another set) after the import brings
 * samples to pick, where the import itself, with no dataset, had none. Asks only when the weights
 * came with the design on the canvas and its dataset differs from the one the samples came from.
 * Answers the engine's message when it could not.
 */
export async function samplesForLoaded(w: WindowStores): Promise<string | undefined> {
  const s = w.run.getState();
  const { loadSeq, history } = w.editor.getState();
  const t = history.present.graph.training;
  const c = client(w);
  if (!c || !s.loaded || !s.runId || !t || !weightsFor(s.weights, loadSeq)) return undefined;
  const dataset = JSON.stringify(t.dataset);
  if (dataset === (s.loaded.samplesFrom ?? (s.graph?.training ? JSON.stringify(s.graph.training.dataset) : undefined))) return undefined;
  const runId = s.runId;
  try {
    const r = await c.request('model.samples', { runId, dataset: t.dataset as unknown as { name: string }, seed: t.seed });
    w.run.getState().dispatch({ type: 'loaded-samples', runId, probeSamples: r.probeSamples, dataset });
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * The model Save keeps with the project: the loaded one as it came (its tensors inside), else the
 * run on screen's or the loaded model's as the engine makes it (`engineWeights`).
 */
export async function modelForSave(w: WindowStores): Promise<ProjectModel | undefined> {
  const s = w.run.getState();
  const loadSeq = w.editor.getState().loadSeq;
  // Another project's run on view: this design keeps the weights it was opened with, if any.
  const openedWith = openedWithByWindow.get(w.editor);
  let source: ExportSource | undefined;
  if (runElsewhere(s, loadSeq)) {
    if (openedWith?.loadSeq !== loadSeq) return undefined;
    if (!openedWith.runId) return { model: openedWith.model };
    source = { kind: 'loaded', runId: openedWith.runId };
  } else if (s.loaded?.model) return { model: s.loaded.model as Record<string, unknown> };
  // An import's (or a reopened project's) weights stay in the engine until saved: read from the loaded model itself.
  else source = s.loaded && s.runId ? { kind: 'loaded', runId: s.runId } : currentExportSource(w);
  const c = client(w);
  if (!source || !c) return undefined;
  try {
    return await engineWeights(c, source);
  } catch (err) {
    const e = err as { code?: string; message: string };
    // A run before its first step has nothing to keep; anything else is worth saying.
    if (e.code !== 'E_EXPORT_NO_WEIGHTS') notify(w, 'error', `Saved without the trained weights: ${e.message}`, e.code);
    return undefined;
  }
}

/**
 * The model of `source` as a project keeps it (`model.weightsOpen`): its JSON without the tensors,
 * and its weights file held by the engine and read from it part by part (`model.exportRead`, at
 * most EXPORT_CHUNK_BYTES a message, as bytes); `close` lets the engine drop it.
 */
export async function engineWeights(c: RpcClient, source: ExportSource): Promise<Required<ProjectModel>> {
  const r = await c.request('model.weightsOpen', { source });
  return {
    model: r.model,
    weights: {
      bytes: r.bytes,
      partBytes: EXPORT_CHUNK_BYTES,
      part: async (offset) => (await c.request('model.exportRead', { handle: r.handle, file: 0, offset })).data,
      close: () => void c.request('model.exportClose', { handle: r.handle }).catch(() => {}),
    },
  };
}

/** A byte count as people read it: `812 KB`, `97.8 MB`. */
const sizeText = (bytes: number) => (bytes < 1e6 ? `${Math.max(1, Math.round(bytes / 1e3))} KB` : `${(bytes / 1e6).toFixed(1)} MB`);

/**
 * How the engine gets a file to import: web mode uploads a picked file to the host, which keeps it
 * in the workspace for the engine to read by path (one HTTP body; through the socket, the bytes
 * took seconds for 32 MB under load); else (Electron's MessagePort, a file main read) its bytes, sent once as they are.
 */
async function importSource(file: { arrayBuffer(): Promise<ArrayBuffer> }, host: Pick<HostFiles, 'uploadModel'> | undefined, signal: AbortSignal): Promise<{ path: string } | { data: Uint8Array }> {
  if (host?.uploadModel && file instanceof Blob) return host.uploadModel(file, signal);
  return { data: new Uint8Array(await file.arrayBuffer()) };
}

/**
 * "View ONNX…": look at an ONNX file without importing it (#60). The engine reads it as an import
 * would (`model.inspect`: the same parse, nothing loaded or staged) and the read-only view shows
 * its graph, shapes, parameters and opset; the open design, the run and any loaded weights stay as
 * they are. The view's "Import as a design…" imports it as Import ONNX… does.
 */
export async function viewOnnxFile(w: WindowStores, file: { name: string; size?: number; arrayBuffer(): Promise<ArrayBuffer> }, host?: Pick<HostFiles, 'uploadModel'>): Promise<boolean> {
  const c = client(w);
  if (!c) return notify(w, 'error', 'The engine is not connected; look at the file when it is back.'), false;
  const abort = new AbortController();
  w.exports.setState({ viewing: { file } });
  w.session.getState().notify('info', `Reading "${file.name}"${file.size ? ` (${sizeText(file.size)})` : ''} to show it…`, { sticky: true, action: { label: 'Cancel', run: () => abort.abort() } });
  try {
    const source = await importSource(file, host, abort.signal);
    const summary = await c.request('model.inspect', { format: 'onnx', ...source }, { signal: abort.signal });
    w.session.getState().clearNotice();
    if (w.exports.getState().viewing?.file !== file) return false;
    w.exports.setState({ viewing: { file, summary } });
    return true;
  } catch (err) {
    if (w.exports.getState().viewing?.file === file) w.exports.setState({ viewing: undefined });
    if (abort.signal.aborted) return notify(w, 'info', `"${file.name}" was not read; nothing changed.`), false;
    const e = err as { code?: string; message: string };
    return notify(w, 'error', `Could not read "${file.name}": ${e.message}`, e.code), false;
  }
}

/**
 * Import ONNX: the engine reads the file (nothing changes when it cannot: the message lists the
 * unsupported nodes) while a notice says so, with Cancel; only then is the user asked before the
 * open design is discarded, and only then is the model loaded (`model.read` stages it, `model.load`
 * takes it). Cancelled or declined, the open design, the current run and any loaded weights stay
 * as they were. The graph opens as a new, unsaved design, laid out, with its weights loaded, so
 * it predicts at once and Train fine-tunes from them.
 */
export async function importOnnxFile(w: WindowStores, file: { name: string; size?: number; arrayBuffer(): Promise<ArrayBuffer> }, confirmDiscard: () => Promise<boolean>, host?: Pick<HostFiles, 'uploadModel'>): Promise<boolean> {
  const c = client(w);
  if (!c) return notify(w, 'error', 'The engine is not connected; import when it is back.'), false;
  let cancelled = false;
  // Cancel stops the engine's read too (the request's cancel), not only the wait for it.
  const abort = new AbortController();
  const session = w.session.getState();
  session.notify('info', `Importing "${file.name}"${file.size ? ` (${sizeText(file.size)})` : ''}…`, {
    sticky: true,
    action: {
      label: 'Cancel',
      run: () => {
        cancelled = true;
        abort.abort();
        notify(w, 'info', `Import of "${file.name}" cancelled; nothing changed.`);
      },
    },
  });
  let r: ResultOf<'model.read'>;
  performance.mark('import:start');
  try {
    const source = await importSource(file, host, abort.signal);
    performance.mark('import:sent');
    r = await c.request('model.read', { format: 'onnx', ...source }, { signal: abort.signal });
  } catch (err) {
    if (cancelled) return false;
    const e = err as { code?: string; message: string };
    return notify(w, 'error', `Could not import "${file.name}": ${e.message}`, e.code), false;
  }
  if (cancelled) return false;
  performance.mark('import:read');
  session.clearNotice();
  const name = file.name.replace(/\.onnx$/i, '') || 'Imported model';
  // The engine's checked graph (model.read: migrated, validated, defaults filled), opened as it is.
  const imported = r.graph as unknown as GraphIR;
  // A file from another tool names its graph after the tool (`torch_jit`, `main_graph`): the file's name says more.
  const graph = r.restored ? imported : { ...imported, name };
  // Laid out with its groups for the canvas as it is now (a folded block per module scope).
  const direction = w.panels.getState().layoutDirection;
  const laidOut = bareGraphDoc(graph, canvasAspect(), direction);
  performance.mark('import:laid-out');
  if (!(await confirmDiscard())) return false;
  performance.mark('import:confirmed');
  let info: ResultOf<'model.load'>;
  try {
    info = await c.request('model.load', { staged: r.staged });
  } catch (err) {
    const e = err as { code?: string; message: string };
    return notify(w, 'error', `Could not load "${file.name}": ${e.message}`, e.code), false;
  }
  // Netwright's own design comes back with its training settings: its runs start from these weights (a setting the Train dock shows).
  const doc = r.restored && laidOut.graph.training && !laidOut.graph.training.startFrom ? { ...laidOut, graph: { ...laidOut.graph, training: { ...laidOut.graph.training, startFrom: { kind: 'loaded' as const } } } } : laidOut;
  performance.mark('import:loaded');
  w.editor.getState().load(doc, { name }, { layoutDirection: direction }, true);
  w.run.getState().dispatch({ type: 'model-loaded', info, graph, source: file.name });
  w.run.getState().weightsLoaded(file.name, w.editor.getState().loadSeq);
  performance.mark('import:stored');
  const classifier = !r.restored && laidOut.graph.nodes.some((n) => getOp(n.op)?.isLoss === true);
  const how = r.restored
    ? "Netwright's own design came back with its training settings: Train fine-tunes from these weights"
    : classifier
      ? 'the Network panel fine-tunes it (Add settings; Select head ▸ Replace head)'
      : 'to fine-tune it, add a target Input, a loss and training settings';
  notify(w, 'info', `Imported "${file.name}" with its weights (${laidOut.graph.nodes.length} nodes): the Playground predicts with them; ${how}.${r.warnings.length ? ` ${r.warnings.join(' ')}` : ''}`);
  return true;
}

/**
 * Load weights saved by PyTorch's tools — a `.safetensors` file or a `torch.save` state dict
 * (`.pt`, `.pth`) — into the design on the canvas (`model.loadWeights`: the engine reads the file
 * without running any of its code, and matches the tensors by the PyTorch project's names). The
 * design is kept; its runs then start from these weights, and the Playground predicts with them.
 * A file that does not fit is refused with the engine's list of each tensor whose name or shape
 * differs, and nothing changes. Answers whether the weights were loaded.
 */
export async function loadWeightsFile(w: WindowStores, file: { name: string; arrayBuffer(): Promise<ArrayBuffer> }): Promise<boolean> {
  const c = client(w);
  if (!c) return notify(w, 'error', 'The engine is not connected; load the weights when it is back.'), false;
  const loadSeq = w.editor.getState().loadSeq;
  const graph = w.editor.getState().history.present.graph;
  let info: ResultOf<'model.loadWeights'>;
  try {
    info = await c.request('model.loadWeights', { graph, name: file.name, data: new Uint8Array(await file.arrayBuffer()) });
  } catch (err) {
    const e = err as { code?: string; message: string };
    // A mismatch lists tensor after tensor, one a line: it stays until dismissed, to be read.
    const session = w.session.getState();
    session.notify('error', `Could not load "${file.name}": ${e.message}`, { ...(e.code ? { code: e.code } : {}), sticky: true, action: { label: 'Dismiss', run: () => session.clearNotice() } });
    return false;
  }
  // Another design opened meanwhile: these weights are not its.
  if (w.editor.getState().loadSeq !== loadSeq) return false;
  w.run.getState().dispatch({ type: 'model-loaded', info, graph, source: file.name });
  w.run.getState().weightsLoaded(file.name, loadSeq);
  notify(w, 'info', `Loaded the weights of "${file.name}" into the design: the Playground predicts with them, and runs start from them.`);
  return true;
}
