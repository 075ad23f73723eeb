import type { LoadedDataset } from '../data/types';
import type { ExportBundle } from './bundle';
import { modelToJSONText } from './json';
import type { TrainedModel } from './model';
import { exportOnnx } from './onnx';
import { exportPytorch } from './pytorch';

/** What every exporter may be given besides the model. */
export interface ExportOptions {
  /** The training dataset as loaded (the PyTorch export copies small sets into the project). */
  data?: LoadedDataset;
  /** Progress in [0, 1] with what is being written, for long exports. */
  onProgress?: (fraction: number, what: string) => void;
}

/** One export format, as the protocol method, the CLI and the Export menu list it. */
export interface ExportFormat {
  /** Stable id: `--format` on the CLI, `format` in `model.export`. */
  id: string;
  /** Menu label, e.g. `JSON` (the menu adds "…"). */
  label: string;
  /** One line for tooltips and `--help`. */
  doc: string;
  /** A single file with this extension, or a folder. */
  output: { kind: 'file'; extension: string } | { kind: 'folder'; suffix: string };
  /** Whether `export` uses `options.data` (the host then loads the dataset first). */
  needsData?: boolean;
  export(model: TrainedModel, options: ExportOptions): ExportBundle;
}

/**
 * The export formats, in menu order. The `model.export` protocol method, `npm run export` and
 * the app's Export menu all read this table: a new format is one entry here.
 */
export const EXPORT_FORMATS: readonly ExportFormat[] = [
  {
    id: 'json',
    label: 'JSON',
    doc: 'Netwright model file: graph, weights, normalisation, class names, settings and metrics (docs/export.md)',
    output: { kind: 'file', extension: '.netwright-model.json' },
    export: (model) => ({ kind: 'file', files: [{ path: 'model.json', data: new TextEncoder().encode(modelToJSONText(model)) }] }),
  },
  {
    id: 'onnx',
    label: 'ONNX',
    doc: 'ONNX model (opset 17, dynamic batch): the inference graph with its weights and input normalisation, for onnxruntime and other ONNX readers',
    output: { kind: 'file', extension: '.onnx' },
    export: (model) => {
      const r = exportOnnx(model);
      return { kind: 'file', files: [{ path: 'model.onnx', data: r.bytes }], ...(r.holds ? { holds: r.holds } : {}) };
    },
  },
  {
    id: 'pytorch',
    label: 'PyTorch',
    doc: 'a PyTorch project: model.py, weights.pt, train.py (one process or torchrun) and a README',
    output: { kind: 'folder', suffix: '-pytorch' },
    needsData: true,
    export: (model, options) => exportPytorch(model, options),
  },
];

/** The format called `id`, or undefined. */
export function exportFormat(id: string): ExportFormat | undefined {
  return EXPORT_FORMATS.find((f) => f.id === id);
}

/** The format an output path implies: a file format whose extension it ends with, else the first folder format. */
export function formatForPath(path: string): string {
  const lower = path.toLowerCase();
  const file = EXPORT_FORMATS.find((f) => f.output.kind === 'file' && (lower.endsWith(f.output.extension) || lower.endsWith(`.${f.id}`)));
  return (file ?? EXPORT_FORMATS.find((f) => f.output.kind === 'folder') ?? EXPORT_FORMATS[0]).id;
}

/** What the Export menu shows of a format (the table without its function). */
export function describeFormat(f: ExportFormat): { id: string; label: string; doc: string; kind: 'file' | 'folder'; name: string } {
  return { id: f.id, label: f.label, doc: f.doc, kind: f.output.kind, name: f.output.kind === 'file' ? f.output.extension : f.output.suffix };
}

/** `My net` + format → the file or folder name an export suggests (`My net.netwright-model.json`, `My net-pytorch`). */
export function exportName(base: string, format: ExportFormat): string {
  const cleaned = [...base.trim()].map((c) => (c.charCodeAt(0) < 32 || '\\/:*?"<>|'.includes(c) ? '-' : c)).join('').slice(0, 120) || 'model';
  return format.output.kind === 'file' ? `${cleaned}${format.output.extension}` : `${cleaned}${format.output.suffix}`;
}
