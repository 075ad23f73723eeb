/**
 * Files the desktop app is asked to open from outside (a double-clicked `.netwright.json` or
 * `.onnx`, a second launch handing its file over; src-main/host/open-files.ts): main reads them
 * and sends an `OpenedFile`, checked here, which opens as Open… or Import ONNX… would, asking
 * first before unsaved work is replaced; File ▸ View ONNX…'s model is shown read-only instead.
 */
import type { OpenedFile } from '../../../src-contracts/host';
import { checkFileResult } from '../../../src-contracts/files';
import { importOnnxFile, viewOnnxFile } from '../training/export';
import type { ProjectFiles } from './files';
import type { WindowStores } from '../state/window-stores';

/** `raw` as an OpenedFile, or undefined when it is not one (the project's fields checked as a file read's answer). */
export function checkOpenedFile(raw: unknown): OpenedFile | undefined {
  const o = raw as Partial<Record<string, unknown>> | null;
  if (!o || typeof o !== 'object' || typeof o.kind !== 'string') return undefined;
  if (o.kind === 'project') {
    try {
      return { kind: 'project', file: checkFileResult('read', o.file) };
    } catch {
      return undefined;
    }
  }
  if (o.kind === 'onnx' && typeof o.name === 'string' && o.bytes instanceof Uint8Array && (o.view === undefined || o.view === true)) return { kind: 'onnx', name: o.name, bytes: o.bytes, ...(o.view ? { view: true as const } : {}) };
  if (o.kind === 'error' && typeof o.name === 'string' && typeof o.message === 'string') return { kind: 'error', name: o.name, message: o.message };
  return undefined;
}

/** The engine, once it is ready (a model double-clicked to start the app arrives before it is). */
const engineReady = (engine: WindowStores['engine']): Promise<void> =>
  new Promise((resolve) => {
    if (engine.getState().state === 'ready') return resolve();
    const off = engine.subscribe((s) => {
      if (s.state !== 'ready') return;
      off();
      resolve();
    });
  });

/** Open what main sent: a project as Open… does, a model as Import ONNX… does (File ▸ View ONNX…'s as View ONNX (read-only)… does); a file it could not read says why. */
export async function openFromHost(w: WindowStores, raw: unknown, files: ProjectFiles): Promise<void> {
  const opened = checkOpenedFile(raw);
  const notify = w.session.getState().notify;
  if (!opened) return notify('error', 'The app was asked to open a file, but what it got was not one.');
  if (opened.kind === 'error') return notify('error', `Could not open "${opened.name}": ${opened.message}`);
  if (opened.kind === 'project') {
    if (await files.confirmDiscard('open')) files.load(opened.file.text, opened.file.path, opened.file.name, opened.file.version);
    return;
  }
  await engineReady(w.engine);
  const { bytes } = opened;
  const file = { name: opened.name, size: bytes.byteLength, arrayBuffer: async () => bytes.slice().buffer };
  if (opened.view) await viewOnnxFile(w, file);
  else await importOnnxFile(w, file, () => files.confirmDiscard('open'));
}
