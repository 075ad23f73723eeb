import type { FileOpResult, HostFiles } from '../../../src-contracts/host';
import { checkFileResult, unwrapFileMethod, type FileArgs, type FileMethod, type FileResult } from '../../../src-contracts/files';

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
}

function webHost(): RendererHost {
  const token = new URLSearchParams(location.search).get('token') ?? '';
  const call = async <M extends FileMethod>(op: M, ...args: FileArgs<M>): Promise<FileResult<M>> => {
    const res = await fetch('/api/files', {
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
  let dirty = false;
  window.addEventListener('beforeunload', (e) => {
    if (!dirty) return;
    e.preventDefault();
    e.returnValue = '';
  });
  return {
    kind: 'web',
    files: {
      nativeDialogs: false,
      pickOpen: () => Promise.resolve(null),
      pickSave: () => Promise.resolve(null),
      list: () => call('list'),
      read: (p) => call('read', p),
      write: async (p, text) => void (await call('write', p, text)),
      recent: () => call('recent'),
      writeRecovery: async (text) => void (await call('writeRecovery', text)),
      readRecovery: () => call('readRecovery'),
      clearRecovery: async () => void (await call('clearRecovery')),
      writeExport: (target, kind, files) => call('writeExport', target, kind, files),
      listData: () => call('listData'),
      workspace: () => call('workspace'),
      uploadData: (target, kind, files, more) => call('uploadData', target, kind, files, more),
    },
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
    write: files.write,
    recent: async () => checkFileResult('recent', await files.recent()),
    writeRecovery: files.writeRecovery,
    readRecovery: async () => checkFileResult('readRecovery', await files.readRecovery()),
    clearRecovery: files.clearRecovery,
    ...(files.pickExport ? { pickExport: files.pickExport } : {}),
    ...(files.pickDataset ? { pickDataset: files.pickDataset } : {}),
    ...(files.reveal ? { reveal: files.reveal } : {}),
    writeExport: async (target, kind, list) => checkFileResult('writeExport', await files.writeExport(target, kind, list)),
  };
}

let host: RendererHost | undefined;

/** The host this page runs in: Electron's preload bridge, or the web-mode server. */
export function getHost(): RendererHost {
  if (host) return host;
  const bridge = window.netwright;
  host = bridge?.host === 'electron' ? { kind: 'electron', files: checkedFiles(bridge.files), setTitle: bridge.setTitle, onCloseRequest: bridge.onCloseRequest } : webHost();
  return host;
}
