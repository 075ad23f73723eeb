import type { LoadedDataset } from '../data/types';
import type { ExportBundle } from './bundle';
import { modelToJSONText } from './json';
import type { TrainedModel } from './model';
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

/** `My net` + format → the file or folder name an export suggests (`My net.netwright-model.json`, `My net-pytorch`). */
export function exportName(base: string, format: ExportFormat): string {
  const cleaned = [...base.trim()].map((c) => (c.charCodeAt(0) < 32 || '\\/:*?"<>|'.includes(c) ? '-' : c)).join('').slice(0, 120) || 'model';
  return format.output.kind === 'file' ? `${cleaned}${format.output.extension}` : `${cleaned}${format.output.suffix}`;
}
