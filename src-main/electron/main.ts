/**
 * Electron main: windows, menus, and engine supervision. Thin glue — the engine runs in a
 * utility process and talks to the renderer over a MessagePort that main hands to both.
 */
import { app, BrowserWindow, Menu, MessageChannelMain, dialog, ipcMain, net, protocol, session, shell, utilityProcess, type UtilityProcess } from 'electron';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { EventMessage, MAX_IMPORT_BYTES } from '../../src-engine/protocol';
import { readRegularFile, RegularFileError } from '../../src-engine/node/regular-file';
import { DATASET_FILE_EXTENSIONS } from '../../src-engine/catalog/data-formats/registry';
import { GpuHostRequest } from '../../src-engine/protocol/gpu-wire';
import { IpcChannels } from '../../src-contracts/host';
import { EngineSupervisor, ExitCauseReader, type EngineProcess } from '../host/supervisor';
import { contentSecurityPolicy } from '../host/security';
import { FileService, PROJECT_EXTENSION, callFileOp } from '../host/files';
import { GpuWindow } from './gpu-window';
import { DOCS_ENTRY, appMenuTemplate } from './app-menu';
import type { HostMenuCommandId, MenuCommandId } from '../../src-contracts/app-menu';
import type { HostFile, OpenedFile } from '../../src-contracts/host';
import { OpenQueue, filesToOpen, openKind } from '../host/open-files';
import { APP_ENTRY_URL, APP_ORIGIN, APP_SCHEME, isAllowedExternal, isPermissionAllowed, isTrustedSender, resolveAppAsset } from '../host/electron-policy';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The renderer reaches the engine over a MessagePort: its page connects to nothing but itself. */
const CONTENT_SECURITY_POLICY = contentSecurityPolicy();
/** The built renderer, served as `app://netwright/` (never as `file://`). */
const rendererDir = path.join(here, '../renderer');
/** electron-vite's dev server (`npm run dev` only); its origin is trusted as the app's. */
const devUrl = process.env.ELECTRON_RENDERER_URL;

/**
 * One Netwright at a time: a second launch (a double-clicked project while the app runs) hands its
 * files to this one (`second-instance`) and quits.
 */
const primary = app.requestSingleInstanceLock();
if (!primary) app.quit();

// Before `ready`: `app:` behaves like https (standard URL parsing, secure context, fetch).
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

/**
 * The hidden window whose worker owns the engine's WebGPU device (gpu-window.ts). When its process
 * dies the engine is told, so that a run on it pauses rather than waiting for a readback.
 */
const gpuWindow = new GpuWindow({
  preload: path.join(here, '../preload/gpu-preload.cjs'),
  url: devUrl ? new URL('gpu.html', devUrl).toString() : `${APP_ORIGIN}/gpu.html`,
  onGone: (message) => engineChild?.postMessage({ kind: 'gpu-gone', message }),
});

/** The app's windows: every window but the hidden GPU one. */
const appWindows = (): BrowserWindow[] => BrowserWindow.getAllWindows().filter((w) => !gpuWindow.is(w));

/** Every IPC message must come from the app's own top-level page (docs/security.md, "Electron"). */
function fromApp(e: Electron.IpcMainEvent | Electron.IpcMainInvokeEvent): boolean {
  if (e.sender !== gpuWindow.webContents && isTrustedSender(e.senderFrame, devUrl)) return true;
  console.error('[main] refused an IPC message from an untrusted frame');
  return false;
}
const UNTRUSTED_SENDER = { ok: false, error: { code: 'E_IPC_UNTRUSTED_SENDER', message: 'This request did not come from the Netwright window and was refused.' } } as const;
let engineChild: UtilityProcess | undefined;
let engineReady = false;

function spawnEngine(): EngineProcess {
  // The engine records every run in the app's data folder (docs/runs.md).
  const env = { ...process.env, NETWRIGHT_RUNS_DIR: path.join(app.getPath('userData'), 'runs') };
  const child = utilityProcess.fork(path.join(here, 'engine.js'), [], { serviceName: 'Netwright Engine', stdio: ['ignore', 'inherit', 'pipe'], env });
  // The engine's stderr still reaches ours; its tail says why it died (supervisor.ts).
  const exit = new ExitCauseReader();
  child.stderr?.on('data', (chunk: Buffer) => {
    exit.feed(chunk);
    process.stderr.write(chunk);
  });
  engineChild = child;
  engineReady = false;
  const readyListeners: (() => void)[] = [];
  child.on('message', (raw: unknown) => {
    if (GpuHostRequest.safeParse(raw).success) {
      // The engine wants a GPU: a port to the GPU window's worker, or why there is none.
      gpuWindow.connect().then(
        (port) => child.postMessage({ kind: 'gpu-port' }, [port]),
        (err: Error) => child.postMessage({ kind: 'gpu-none', message: err.message }),
      );
      return;
    }
    const msg = EventMessage.safeParse(raw);
    if (msg.success && msg.data.event === 'engine.ready') {
      engineReady = true;
      // A restarted engine knows nothing: pass on the data files the user picked so far.
      if (dataGrants.size > 0) child.postMessage(dataGrantMessage([...dataGrants]));
      readyListeners.forEach((l) => l());
      for (const win of appWindows()) connectWindow(win);
    } else {
      console.error('[main] rejected an unexpected message from the engine');
    }
  });
  return {
    get pid() {
      return child.pid;
    },
    onExit: (l) => void child.once('exit', (code) => l(code, null)),
    onReady: (l) => void readyListeners.push(l),
    kill: () => void child.kill(),
    exitCause: () => exit.cause(),
  };
}

/** Give a window a fresh port to the engine (on load, reload and after an engine restart). */
function connectWindow(win: BrowserWindow): void {
  if (!engineChild || !engineReady || win.isDestroyed()) return;
  const { port1, port2 } = new MessageChannelMain();
  engineChild.postMessage({ kind: 'connect' }, [port1]);
  win.webContents.postMessage(IpcChannels.enginePort, null, [port2]);
}

const supervisor = new EngineSupervisor(spawnEngine, (status) => {
  for (const win of appWindows()) win.webContents.send(IpcChannels.engineStatus, status);
});

let files: FileService;

/**
 * Data files and folders the user picked in a dialog: the only ones the engine may read for a
 * project (src-engine/node/data-access.ts); a path a project names by itself is refused.
 */
const dataGrants = new Set<string>();
const dataGrantMessage = (paths: string[]) => ({ kind: 'grant-data', paths });

function grantData(p: string): string {
  const abs = path.resolve(p);
  dataGrants.add(abs);
  if (engineChild && engineReady) engineChild.postMessage(dataGrantMessage([abs]));
  return abs;
}
const PROJECT_FILTERS = [
  { name: 'Netwright project', extensions: [PROJECT_EXTENSION.slice(1), 'json'] },
  { name: 'All files', extensions: ['*'] },
];

function registerFileIpc(): void {
  files = new FileService({ stateDir: app.getPath('userData') });
  // Saves interrupted by a crash or power cut leave `*.tmp` files beside their targets.
  void files.cleanupTempFiles().catch(() => {});
  ipcMain.handle(IpcChannels.files, (e, op: unknown, args: unknown) => (fromApp(e) ? callFileOp(files, op, args) : UNTRUSTED_SENDER));
  ipcMain.handle(IpcChannels.dialog, async (e, kind: unknown, suggested: unknown) => {
    if (!fromApp(e)) return UNTRUSTED_SENDER;
    const win = BrowserWindow.fromWebContents(e.sender) ?? undefined;
    if (kind === 'open') {
      const r = win ? await dialog.showOpenDialog(win, { properties: ['openFile'], filters: PROJECT_FILTERS }) : await dialog.showOpenDialog({ properties: ['openFile'], filters: PROJECT_FILTERS });
      if (r.canceled || !r.filePaths[0]) return { ok: true, result: null };
      return callFileOp(files, 'read', [files.grant(r.filePaths[0])]);
    }
    if (kind === 'save') {
      const name = typeof suggested === 'string' && suggested ? suggested.replace(/[\\/:*?"<>|]/g, '_').slice(0, 120) : `untitled${PROJECT_EXTENSION}`;
      // The dialog asks before replacing a file (Linux needs the property); the renderer then writes with `replace`.
      const opts: Electron.SaveDialogOptions = { defaultPath: name.endsWith('.json') ? name : name + PROJECT_EXTENSION, filters: PROJECT_FILTERS, properties: ['showOverwriteConfirmation', 'createDirectory'] };
      const r = win ? await dialog.showSaveDialog(win, opts) : await dialog.showSaveDialog(opts);
      return { ok: true, result: r.canceled || !r.filePath ? null : files.grant(r.filePath) };
    }
    if (kind === 'export-file' || kind === 'export-folder') {
      // The name the engine suggested (`MNIST CNN.onnx`, `MNIST CNN-pytorch`): a file, or the folder a PyTorch project is written as.
      const name = typeof suggested === 'string' && suggested ? suggested.replace(/[\\/:*?"<>|]/g, '_').slice(0, 160) : 'model';
      const ext = kind === 'export-file' ? path.extname(name).slice(1) : '';
      // The dialog asks before replacing a file (Linux needs the property); the writer then
      // replaces only a file or an earlier export, never a folder holding anything else.
      const opts: Electron.SaveDialogOptions = {
        title: kind === 'export-folder' ? 'Export as a folder' : 'Export',
        defaultPath: name,
        properties: ['showOverwriteConfirmation', 'createDirectory'],
        ...(ext ? { filters: [{ name: ext.toUpperCase(), extensions: [ext] }, { name: 'All files', extensions: ['*'] }] } : {}),
      };
      const r = win ? await dialog.showSaveDialog(win, opts) : await dialog.showSaveDialog(opts);
      return { ok: true, result: r.canceled || !r.filePath ? null : files.grant(r.filePath) };
    }
    if (kind === 'reveal') {
      if (!files.isGranted(suggested)) return { ok: false, error: { code: 'E_FILE_NOT_GRANTED', message: 'Only a file Netwright wrote this session can be shown.' } };
      shell.showItemInFolder(path.resolve(suggested));
      return { ok: true, result: null };
    }
    if (kind === 'dataset-file' || kind === 'dataset-folder') {
      const opts: Electron.OpenDialogOptions =
        kind === 'dataset-file'
          ? { title: 'Choose a table or arrays', properties: ['openFile'], filters: [{ name: 'Tables and arrays', extensions: DATASET_FILE_EXTENSIONS.map((e) => e.slice(1)) }, { name: 'All files', extensions: ['*'] }] }
          : { title: 'Choose a folder of class sub-folders', properties: ['openDirectory'] };
      const r = win ? await dialog.showOpenDialog(win, opts) : await dialog.showOpenDialog(opts);
      if (r.canceled || !r.filePaths[0]) return { ok: true, result: null };
      // A picked folder may also take camera frames (saveCaptures: class folders made inside it).
      if (kind === 'dataset-folder') files.grant(r.filePaths[0]);
      return { ok: true, result: grantData(r.filePaths[0]) };
    }
    return { ok: false, error: { code: 'E_FILE_BAD_REQUEST', message: 'Unknown dialog.' } };
  });
  ipcMain.on(IpcChannels.setTitle, (e, title: unknown, dirty: unknown) => {
    if (!fromApp(e)) return;
    const win = BrowserWindow.fromWebContents(e.sender);
    if (!win || typeof title !== 'string') return;
    dirtyWindows[dirty === true ? 'add' : 'delete'](win.id);
    win.setTitle(`${dirty === true ? '• ' : ''}${title} — Netwright`);
    win.setDocumentEdited(dirty === true);
  });
}

/** Windows whose document has unsaved changes: closing them asks the renderer first. */
const dirtyWindows = new Set<number>();

function guardClose(win: BrowserWindow): void {
  let confirmed = false;
  win.on('close', (event) => {
    if (confirmed || !dirtyWindows.has(win.id)) return;
    event.preventDefault();
    const onAnswer = (e: Electron.IpcMainEvent, ok: unknown) => {
      if (e.sender !== win.webContents || !fromApp(e)) return;
      ipcMain.off(IpcChannels.closeResponse, onAnswer);
      if (ok === true) {
        confirmed = true;
        win.close();
      }
    };
    ipcMain.on(IpcChannels.closeResponse, onAnswer);
    win.webContents.send(IpcChannels.closeRequest);
  });
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1400,
    height: 900,
    title: 'Netwright',
    show: false,
    webPreferences: {
      preload: path.join(here, '../preload/preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      // Middle-click must not open links in new windows behind the window-open handler's back.
      disableBlinkFeatures: 'Auxclick',
    },
  });
  win.once('ready-to-show', () => win.show());
  guardClose(win);
  // The hidden GPU window alone must not keep the app running once the last app window closes
  // (where that quits the app: not on macOS, where the app and its runs live on without windows).
  win.on('closed', () => {
    if (process.platform !== 'darwin' && appWindows().length === 0) gpuWindow.close();
  });
  win.webContents.on('did-finish-load', () => {
    win.webContents.send(IpcChannels.engineStatus, supervisor.status);
    connectWindow(win);
    opens.open();
  });
  win.webContents.on('did-start-loading', () => opens.close());
  void win.loadURL(devUrl ?? APP_ENTRY_URL);
  return win;
}

function hardenContents(): void {
  app.on('web-contents-created', (_e, contents) => {
    contents.on('will-navigate', (event, url) => {
      if (url !== contents.getURL()) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      if (isAllowedExternal(url)) void shell.openExternal(url);
      return { action: 'deny' };
    });
  });
}

/** Serve `app://netwright/...` from the renderer folder; traversal and other hosts are refused (resolveAppAsset). */
function serveApp(): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const asset = resolveAppAsset(request.url, rendererDir);
    if (!asset.ok) return new Response(null, { status: asset.status });
    const file = await net.fetch(pathToFileURL(asset.file).toString());
    const headers = new Headers(file.headers);
    headers.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    headers.set('X-Content-Type-Options', 'nosniff');
    return new Response(file.body, { status: file.status, headers });
  });
}

/** The docs: shipped beside the app (electron-builder's extraResources), or the checkout's under `npm run dev`. */
const docsDir = () => (app.isPackaged ? path.join(process.resourcesPath, 'docs') : path.join(here, '../../docs'));

/** The native open dialog for an ONNX model, titled `title`; `chosen` gets the file picked, if any. */
function pickOnnx(title: string, chosen: (file: string) => void): void {
  const win = appWindows()[0];
  const opts: Electron.OpenDialogOptions = { title, properties: ['openFile'], filters: [{ name: 'ONNX model', extensions: ['onnx'] }] };
  void (win ? dialog.showOpenDialog(win, opts) : dialog.showOpenDialog(opts)).then((r) => r.canceled || !r.filePaths[0] || chosen(r.filePaths[0]));
}

/** The menu commands main runs itself. */
const HOST_MENU_ACTIONS: Record<HostMenuCommandId, () => void> = {
  docs: () => void shell.openPath(path.join(docsDir(), DOCS_ENTRY)),
  // The chosen model opens as a double-clicked one does (OpenQueue → the window's Import ONNX).
  'import-onnx': () => pickOnnx('Import ONNX', (file) => opens.request(file)),
  // Read as a double-clicked model is, and sent marked `view`: the window shows it read-only (its View ONNX), the open design stays.
  'view-onnx': () =>
    pickOnnx('View ONNX', (file) => {
      const win = appWindows()[0];
      if (win) void openedFile(file, true).then((opened) => win.isDestroyed() || win.webContents.send(IpcChannels.openFile, opened));
    }),
};

/** A menu command: the host's own, or sent to the focused app window, whose page runs it (state/menu-commands.ts). */
function runMenuCommand(id: MenuCommandId): void {
  if (Object.hasOwn(HOST_MENU_ACTIONS, id)) return HOST_MENU_ACTIONS[id as HostMenuCommandId]();
  const win = BrowserWindow.getFocusedWindow() ?? appWindows()[0];
  if (win && !gpuWindow.is(win)) win.webContents.send(IpcChannels.menuCommand, id);
}

function buildMenu(): void {
  Menu.setApplicationMenu(Menu.buildFromTemplate(appMenuTemplate({ platform: process.platform, packaged: app.isPackaged, run: runMenuCommand })));
}

/** A file to open from outside, read here and handed to the window (OpenedFile): a project is granted as Open… grants it; `view`: an ONNX model to show read-only, whatever its name. */
async function openedFile(file: string, view = false): Promise<OpenedFile> {
  const name = path.basename(file);
  try {
    // A regular file within the import limit: a FIFO or a link to /dev/zero named .onnx is refused, not waited on or read on.
    if (view || openKind(file) === 'onnx') return { kind: 'onnx', name, bytes: new Uint8Array(readRegularFile(file, MAX_IMPORT_BYTES)), ...(view ? { view: true as const } : {}) };
    const read = await callFileOp(files, 'read', [files.grant(file)]);
    return read.ok ? { kind: 'project', file: read.result as HostFile } : { kind: 'error', name, message: read.error.message };
  } catch (e) {
    if (e instanceof RegularFileError && e.problem === 'too-large') return { kind: 'error', name, message: `it is larger than ${MAX_IMPORT_BYTES / 2 ** 20} MiB, the most Netwright imports.` };
    if (e instanceof RegularFileError && e.problem === 'not-regular') return { kind: 'error', name, message: 'it is not a regular file (a folder, device or pipe).' };
    return { kind: 'error', name, message: `it could not be read (${(e as NodeJS.ErrnoException).code ?? (e as RegularFileError).errno ?? (e as Error).message}).` };
  }
}

/** Files asked for from outside wait for the window's page (OpenQueue), then open in the first app window, brought to the front. */
const opens = new OpenQueue((file) => {
  const win = appWindows()[0];
  if (!win) {
    // macOS keeps the app running without windows: a file opened then waits for a new one.
    opens.close();
    opens.request(file);
    if (app.isReady() && primary) createWindow();
    return;
  }
  if (win.isMinimized()) win.restore();
  win.focus();
  void openedFile(file).then((opened) => win.isDestroyed() || win.webContents.send(IpcChannels.openFile, opened));
});
// macOS: a double-clicked file, possibly before `ready` (the app starting for it).
app.on('open-file', (event, file) => {
  event.preventDefault();
  if (openKind(file)) opens.request(file);
});
// A second launch: its files, resolved in its own working folder; then this window to the front.
app.on('second-instance', (_event, argv, cwd) => {
  const asked = filesToOpen(argv.slice(1), cwd);
  asked.forEach((f) => opens.request(f));
  const win = appWindows()[0];
  if (!asked.length && win) {
    if (win.isMinimized()) win.restore();
    win.focus();
  }
});

app.whenReady().then(() => {
  if (!primary) return;
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
  // Both handlers: the request one alone leaves permission *checks* (e.g. navigator.permissions) answered by Chromium.
  // The camera ("Take photos…") only: video for the app's own top frame, never audio, never another page.
  const fromAppPage = (wc: Electron.WebContents | null) => wc !== null && appWindows().some((w) => w.webContents === wc) && isTrustedSender(wc.mainFrame, devUrl);
  session.defaultSession.setPermissionRequestHandler((wc, perm, cb, details) => cb(isPermissionAllowed(perm, { fromApp: fromAppPage(wc) && isTrustedSender({ url: details.requestingUrl ?? '', parent: null }, devUrl), mediaTypes: 'mediaTypes' in details ? details.mediaTypes : undefined })));
  session.defaultSession.setPermissionCheckHandler((wc, perm, origin, details) => isPermissionAllowed(perm, { fromApp: fromAppPage(wc) && isTrustedSender({ url: details.requestingUrl ?? origin, parent: details.isMainFrame ? null : true }, devUrl), mediaTypes: details.mediaType ? [details.mediaType] : undefined }));
  serveApp();
  hardenContents();
  buildMenu();
  registerFileIpc();
  ipcMain.on(IpcChannels.engineRestart, (e) => {
    if (fromApp(e)) supervisor.restart();
  });
  ipcMain.on(IpcChannels.engineConnect, (e) => {
    if (!fromApp(e)) return;
    const win = BrowserWindow.fromWebContents(e.sender);
    if (win) connectWindow(win);
  });
  supervisor.start();
  createWindow();
  // Files named on this launch's command line (a double-click on Windows and Linux starts the app so).
  filesToOpen(process.argv.slice(1), process.cwd()).forEach((f) => opens.request(f));
  app.on('activate', () => {
    if (appWindows().length === 0) createWindow();
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
app.on('before-quit', () => {
  supervisor.stop();
  gpuWindow.close();
});
