/**
 * The engine process entry. It serves the same protocol in two hosts:
 * - as an Electron utility process (`utilityProcess.fork`): main hands it one MessagePort per
 *   renderer connection through `process.parentPort`;
 * - as a plain Node child (`child_process.fork`, web mode): one connection over Node IPC.
 * It imports no Electron: the utility-process API is reached through `process.parentPort`.
 */
import type { Channel } from '../protocol/channel';
import type { Logger } from '../protocol/rpc';
import { EngineService, type EngineEnvironment } from '../app/service';
import { warmUpProbes } from '../app/session/warm-up';
import { ENGINE_VERSION } from '../base/version';
import { backendMemoryLimit, detectComputeBackend, trainingMemoryLimit } from './compute-info';
import { createBestBackend, enableRelaxedSimd } from './cpu';
import { loadSamples } from './datasets';
import { readDataFile, type DataAccess } from './data-access';
import { scanData } from './data-scan';
import { nodeGpuAcquirer } from './gpu/device';
import { remoteGpuAcquirer } from './gpu/remote';
import { GpuHostAnswer } from '../protocol/gpu-wire';
import { RunStore } from './run-store';
import { elsewhereHost, reattachRuns } from './elsewhere-host';
import { fileFeatureSpill } from './feature-spill';
import { reapStaleTempFolders } from './temp-folder';
import { IpcOutbox } from './ipc-outbox';
import { imageBytesSample } from './image-sample';
import { webDemoRuntime } from './web-demo-runtime';

/** The slice of Electron's MessagePortMain the engine uses. */
interface PortLike {
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
  on(event: 'close', listener: () => void): void;
  postMessage(message: unknown): void;
  start(): void;
  close(): void;
}
interface ParentPortLike {
  on(event: 'message', listener: (e: { data: unknown; ports: PortLike[] }) => void): void;
  postMessage(message: unknown): void;
}

/**
 * The engine's GPU in Electron: each connection is a MessagePort to the hidden GPU window's worker,
 * asked of main (`gpu-request`) and answered with the port (`gpu-port`) or why there is none
 * (`gpu-none`). Main also says when that window's process died (`gpu-gone`): the connection is
 * closed here, so the device reads as lost at once (a run on it pauses) instead of at a timeout.
 */
class GpuWindowLink {
  private waiting: { resolve(c: Channel): void; reject(e: Error): void } | null = null;
  private current: Channel | null = null;

  constructor(private readonly parent: ParentPortLike) {}

  connect = (): Promise<Channel> =>
    new Promise<Channel>((resolve, reject) => {
      this.waiting?.reject(new Error('a newer request replaced this one'));
      this.waiting = { resolve, reject };
      this.parent.postMessage({ kind: 'gpu-request' });
    });

  /** A message from main about the GPU window; false if it was about something else. */
  handle(data: unknown, ports: PortLike[]): boolean {
    const msg = GpuHostAnswer.safeParse(data);
    if (!msg.success) return false;
    if (msg.data.kind === 'gpu-gone') {
      this.current?.close();
      this.current = null;
      return true;
    }
    const w = this.waiting;
    this.waiting = null;
    if (msg.data.kind === 'gpu-none') w?.reject(new Error(msg.data.message));
    else if (!ports[0]) w?.reject(new Error('main sent no port'));
    else if (w) w.resolve((this.current = portChannel(ports[0])));
    return true;
  }
}

const log: Logger = (level, message) => process.stderr.write(`[engine ${level}] ${message}\n`);

function portChannel(port: PortLike): Channel {
  const handlers = new Set<(m: unknown) => void>();
  const closeHandlers = new Set<() => void>();
  port.on('message', (e) => handlers.forEach((h) => h(e.data)));
  port.on('close', () => closeHandlers.forEach((h) => h()));
  port.start();
  return {
    send: (m) => port.postMessage(m),
    onMessage: (h) => (handlers.add(h), () => handlers.delete(h)),
    onClose: (h) => (closeHandlers.add(h), () => closeHandlers.delete(h)),
    close: () => port.close(),
  };
}

function ipcChannel(outbox: IpcOutbox): Channel {
  const handlers = new Set<(m: unknown) => void>();
  process.on('message', (m) => handlers.forEach((h) => h(m)));
  return {
    send: (m) => outbox.send(m),
    onMessage: (h) => (handlers.add(h), () => handlers.delete(h)),
    close: () => process.disconnect?.(),
  };
}

/**
 * Which data files projects may name (data-access.ts). Web mode: the host names the workspace in
 * NETWRIGHT_DATA_ROOTS (a JSON array); without it, none. Electron: none until main passes on a
 * file the user picked (`{ kind: 'grant-data', paths }`).
 */
function dataAccess(runtime: EngineEnvironment['runtime']): DataAccess {
  if (runtime === 'electron-utility') return { kind: 'granted', paths: new Set() };
  let roots: unknown;
  try {
    roots = JSON.parse(process.env.NETWRIGHT_DATA_ROOTS ?? '[]');
  } catch {
    roots = [];
  }
  return { kind: 'roots', roots: Array.isArray(roots) ? roots.filter((r): r is string => typeof r === 'string' && r !== '') : [] };
}

function main(): void {
  // Fused multiply-adds in the CPU kernels where Node 20 has them behind a flag (Electron: on already).
  enableRelaxedSimd();
  // What an engine killed before its exit left in the temporary folder (a spilled feature cache, a log) goes now (temp-folder.ts).
  reapStaleTempFolders();
  const parentPort = (process as unknown as { parentPort?: ParentPortLike }).parentPort;
  const runtime: EngineEnvironment['runtime'] = parentPort ? 'electron-utility' : 'node-child';
  const access = dataAccess(runtime);
  const gpuLink = parentPort ? new GpuWindowLink(parentPort) : null;
  // Web mode: what the engine sends leaves while a run yields (ipc-outbox.ts).
  const outbox = !parentPort && process.send ? new IpcOutbox((m, done) => process.send!(m, undefined, {}, done)) : null;
  const runStore = process.env.NETWRIGHT_RUNS_DIR ? new RunStore(process.env.NETWRIGHT_RUNS_DIR) : undefined;
  const env: EngineEnvironment = {
    runtime,
    pid: process.pid,
    backend: detectComputeBackend(),
    training: {
      // A folder larger than its memory budget comes streamed from disk (docs/data.md).
      loadDataset: (config, seed) => loadSamples(config, seed, access),
      scanData: (request, progress, signal) => scanData(request, { access, progress, signal }),
      readModelFile: (p, maxBytes) => readDataFile(p, 'The model file', access, maxBytes),
      decodeImage: (bytes, shape) => imageBytesSample(bytes, shape),
      // Export ▸ Web page…: the demo page's script, prebuilt or bundled from the sources.
      pageRuntime: webDemoRuntime,
      memoryLimitBytes: trainingMemoryLimit(),
      backendMemoryLimitBytes: backendMemoryLimit(),
      memoryUsage: () => process.memoryUsage(),
      createBackend: () => createBestBackend(),
      // A frozen backbone's features past their 1 GiB budget: a file in the OS's temporary folder (docs/trainer.md).
      featureSpill: fileFeatureSpill(),
      // WebGPU: npm `webgpu` (Dawn) in the web-mode engine child; in Electron's utility process
      // (no navigator.gpu, and Dawn's mapped buffers are refused by V8's memory cage) the device
      // of the hidden GPU window, over the GPU wire (docs/webgpu-backend.md).
      acquireGpu: gpuLink ? remoteGpuAcquirer(gpuLink.connect) : nodeGpuAcquirer(),
      // setImmediate, unlike a zero-delay timer, is not clamped to 1 ms: pausing costs no throughput.
      // Over Node IPC, until the messages queued meanwhile are written (ipc-outbox.ts).
      yieldToHost: outbox?.yieldToHost ?? (() => new Promise<void>((resolve) => setImmediate(resolve))),
      // The host names the run store's folder (web mode: the workspace's runs/; Electron: the app's data folder).
      // Runs elsewhere (the Train dock's "Where": torchrun, ssh, slurm) are recorded there too.
      ...(runStore ? { runs: runStore, elsewhere: elsewhereHost(runStore, log) } : {}),
    },
  };
  // Runs elsewhere whose job outlived the engine that followed it (the app restarted while they trained) are followed again.
  if (runStore) setTimeout(() => reattachRuns(runStore, log), 0);
  const ready = { kind: 'event', event: 'engine.ready', data: { pid: process.pid, version: ENGINE_VERSION } };

  // Compile the probe code while the app loads, not during the user's first run (see warm-up.ts).
  setTimeout(() => {
    warmUpProbes(env.training?.yieldToHost).catch((err: Error) => log('warn', `probe warm-up failed: ${err.message}`));
  }, 0);

  process.on('uncaughtException', (err) => {
    log('error', `uncaught: ${err.stack ?? err.message}`);
    process.exit(70);
  });

  if (parentPort) {
    // One service per renderer connection; a reload replaces the previous one.
    let current: EngineService | undefined;
    parentPort.on('message', (e) => {
      const grant = e.data as { kind?: unknown; paths?: unknown } | undefined;
      if (grant?.kind === 'grant-data' && Array.isArray(grant.paths) && access.kind === 'granted') {
        for (const p of grant.paths) if (typeof p === 'string' && p !== '') access.paths.add(p);
        return;
      }
      if (gpuLink?.handle(e.data, e.ports ?? [])) return;
      const port = e.ports?.[0];
      if (!port) return log('warn', 'Ignored a message from main without a port.');
      current?.dispose();
      current = new EngineService(portChannel(port), env, log);
    });
    parentPort.postMessage(ready);
  } else if (outbox) {
    const channel = ipcChannel(outbox);
    new EngineService(channel, env, log);
    process.on('disconnect', () => process.exit(0));
    outbox.send(ready);
  } else {
    log('error', 'Start the engine from Netwright (Electron utility process or web mode); it has no host here.');
    process.exit(64);
  }
}

main();
