import type { WriteCondition } from './files';

/**
 * What the preload script exposes to the renderer as `window.netwright` (Electron only). The
 * renderer reaches the host through this object and nothing else. Engine traffic does not pass
 * through it: main hands the renderer a MessagePort straight to the engine, announced by a
 * `window.postMessage({ type: ENGINE_PORT_MESSAGE })` carrying the port.
 */
export interface PreloadBridge {
  readonly host: 'electron';
  /** Ask main for a (new) engine port; it arrives as a window message. */
  requestEngine(): void;
  /** Start the engine afresh (the status bar's "Restart engine" after repeated crashes). */
  restartEngine(): void;
  /** Engine supervision events (unvalidated here; the renderer checks them against HostEvent). */
  onEngineStatus(listener: (event: unknown) => void): () => void;
  readonly files: HostFiles;
  /** Set the window title's document name and dirty marker. */
  setTitle(title: string, dirty: boolean): void;
  /** Main asks before closing; the renderer answers whether unsaved changes may be dropped. */
  onCloseRequest(listener: () => Promise<boolean>): () => void;
  /** A command chosen in the app menu (an id of src-contracts/app-menu.ts; unvalidated here). */
  onMenuCommand(listener: (id: unknown) => void): () => void;
  /**
   * A file the app was asked to open from outside (a double-click, a second launch): an
   * {@link OpenedFile}, unvalidated here. Those sent before the page listens wait for it.
   */
  onOpenFile(listener: (file: unknown) => void): () => void;
}

/**
 * A file main hands the window to open (src-main/host/open-files.ts): a project, read and granted
 * as Open… reads it; an ONNX model's bytes, to import as Import ONNX… does, or with `view` (the
 * menu's View ONNX…) to show read-only as View ONNX (read-only)… does; or why it could not be read.
 */
export type OpenedFile = { kind: 'project'; file: HostFile } | { kind: 'onnx'; name: string; bytes: Uint8Array; view?: true } | { kind: 'error'; name: string; message: string };

export const ENGINE_PORT_MESSAGE = 'netwright:engine-port';

/**
 * The window message the GPU window's preload posts to its page, carrying a MessagePort to the
 * engine: the page hands it to its worker, which serves the GPU wire on it (docs/webgpu-backend.md).
 */
export const GPU_PORT_MESSAGE = 'netwright:gpu-port';

/** IPC channel names between preload and main (the only ones there are). */
export const IpcChannels = {
  engineConnect: 'netwright:engine-connect',
  engineRestart: 'netwright:engine-restart',
  enginePort: 'netwright:engine-port',
  engineStatus: 'netwright:engine-status',
  /** Main → the GPU window's preload: a port to the engine (the GPU window has no other channel). */
  gpuPort: 'netwright:gpu-port',
  files: 'netwright:files',
  dialog: 'netwright:dialog',
  setTitle: 'netwright:set-title',
  closeRequest: 'netwright:close-request',
  closeResponse: 'netwright:close-response',
  /** Main → window: a menu command's id. */
  menuCommand: 'netwright:menu-command',
  /** Main → window: a file to open (OpenedFile). */
  openFile: 'netwright:open-file',
} as const;

export { HostFileError, unwrapFileResult, type FileOpResult } from './file-result';



/** A project file as the host returns it. */
export interface HostFile {
  /** Absolute path (Electron) or a path relative to the workspace folder (web mode). */
  path: string;
  /** File name for titles and recent lists. */
  name: string;
  text: string;
  /** Its version as read (SHA-256 hex): a Save passes it back, so a file changed since is not overwritten unseen. */
  version: string;
}

/**
 * File services both hosts offer (src-main/host/files.ts does the work for both). Saves are
 * atomic (write a temp file, then rename). In Electron `pickOpen`/`pickSave` show native dialogs;
 * in web mode there are none (`nativeDialogs: false`) and the renderer shows its own picker over
 * `list()` of the host's workspace folder.
 */
export interface HostFiles {
  readonly nativeDialogs: boolean;
  /** Native open dialog; resolves null when cancelled. */
  pickOpen(): Promise<HostFile | null>;
  /** Native save dialog; resolves the chosen path or null when cancelled. */
  pickSave(suggestedName: string): Promise<string | null>;
  /**
   * Electron: choose a data file (a CSV/TSV table, an `.npz`) or folder (of class sub-folders of
   * images; IDX files) to train on; the engine may then read it (projects cannot name data files
   * by themselves). Web mode has none: data lives in the workspace (`uploadData`, `listData`).
   */
  pickDataset?(kind: 'file' | 'folder'): Promise<string | null>;
  /** Web mode: the data in the workspace's `data/` folder and the host's data folder (src-contracts/files.ts `listData`). */
  listData?(): Promise<{ path: string; name: string; kind: 'image-folder' | 'text-folder' | 'csv' | 'npz'; where: 'workspace' | 'data-dir'; modified: number }[]>;
  /** Web mode: where projects live and the host's data folder (src-contracts/files.ts `workspace`). */
  workspace?(): Promise<{ path: string; dataDir: string | null; command: string } | null>;
  /** Web mode: copy data from the browser into the workspace (src-contracts/files.ts `uploadData`); resolves the path to scan. */
  uploadData?(target: string, kind: 'file' | 'folder', files: { path: string; data: string }[], more: boolean): Promise<{ path: string }>;
  /** Web mode: send a model file to import to the host, which keeps it for the engine to read (src-contracts/files.ts `MODEL_UPLOAD`); resolves the path `model.read` names. */
  uploadModel?(file: Blob, signal?: AbortSignal): Promise<{ path: string }>;
  /** Camera frames into a class folder of `folder`, numbered after those there, never over a file (src-contracts/files.ts `saveCaptures`). */
  saveCaptures(folder: string, className: string, ext: 'png' | 'jpg', frames: string[]): Promise<{ folder: string; names: string[] }>;
  /**
   * Electron: a native save dialog for an export (a file, or the folder a PyTorch project goes
   * in); resolves the granted path or null when cancelled. Web mode has none: exports go to the
   * workspace's `exports/` folder and to a browser download.
   */
  pickExport?(suggestedName: string, kind: 'file' | 'folder'): Promise<string | null>;
  /**
   * Write an export (bytes as base64) atomically, never replacing what the exporter did not
   * write; resolves where it was written, as shown (`path`) and in full (`full`).
   */
  writeExport(target: string, kind: 'file' | 'folder', files: { path: string; data: string }[]): Promise<{ path: string; full: string }>;
  /**
   * An export of any size, streamed to disk in parts (src-contracts/files.ts `beginExport`):
   * `beginExport` names the target as `writeExport` does and each file's size; `appendExport`
   * sends part `seq` (0, 1, 2…: the next bytes of a file, base64, at most EXPORT_LIMITS.chunkBytes)
   * once the last is answered; `commitExport` puts it in place; `cancelExport` removes what was written.
   */
  beginExport(target: string, kind: 'file' | 'folder', files: { path: string; bytes: number }[]): Promise<{ id: string }>;
  appendExport(id: string, seq: number, path: string, data: string): Promise<void>;
  commitExport(id: string): Promise<{ path: string; full: string }>;
  cancelExport(id: string): Promise<void>;
  /** Electron: show a file this session wrote (an export) in the system's file manager. */
  reveal?(path: string): Promise<void>;
  /** Project files in the workspace folder (web mode) or the recent list's folders (Electron). */
  list(): Promise<{ path: string; name: string; modified: number }[]>;
  read(path: string): Promise<HostFile>;
  /**
   * Atomic write, only when `condition` holds as the host writes (src-contracts/files.ts
   * WriteCondition: E_FILE_EXISTS, E_FILE_CHANGED otherwise); resolves the version written.
   */
  write(path: string, text: string, condition: WriteCondition, weights?: string | null): Promise<{ version: string }>;
  /**
   * A project's trained weights, beside its file as safetensors and sent in parts
   * (src-contracts/files.ts `beginWeights`): `beginWeights` for a `write` of `path`; `appendWeights`
   * part `seq` (bytes, at most PROJECT_LIMITS.chunkBytes), the last one answered their SHA-256;
   * `write(…, id)` puts them in place. `readWeights` answers part of those a project names.
   * Absent on a host that keeps weights inside the project file.
   */
  beginWeights?(path: string, bytes: number): Promise<{ id: string; partBytes: number }>;
  appendWeights?(id: string, seq: number, data: Uint8Array): Promise<{ sha256: string | null }>;
  readWeights?(path: string, sha256: string, offset: number): Promise<{ data: Uint8Array; total: number }>;
  recent(): Promise<{ path: string; name: string }[]>;
  /** Autosave slot for crash recovery (one per app). */
  writeRecovery(text: string): Promise<void>;
  readRecovery(): Promise<{ text: string; savedAt: number } | null>;
  clearRecovery(): Promise<void>;
}
