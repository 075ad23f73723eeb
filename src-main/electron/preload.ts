// Preload (sandboxed, context-isolated): the renderer's only door to the host.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { ENGINE_PORT_MESSAGE, IpcChannels, unwrapFileResult, type FileOpResult, type HostFile, type PreloadBridge } from '../../src-contracts/host';
// Types only: the sandboxed preload cannot load zod; the renderer checks what comes back.
import type { FileArgs, FileMethod, FileResult } from '../../src-contracts/files';

const fileOp = async <M extends FileMethod>(op: M, ...args: FileArgs<M>): Promise<FileResult<M>> => unwrapFileResult<FileResult<M>>((await ipcRenderer.invoke(IpcChannels.files, op, args)) as FileOpResult);

let closeListener: (() => Promise<boolean>) | undefined;
ipcRenderer.on(IpcChannels.closeRequest, () => {
  const ask = closeListener ?? (() => Promise.resolve(true));
  ask()
    .catch(() => false)
    .then((ok) => ipcRenderer.send(IpcChannels.closeResponse, ok === true));
});

/** Files main sent before the page listened (it opens with the app): kept until it does. */
let openListener: ((file: unknown) => void) | undefined;
const openWaiting: unknown[] = [];
ipcRenderer.on(IpcChannels.openFile, (_e, file: unknown) => (openListener ? openListener(file) : openWaiting.push(file)));

const bridge: PreloadBridge = {
  host: 'electron',
  requestEngine: () => ipcRenderer.send(IpcChannels.engineConnect),
  restartEngine: () => ipcRenderer.send(IpcChannels.engineRestart),
  onEngineStatus: (listener) => {
    const l = (_e: IpcRendererEvent, event: unknown) => listener(event);
    ipcRenderer.on(IpcChannels.engineStatus, l);
    return () => void ipcRenderer.off(IpcChannels.engineStatus, l);
  },
  files: {
    nativeDialogs: true,
    pickOpen: async () => unwrapFileResult<HostFile | null>((await ipcRenderer.invoke(IpcChannels.dialog, 'open')) as FileOpResult),
    pickSave: async (suggestedName) => unwrapFileResult<string | null>((await ipcRenderer.invoke(IpcChannels.dialog, 'save', suggestedName)) as FileOpResult),
    pickDataset: async (kind) => unwrapFileResult<string | null>((await ipcRenderer.invoke(IpcChannels.dialog, kind === 'folder' ? 'dataset-folder' : 'dataset-file')) as FileOpResult),
    pickExport: async (suggestedName, kind) => unwrapFileResult<string | null>((await ipcRenderer.invoke(IpcChannels.dialog, kind === 'folder' ? 'export-folder' : 'export-file', suggestedName)) as FileOpResult),
    writeExport: (target, kind, files) => fileOp('writeExport', target, kind, files, null),
    beginExport: (target, kind, files) => fileOp('beginExport', target, kind, files),
    appendExport: async (id, seq, path, data) => void (await fileOp('appendExport', id, seq, path, data)),
    commitExport: (id) => fileOp('commitExport', id),
    cancelExport: async (id) => void (await fileOp('cancelExport', id)),
    reveal: async (p) => void unwrapFileResult<null>((await ipcRenderer.invoke(IpcChannels.dialog, 'reveal', p)) as FileOpResult),
    saveCaptures: (folder, className, ext, frames) => fileOp('saveCaptures', folder, className, ext, frames),
    list: () => fileOp('list'),
    read: (p) => fileOp('read', p),
    write: (p, text, condition, weights) => (weights ? fileOp('write', p, text, condition, weights) : fileOp('write', p, text, condition)),
    beginWeights: (p, bytes) => fileOp('beginWeights', p, bytes),
    appendWeights: (id, seq, data) => fileOp('appendWeights', id, seq, data),
    readWeights: (p, sha256, offset) => fileOp('readWeights', p, sha256, offset),
    recent: () => fileOp('recent'),
    writeRecovery: async (text) => void (await fileOp('writeRecovery', text)),
    readRecovery: () => fileOp('readRecovery'),
    clearRecovery: async () => void (await fileOp('clearRecovery')),
  },
  setTitle: (title, dirty) => ipcRenderer.send(IpcChannels.setTitle, String(title).slice(0, 300), dirty === true),
  onMenuCommand: (listener) => {
    const l = (_e: IpcRendererEvent, id: unknown) => listener(id);
    ipcRenderer.on(IpcChannels.menuCommand, l);
    return () => void ipcRenderer.off(IpcChannels.menuCommand, l);
  },
  onOpenFile: (listener) => {
    openListener = listener;
    openWaiting.splice(0).forEach((f) => listener(f));
    return () => {
      if (openListener === listener) openListener = undefined;
    };
  },
  onCloseRequest: (listener) => {
    closeListener = listener;
    return () => {
      if (closeListener === listener) closeListener = undefined;
    };
  },
};
contextBridge.exposeInMainWorld('netwright', bridge);

// MessagePorts cannot cross contextBridge; forward them to the page as a window message. The
// page is this same window, so the target origin is not a disclosure ('*' works under both app://netwright and the dev server).
const page = globalThis as unknown as { postMessage(message: unknown, targetOrigin: string, transfer: unknown[]): void };
ipcRenderer.on(IpcChannels.enginePort, (e) => page.postMessage({ type: ENGINE_PORT_MESSAGE }, '*', e.ports));
