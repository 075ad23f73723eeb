import { createStore } from 'zustand';
import type { ResultOf } from '../../../src-engine/protocol';

/** One export format as the engine lists it (`model.formats`): id, label, file or folder, settings. */
export type ExportFormatInfo = ResultOf<'model.formats'>['formats'][number];

/** The Export menu's state: the engine's formats, the export under way, the settings chosen. */
export interface ExportState {
  /** The engine's export formats, in menu order (empty until the engine answered). */
  formats: readonly ExportFormatInfo[];
  /** An export under way: which format, and how far. */
  busy?: {
    label: string;
    fraction: number;
    what: string;
    /** Set once the files stream to the host: `fraction` is then the part written, no longer the engine's progress. */
    writing?: true;
    /** Stop the export: what was written is removed, and Export is usable again. */
    cancel?: () => void;
  };
  /** The settings chosen in the Export menu, by format id and key (unset: the format's default). */
  settings: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Choose one of a format's settings (the Export menu's selects); kept for the session. */
  setSetting(formatId: string, key: string, value: string): void;
  /** An ONNX file looked at without importing it ("View ONNX…"): being read, or what the engine made of it. */
  viewing?: OnnxViewing;
}

/** The read-only view of an ONNX file: the file (to import it from the view), and the engine's answer once read. */
export interface OnnxViewing {
  file: { name: string; size?: number; arrayBuffer(): Promise<ArrayBuffer> };
  summary?: ResultOf<'model.inspect'>;
}

/** A window's Export menu store. */
export const createExportStore = () =>
  createStore<ExportState>((set, get) => ({
    formats: [],
    settings: {},
    setSetting(formatId, key, value) {
      const all = get().settings;
      set({ settings: { ...all, [formatId]: { ...all[formatId], [key]: value } } });
    },
  }));
