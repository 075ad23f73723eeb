import type { FileOpResult, HostFiles } from '../../../src-contracts/host';
import { FILE_BYTES, FILE_BYTES_HEADERS, MODEL_UPLOAD, checkFileResult, checkModelUpload, exportCalls, unwrapFileMethod, type FileArgs, type FileMethod, type FileResult } from '../../../src-contracts/files';

/** The host services the renderer may use, whichever host serves it. */
export interface RendererHost {
  readonly kind: 'electron' | 'web';
  readonly files: HostFiles;
  /** Window/tab title with the document name and a dirty marker. */
  setTitle(title: string, dirty: boolean): void;
  /**
   * Ask before the window closes with unsaved changes. Electron calls the listener and closes
   * only when it resolves true; a browser tab cannot wait for an answer, so web mode shows the
   * browser's own "leave site?" prompt while the document is dirty.
   */
  onCloseRequest(listener: () => Promise<boolean>): () => void;
  /** Electron: a command chosen in the app menu (state/menu-commands.ts); web mode has no app menu. */
  onMenuCommand?(listener: (id: unknown) => void): () => void;
  /** Electron: a file the app was asked to open from outside (editor/open-from-host.ts). */
  onOpenFile?(listener: (file: unknown) => void): () => void;
}

/**
 * Web mode's file services: each a `POST {op, args}` to the host's file API (`endpoint`, with the
 * page's token). An export larger than one request may be goes as parts (exportCalls), as a
 * large import goes over the engine's socket in chunks.
 */
export function webHostFiles(endpoint: string, token: string, send: typeof fetch = fetch): HostFiles {
  const call = async <M extends FileMethod>(op: M, ...args: FileArgs<M>): Promise<FileResult<M>> => {
    const res = await send(endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Netwright-Token': token },
      body: JSON.stringify({ op, args }),
    });
    let body: FileOpResult;
    try {
      body = (await res.json()) as FileOpResult;
    } catch {
      body = { ok: false, error: { code: 'E_FILE_HTTP', message: `The Netwright host answered ${res.status}.` } };
    }
    return unwrapFileMethod(op, body);
  };
  /**
   * A FILE_BYTES call: `bytes` (a part to append) as the body, or the answer's `data` read from
   * the response body; the rest as JSON in the headers. Checked against FileMethods as `call`'s.
   */
  const bytesCall = async <M extends keyof typeof FILE_BYTES.ops>(op: M, args: unknown[], bytes?: Uint8Array): Promise<FileResult<M>> => {
    const res = await send(FILE_BYTES.route, {
      method: 'POST',
      headers: { 'Content-Type': 'application/octet-stream', 'X-Netwright-Token': token, [FILE_BYTES_HEADERS.call]: encodeURIComponent(JSON.stringify({ op, args })) },
      body: (bytes ?? new Uint8Array(0)) as Uint8Array<ArrayBuffer>,
    });
    const result = res.headers?.get(FILE_BYTES_HEADERS.result);
    if (res.status === 200 && result !== null && result !== undefined) {
      let rest: unknown;
      try {
        rest = JSON.parse(decodeURIComponent(result));
      } catch {
        rest = undefined;
      }
      return checkFileResult(op, { ...(rest as object), data: new Uint8Array(await res.arrayBuffer()) });
    }
    let body: FileOpResult;
    try {
      body = (await res.json()) as FileOpResult;
    } catch {
      body = { ok: false, error: { code: 'E_FILE_HTTP', message: `The Netwright host answered ${res.status}.` } };
    }
    return unwrapFileMethod(op, body);
  };
  return {
    nativeDialogs: false,
    pickOpen: () => Promise.resolve(null),
    pickSave: () => Promise.resolve(null),
    list: () => call('list'),
    read: (p) => call('read', p),
    write: (p, text, condition, weights) => (weights ? call('write', p, text, condition, weights) : call('write', p, text, condition)),
    beginWeights: (p, bytes) => call('beginWeights', p, bytes),
    appendWeights: (id, seq, data) => bytesCall('appendWeights', [id, seq], data),
    readWeights: (p, sha256, offset) => bytesCall('readWeights', [p, sha256, offset]),
    recent: () => call('recent'),
    writeRecovery: async (text) => void (await call('writeRecovery', text)),
    readRecovery: () => call('readRecovery'),
    clearRecovery: async () => void (await call('clearRecovery')),
    writeExport: async (target, kind, files) => {
      const { staged, last } = exportCalls(files);
      const id = staged.length > 0 ? stagingId() : null;
      for (const part of staged) await call('stageExport', id!, part);
      return call('writeExport', target, kind, last, id);
    },
    beginExport: (target, kind, files) => call('beginExport', target, kind, files),
    appendExport: async (id, seq, path, data) => void (await call('appendExport', id, seq, path, data)),
    commitExport: (id) => call('commitExport', id),
    cancelExport: async (id) => void (await call('cancelExport', id)),
    uploadModel: async (file, signal) => {
      const res = await send(MODEL_UPLOAD.route, { method: 'POST', headers: { 'Content-Type': 'application/octet-stream', 'X-Netwright-Token': token }, body: file, ...(signal ? { signal } : {}) });
      let body: unknown;
      try {
        body = await res.json();
      } catch {
        body = { ok: false, error: { code: 'E_FILE_HTTP', message: `The Netwright host answered ${res.status}.` } };
      }
      return checkModelUpload(body);
    },
    listData: () => call('listData'),
    workspace: () => call('workspace'),
    uploadData: (target, kind, files, more) => call('uploadData', target, kind, files, more),
    saveCaptures: (folder, className, ext, frames) => call('saveCaptures', folder, className, ext, frames),
  };
}

/** A staging id for an export sent in parts: 16 random bytes, hex. */
const stagingId = (): string => [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');

function webHost(): RendererHost {
  const token = new URLSearchParams(location.search).get('token') ?? '';
  let dirty = false;
  window.addEventListener('beforeunload', (e) => {
    if (!dirty) return;
    e.preventDefault();
    e.returnValue = '';
  });
  return {
    kind: 'web',
    files: webHostFiles('/api/files', token),
    setTitle(title, isDirty) {
      dirty = isDirty;
      document.title = `${isDirty ? '• ' : ''}${title} — Netwright`;
    },
    onCloseRequest: () => () => {},
  };
}

/**
 * The Electron bridge's file methods with their answers checked against the file channel's
 * schemas (the sandboxed preload cannot load zod, so the check happens here).
 */
function checkedFiles(files: HostFiles): HostFiles {
  return {
    nativeDialogs: files.nativeDialogs,
    pickOpen: files.pickOpen,
    pickSave: files.pickSave,
    list: async () => checkFileResult('list', await files.list()),
    read: async (p) => checkFileResult('read', await files.read(p)),
    write: async (p, text, condition, weights) => checkFileResult('write', await files.write(p, text, condition, weights)),
    ...(files.beginWeights ? { beginWeights: async (p: string, bytes: number) => checkFileResult('beginWeights', await files.beginWeights!(p, bytes)) } : {}),
    ...(files.appendWeights ? { appendWeights: async (id: string, seq: number, data: Uint8Array) => checkFileResult('appendWeights', await files.appendWeights!(id, seq, data)) } : {}),
    ...(files.readWeights ? { readWeights: async (p: string, sha256: string, offset: number) => checkFileResult('readWeights', await files.readWeights!(p, sha256, offset)) } : {}),
    recent: async () => checkFileResult('recent', await files.recent()),
    writeRecovery: files.writeRecovery,
    readRecovery: async () => checkFileResult('readRecovery', await files.readRecovery()),
    clearRecovery: files.clearRecovery,
    ...(files.pickExport ? { pickExport: files.pickExport } : {}),
    ...(files.pickDataset ? { pickDataset: files.pickDataset } : {}),
    ...(files.reveal ? { reveal: files.reveal } : {}),
    writeExport: async (target, kind, list) => checkFileResult('writeExport', await files.writeExport(target, kind, list)),
    beginExport: async (target, kind, list) => checkFileResult('beginExport', await files.beginExport(target, kind, list)),
    appendExport: files.appendExport,
    commitExport: async (id) => checkFileResult('commitExport', await files.commitExport(id)),
    cancelExport: files.cancelExport,
    saveCaptures: async (folder, className, ext, frames) => checkFileResult('saveCaptures', await files.saveCaptures(folder, className, ext, frames)),
  };
}

let host: RendererHost | undefined;

/** The host this page runs in: Electron's preload bridge, or the web-mode server. */
export function getHost(): RendererHost {
  if (host) return host;
  const bridge = window.netwright;
  host =
    bridge?.host === 'electron'
      ? { kind: 'electron', files: checkedFiles(bridge.files), setTitle: bridge.setTitle, onCloseRequest: bridge.onCloseRequest, onMenuCommand: bridge.onMenuCommand, onOpenFile: bridge.onOpenFile }
      : webHost();
  return host;
}
