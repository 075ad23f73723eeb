/**
 * Electron's hidden GPU window: where the engine's WebGPU device lives. The engine runs in a
 * utility process, which has no `navigator.gpu`, and Dawn's Node binding cannot map buffers inside
 * Electron's V8 memory cage; so a window that is never shown opens the device with Chromium's
 * WebGPU in a worker, and the engine drives it over the GPU wire through a MessagePort that main
 * hands to both (docs/webgpu-backend.md, "Where the GPU backend runs").
 *
 * Made on the engine's first request (a machine that never trains on the GPU never starts it);
 * kept while the app runs; made again after its process dies, when the engine asks again.
 */
import { BrowserWindow, MessageChannelMain, type MessagePortMain, type WebContents } from 'electron';
import { IpcChannels } from '../../src-contracts/host';

export interface GpuWindowOptions {
  /** The built gpu-preload.cjs. */
  preload: string;
  /** The GPU page (`app://netwright/gpu.html`, or the dev server's). */
  url: string;
  /** The window's renderer died: its device is gone with it (the engine is told, and pauses its run). */
  onGone(message: string): void;
}

/** How long the GPU page may take to load before the engine hears there is no GPU window. */
const LOAD_TIMEOUT_MS = 20_000;

export class GpuWindow {
  private win: BrowserWindow | null = null;
  private loaded: Promise<BrowserWindow> | null = null;

  constructor(private readonly options: GpuWindowOptions) {}

  /** The window's contents while it exists (IPC from it is refused; it has no reason to send any). */
  get webContents(): WebContents | null {
    return this.win && !this.win.isDestroyed() ? this.win.webContents : null;
  }

  /** Whether `win` is the GPU window (not an app window). */
  is(win: BrowserWindow): boolean {
    return win === this.win;
  }

  /** A fresh port to the GPU window's worker, opening the window first if need be. */
  async connect(): Promise<MessagePortMain> {
    const win = await this.open();
    const { port1, port2 } = new MessageChannelMain();
    win.webContents.postMessage(IpcChannels.gpuPort, null, [port2]);
    return port1;
  }

  close(): void {
    const win = this.win;
    this.forget(win);
    if (win && !win.isDestroyed()) win.destroy();
  }

  private forget(win: BrowserWindow | null): void {
    if (this.win !== win) return;
    this.win = null;
    this.loaded = null;
  }

  private open(): Promise<BrowserWindow> {
    if (this.loaded) return this.loaded;
    const win = new BrowserWindow({
      show: false,
      width: 320,
      height: 240,
      title: 'Netwright GPU',
      skipTaskbar: true,
      webPreferences: {
        preload: this.options.preload,
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        webSecurity: true,
        // A hidden window is otherwise throttled like a background tab: training would wait on it.
        backgroundThrottling: false,
        disableBlinkFeatures: 'Auxclick',
      },
    });
    this.win = win;
    this.loaded = new Promise<BrowserWindow>((resolve, reject) => {
      const fail = (why: string) => {
        clearTimeout(timer);
        this.close();
        reject(new Error(why));
      };
      const timer = setTimeout(() => fail(`the GPU window did not load within ${LOAD_TIMEOUT_MS / 1000} s`), LOAD_TIMEOUT_MS);
      win.webContents.once('did-finish-load', () => {
        clearTimeout(timer);
        resolve(win);
      });
      win.webContents.once('did-fail-load', (_e, code, description) => fail(`the GPU window did not load (${description || code})`));
    });
    win.webContents.on('render-process-gone', (_e, details) => {
      this.close();
      this.options.onGone(`The GPU window's process ended (${details.reason}), and the GPU device with it.`);
    });
    win.on('closed', () => this.forget(win));
    void win.loadURL(this.options.url);
    return this.loaded;
  }
}
