import { createStore, type StoreApi } from 'zustand';
import { bytesToBase64, featureInput, fileFormatOf, fitChanges, fitToData, getDataFormat, getDataset, inputShape, labelledTextOptionsOf, type DataFit, type DataShape, type DatasetConfig, type GraphIR } from '../../../src-engine/facade';
import { dataShapeOf, datasetToUse, namesForData, retokenizedShape, textReading, uploadBatches, uploadable, type UploadFile } from '../training/add-data';
import { datasetLabel } from '../editor/training-summary';
import type { DataKind, DataScanResult, EventData } from '../../../src-engine/protocol';
import { getHost } from '../host';
import { defaultTraining } from '../editor/training-defaults';
import type { EditorState } from './editor-store';
import type { EngineStore } from './engine-store';
import type { SessionState } from './session-store';

/**
 * The "Add data…" flow (docs/data.md "In the app"): choose data (Electron's native dialog; web
 * mode: the workspace's data, or an upload), scan it with a progress bar (cancellable), look at
 * the preview (a grid of thumbnails per class, or a table's columns with the role editor and the
 * missing-value policy), then "Use this data": the design's dataset becomes the data by reference,
 * its path and content fingerprint. `locate`: the saved data moved or changed, and the user
 * points at it again.
 */
export type { UploadFile };

export type AddDataPhase = 'choose' | 'uploading' | 'scanning' | 'preview' | 'failed';

export interface UploadProgress {
  done: number;
  total: number;
  bytes: number;
}

export interface AddDataState {
  phase: AddDataPhase;
  /** Why the dialog is open: a new source, or finding a saved one again (`locate`, with what was saved). */
  intent: { kind: 'add' } | { kind: 'locate'; saved: DatasetConfig };
  /** The path being scanned and the kind asked for. */
  source?: { path: string; kind?: DataKind };
  /** A table's reading options the role editor and the policy select set (roles, missing, targetColumn). */
  tableOptions: Record<string, unknown>;
  progress?: EventData<'data.scanProgress'>;
  upload?: UploadProgress;
  /** Files an upload left out (not an image, table or array), each with why: listed with the scan's skips. */
  uploadSkipped: { path: string; reason: string }[];
  result?: DataScanResult;
  error?: { code: string; message: string };
  /** `path\0fingerprint` of the data last used from a scan: already checked, the open-time check skips it. */
  verified?: string;
  /**
   * The data last used (its path, fingerprint and what a sample is): Problems checks the design
   * against it while the design trains on it. Labelled texts: what a sample is for each reading of
   * them known (`textReading`: the tokenizer's options), the one the design's options name checked.
   */
  used?: { path: string; fingerprint: string; shape: DataShape; readings?: Readonly<Record<string, DataShape>> };
  open(intent?: AddDataState['intent']): void;
  close(): void;
  /**
   * Scan `path` (with a table's options); replaces any scan in progress. A table for a design made
   * for labelled texts is read as texts (a table of texts) unless `exact` (the preview's "Read as a table").
   */
  scan(path: string, kind?: DataKind, exact?: boolean): Promise<void>;
  cancel(): void;
  /** Change a table's options (a column's role, the missing-value policy) and scan again. */
  setTableOptions(patch: Record<string, unknown>): void;
  /** Web mode: upload files (a folder's, with paths inside it, or one table/array), then scan them. */
  uploadAndScan(name: string, kind: 'file' | 'folder', files: UploadFile[]): Promise<void>;
  /** Make the scanned data the design's dataset (an undoable edit) and close. */
  use(): void;
  /**
   * Change how the design's labelled texts are read (tokens, maxLength…: the Train dock's dataset
   * options), with the Input and Embedding fitted to what a sample becomes, in one undo step: at
   * once where the options say it (a new maxLength), else when the engine has read the user's texts
   * again (a scan with the new options), the data's summary (`used`) following either way.
   */
  retokenize(patch: Record<string, unknown>): Promise<void>;
}

const initial = { phase: 'choose' as const, intent: { kind: 'add' } as const, source: undefined, tableOptions: {}, progress: undefined, upload: undefined, uploadSkipped: [], result: undefined, error: undefined };

/** The stores the "Add data…" flow works with: the window's session (its dialog), engine (the scan) and document (the dataset used). */
export interface AddDataDeps {
  session: Pick<StoreApi<SessionState>, 'getState'>;
  engine: Pick<StoreApi<EngineStore>, 'getState'>;
  editor: Pick<StoreApi<EditorState>, 'getState'>;
}

/** A time series for a design made for one (`kind`: the series format's) keeps its window, horizon, gap policy, column and time unless the preview changes them (#83). */
export function seriesOptions(designed: DatasetConfig | undefined, kind: string | undefined): Record<string, unknown> {
  if (kind === undefined || designed?.name !== kind) return {};
  return Object.fromEntries(['window', 'horizon', 'gaps', 'column', 'time'].filter((k) => designed.options?.[k] !== undefined).map((k) => [k, designed.options![k]]));
}

/** An "Add data…" store for one window: its scan and upload under way are its own (a second window's Cancel stops nothing here). */
export function createAddDataStore({ session, engine, editor }: AddDataDeps) {
  let scanAbort: AbortController | undefined;
  let scanSeq = 0;
  /** Set by Cancel while an upload is under way: it stops before its next call. */
  let uploadStop = false;
  let retokenizeSeq = 0;
  return createStore<AddDataState>((set, get) => ({
    ...initial,
    open(intent = { kind: 'add' }) {
      scanAbort?.abort();
      const saved = intent.kind === 'locate' ? intent.saved.options ?? {} : {};
      set({ ...initial, verified: get().verified, intent, tableOptions: intent.kind === 'locate' ? tableOptionsOf(saved) : {} });
      session.getState().setDialog('add-data');
    },
    close() {
      scanAbort?.abort();
      set({ ...initial, verified: get().verified });
      session.getState().setDialog('none');
    },
    async scan(path, asked, exact) {
      const client = engine.getState().client;
      // A .txt for a design made for text is a text to learn from (its window and vocabulary), else a table;
      // a table for a design made for labelled texts is texts with labels (its tokenising kept): the
      // design's format for the file (catalog/data-formats `forDesign`) wins over the one its extension names.
      const designed = editor.getState().history.present.graph.training?.dataset;
      const forDesign = fileFormatOf(path, getDataset(designed?.name ?? ''));
      const kind = !exact && forDesign?.forDesign && (asked === undefined || asked === fileFormatOf(path)?.kind) ? forDesign.kind : asked;
      const format = getDataFormat(kind);
      const textFor = format?.reads === 'characters' ? textOptions(designed) : undefined;
      if (!client) return set({ phase: 'failed', error: { code: 'E_ENGINE_UNAVAILABLE', message: 'The engine is not connected yet.' } });
      scanAbort?.abort();
      const abort = new AbortController();
      scanAbort = abort;
      const scanId = `scan-${++scanSeq}`;
      set({ phase: 'scanning', source: { path, ...(kind ? { kind } : {}) }, progress: undefined, error: undefined });
      const off = client.on('data.scanProgress', (p) => {
        if (p.scanId === scanId) set({ progress: p });
      });
      try {
        // A folder may be of labelled texts, whichever folder kind was asked.
        const options = textFor ?? (format && (format.holds === 'folder' || format.reads === 'labelled-texts') ? { ...labelledTextOptionsOf(designed), ...get().tableOptions } : { ...seriesOptions(designed, format?.reads === 'time series' ? format.kind : undefined), ...get().tableOptions });
        const result = await client.request('data.scan', { scanId, path, ...(kind ? { kind } : {}), ...(Object.keys(options).length ? { options } : {}) }, { signal: abort.signal });
        if (scanAbort === abort) set({ phase: 'preview', result });
      } catch (err) {
        if (scanAbort !== abort) return;
        const e = err as Error & { code?: string };
        set(e.code === 'E_CANCELLED' ? { phase: 'choose', error: { code: 'E_CANCELLED', message: 'The scan was cancelled; nothing was changed.' } } : { phase: 'failed', error: { code: e.code ?? 'E_DATA', message: e.message } });
      } finally {
        off();
      }
    },
    cancel() {
      scanAbort?.abort();
      uploadStop = true;
    },
    setTableOptions(patch) {
      const options: Record<string, unknown> = { ...get().tableOptions, ...patch };
      for (const k of Object.keys(options)) if (options[k] === undefined) delete options[k];
      set({ tableOptions: options });
      const src = get().source;
      if (src) void get().scan(src.path, src.kind, true);
    },
    async uploadAndScan(name, kind, files) {
      const upload = getHost().files.uploadData;
      if (!upload) return;
      const { taken, left } = uploadable(files, kind);
      set({ phase: 'uploading', upload: { done: 0, total: taken.length, bytes: 0 }, uploadSkipped: left, error: undefined, result: undefined });
      if (taken.length === 0) return set({ phase: 'failed', error: { code: 'E_UPLOAD_EMPTY', message: `Nothing to upload: ${kind === 'folder' ? 'the folder holds no PNG, JPEG or WebP images, nor .txt texts' : 'choose a .csv, .tsv or .npz file, or two .npy files (features and targets) together'}.` } });
      uploadStop = false;
      try {
        let target = name;
        let done = 0;
        let bytes = 0;
        for (const [i, batch] of uploadBatches(taken).entries()) {
          if (uploadStop) {
            const where = get().source?.path;
            return set({ phase: 'choose', error: { code: 'E_CANCELLED', message: `The upload was stopped${where ? `: the ${done.toLocaleString()} files sent so far are in ${where} (delete it, or upload again)` : ''}.` } });
          }
          const encoded = await Promise.all(batch.map(async (f) => ({ path: f.path, data: bytesToBase64(await f.read()) })));
          const r = await upload(target, kind, encoded, i > 0);
          target = r.path.split(/[\\/]/).pop()!;
          done += batch.length;
          bytes += batch.reduce((a, f) => a + f.size, 0);
          set({ upload: { done, total: taken.length, bytes }, source: { path: r.path } });
        }
        const path = get().source?.path;
        if (path) await get().scan(path);
      } catch (err) {
        const e = err as Error & { code?: string };
        set({ phase: 'failed', error: { code: e.code ?? 'E_UPLOAD', message: e.message } });
      }
    },
    use() {
      const result = get().result;
      if (!result) return;
      const { dataset, shape } = adoptScanned(editor.getState(), result);
      get().close();
      const reading = textReading(dataset);
      set({ verified: `${result.path}\0${result.fingerprint}`, ...(shape ? { used: { path: result.path, fingerprint: result.fingerprint, shape, ...(reading !== undefined ? { readings: { [reading]: shape } } : {}) } } : { used: undefined }) });
    },
    async retokenize(patch) {
      const doc = editor.getState();
      const graph = doc.history.present.graph;
      const t = graph.training;
      if (!t) return;
      const before = t.dataset;
      const after: DatasetConfig = { ...before, options: { ...before.options, ...patch } };
      const step = `retokenize:${++retokenizeSeq}`;
      doc.edit({ kind: 'set-training', training: { ...t, dataset: after }, coalesce: step });
      const reading = textReading(after);
      const used = get().used;
      const o = before.options ?? {};
      const mine = used && reading !== undefined && o.path === used.path && o.fingerprint === used.fingerprint ? used : undefined;
      // What a sample was under the old options: the user's data as last read, else the Input (a built-in set).
      const input = featureInput(graph);
      const was: DataShape | undefined = mine ? (mine.readings?.[textReading(before) ?? ''] ?? mine.shape) : input && reading !== undefined ? { name: before.name, kind: 'table', featureShape: inputShape(input), classes: 0 } : undefined;
      const known = was && retokenizedShape(was, before, after);
      const fitTo = (shape: DataShape, g: GraphIR) => {
        // A built-in set's classes are the design's: only the Input follows (its features Input's edit).
        const fit = fitToData(g, shape, editor.getState().analysis.shapes);
        applyFit(editor.getState(), g, mine ? fit : { edits: fit.edits.filter((e) => e.nodeId === input?.id), mismatches: [] }, step);
      };
      if (known) {
        fitTo(known, editor.getState().history.present.graph);
        if (mine) set({ used: { ...mine, readings: { ...mine.readings, [reading!]: known } } });
        return;
      }
      // The vocabulary may change: the user's texts are read again with the new options (a built-in set's at Start).
      const client = engine.getState().client;
      const format = getDataFormat(after.name);
      if (!mine || !client || !format) return;
      try {
        const result = await client.request('data.scan', { scanId: `retokenize-${retokenizeSeq}`, path: mine.path, kind: format.kind, options: { ...labelledTextOptionsOf(after), ...tableOptionsOf(after.options ?? {}) } });
        const shape = dataShapeOf(result);
        if (!shape || result.fingerprint !== mine.fingerprint) return;
        const now = get().used;
        if (now?.path === mine.path && now.fingerprint === mine.fingerprint) set({ used: { ...now, readings: { ...now.readings, [reading!]: shape } } });
        // Fitted while the design still reads its texts so (the user may have changed them again meanwhile).
        const g = editor.getState().history.present.graph;
        if (textReading(g.training?.dataset) === reading && g.training?.dataset.options?.path === mine.path) fitTo(shape, g);
      } catch {
        // The data cannot be read with these options: Start's data check says why.
      }
    },
  }));
}

/**
 * "Use this data": the scanned data becomes the design's dataset, with the Input and head changed
 * to take it (a table's width, its classes; a regression's loss, target and metrics) and the names
 * that said the old data saying the new — one undo step, one notice.
 */
function adoptScanned(doc: EditorState, result: DataScanResult): { dataset: DatasetConfig; shape: DataShape | undefined } {
  const graph = doc.history.present.graph;
  const t = graph.training ?? defaultTraining(graph);
  const dataset = datasetToUse(result, t.dataset);
  const shape = dataShapeOf(result);
  // One undo step: the dataset, and the Input and head changed to take it (a table's width, its
  // classes; a regression's loss, target and metrics).
  const step = `use-data:${result.fingerprint}`;
  const fit: DataFit = shape ? fitToData(graph, shape, doc.analysis.shapes) : { edits: [], mismatches: [] };
  doc.edit({ kind: 'set-training', training: { ...t, dataset, ...(fit.metrics ? { metrics: fit.metrics.to } : {}) }, coalesce: step });
  applyFit(doc, graph, fit, step);
  // Names that said the old data say the new (the target Input, the design's name, and with it an unsaved project's and its runs').
  const names = namesForData(graph, datasetLabel(t.dataset), result);
  const renamed = names.target && doc.edit({ kind: 'rename', ...names.target, coalesce: step }, { quiet: true }).ok ? names.target : undefined;
  if (names.name) doc.edit({ kind: 'set-name', name: names.name, coalesce: step });
  const done = [...fitChanges(fit), ...(renamed ? [`the target ${renamed.from} is now ${renamed.to}, as the table names it`] : []), ...(names.name ? [`the design is now called “${names.name}”`] : [])];
  if (done.length) doc.notify('info', `${done.join('; ')}. Undo puts back ${done.length > 1 ? 'all of it' : 'both'}.`);
  return { dataset, shape };
}

/** Apply a data fit's node and output edits to the design, as one undo step with the edits before it (the step argument). */
function applyFit(doc: EditorState, graph: GraphIR, fit: DataFit, step: string): void {
  for (const e of fit.edits) {
    if (e.op !== undefined) doc.edit({ kind: 'set-op', nodeId: e.nodeId, op: e.op, attrs: e.attrs, coalesce: step });
    else doc.edit({ kind: 'set-attrs', nodeIds: [e.nodeId], attrs: e.attrs, coalesce: step });
  }
  if (fit.output) {
    doc.edit({ kind: 'set-output', name: fit.output.to, nodeId: graph.outputs[fit.output.from], coalesce: step });
    doc.edit({ kind: 'set-output', name: fit.output.from, nodeId: undefined, coalesce: step });
  }
}


/**
 * The scan options of a text for a design trained on a character-level text set (declared text):
 * its window, and the set's fixed vocabulary where it declares one (fortunes' 97 characters, so its
 * Embedding and last Linear fit); undefined for any other design.
 */
export function textOptions(dataset: DatasetConfig | undefined): Record<string, unknown> | undefined {
  const declared = getDataset(dataset?.name ?? '');
  if (!dataset || !declared?.text) return undefined;
  const window = dataset.options?.window;
  const vocabulary = declared.vocabulary ?? dataset.options?.vocabulary;
  return { ...(typeof window === 'number' ? { window } : {}), ...(vocabulary === 'ascii' ? { vocabulary } : {}) };
}

/** A table's reading options kept from a saved dataset (what the role editor shows again). */
function tableOptionsOf(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(['targetColumn', 'roles', 'missing', 'categorical', 'task', 'header', 'delimiter', 'textColumn', 'labelColumn'].filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
}
