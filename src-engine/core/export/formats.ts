import type { LoadedDataset, Samples } from '../data/types';
import { ExportError, type ExportBundle } from './bundle';
import { modelToJSONBytes } from './json';
import type { TrainedModel } from './model';
import { exportOnnx, ONNX_OPSETS, type OnnxNormalizationMode } from './onnx';
import { exportPytorch, modelSafetensors } from './pytorch';
import { QUANTIZE_SETTINGS, quantizedExport } from '../quantize/export-format';
import { exportWebDemo } from './web-demo';

/**
 * A choice an export format offers, as data: the CLI's `--<key> VALUE`, a select beside the format
 * in the Export menu, `settings` in `model.export`.
 */
export interface ExportSetting {
  key: string;
  label: string;
  /** One line for tooltips and `--help`. */
  doc: string;
  choices: readonly { value: string; label: string }[];
  default: string;
}

/** What every exporter may be given besides the model. */
export interface ExportOptions {
  /** The format's settings by key (checked by `checkExportSettings`; a missing one takes its default). */
  settings?: Readonly<Record<string, string>>;
  /** The training dataset as loaded (the PyTorch export copies sets in memory into the project, and lists a streamed folder's files). */
  data?: LoadedDataset<Samples>;
  /** Progress in [0, 1] with what is being written, for long exports. */
  onProgress?: (fraction: number, what: string) => void;
  /** The int8 format's layers kept in float32 (node ids; `model.exportOpen`'s `keepFloat`); other formats ignore it. */
  keepFloat?: readonly string[];
  /** The web demo's browser script (`netwright-demo.js`), which the host builds or ships, for a format with `needsPageRuntime`. */
  pageRuntime?: string;
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
  /** Whether `export` uses `options.pageRuntime` (the host then gives it the web demo's script). */
  needsPageRuntime?: boolean;
  /** The choices this format offers (none: nothing to choose). */
  settings?: readonly ExportSetting[];
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
    export: (model) => ({ kind: 'file', files: [{ path: 'model.json', data: modelToJSONBytes(model) }] }),
  },
  {
    id: 'onnx',
    label: 'ONNX',
    doc: 'ONNX model (opset 17 to 21, dynamic batch): the inference graph with its weights and input normalisation, for onnxruntime and other ONNX readers',
    output: { kind: 'file', extension: '.onnx' },
    settings: [
      {
        key: 'opset',
        label: 'Opset',
        doc: 'the ONNX operator set: 17 reads everywhere (onnxruntime ≥ 1.14); GELU is one Gelu node from 20',
        choices: ONNX_OPSETS.map((v) => ({ value: String(v), label: String(v) })),
        default: '17',
      },
      {
        key: 'normalization',
        label: 'Normalisation',
        doc: 'the training normalisation as leading Sub/Div nodes (nodes), folded into the first layer (fold), or left to the reader (none: the file takes normalised inputs)',
        choices: [
          { value: 'nodes', label: 'as nodes' },
          { value: 'fold', label: 'folded into the first layer' },
          { value: 'none', label: 'left out' },
        ],
        default: 'nodes',
      },
    ],
    export: (model, options) => {
      const r = exportOnnx(model, { opset: Number(options.settings?.opset ?? 17), normalization: (options.settings?.normalization ?? 'nodes') as OnnxNormalizationMode });
      return { kind: 'file', files: [{ path: 'model.onnx', data: r.bytes }], ...(r.holds ? { holds: r.holds } : {}) };
    },
  },
  {
    id: 'onnx-int8',
    label: 'ONNX int8 (QDQ)',
    doc: "ONNX with int8 weights (per channel) and uint8 activations calibrated on the model's training split, BatchNorm folded and ReLU fused, as QuantizeLinear/DequantizeLinear pairs (netwright quantize compares it with float32)",
    output: { kind: 'file', extension: '.int8.onnx' },
    needsData: true,
    settings: QUANTIZE_SETTINGS,
    export: (model, options) => quantizedExport(model, options),
  },
  {
    id: 'pytorch',
    label: 'PyTorch',
    doc: 'a PyTorch project: model.py, weights.pt, train.py (one process or torchrun) and a README',
    output: { kind: 'folder', suffix: '-pytorch' },
    needsData: true,
    export: (model, options) => exportPytorch(model, options),
  },
  {
    id: 'web',
    label: 'Web page',
    doc: 'a demo page folder (index.html, the model, a small script; no network): drop an image, draw, type a text or use a camera and see the prediction as the Playground shows it, from a static server or from disk',
    output: { kind: 'folder', suffix: '-web' },
    needsPageRuntime: true,
    export: (model, options) => exportWebDemo(model, options.pageRuntime),
  },
  {
    id: 'safetensors',
    label: 'safetensors',
    doc: "the weights alone as model.safetensors, under the PyTorch project's state_dict names (safetensors.torch.load_file, Hugging Face tools); loads back into a matching design",
    output: { kind: 'file', extension: '.safetensors' },
    export: (model) => {
      const { bytes, holds } = modelSafetensors(model);
      return { kind: 'file', files: [{ path: 'model.safetensors', data: bytes }], ...(holds ? { holds } : {}) };
    },
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
export function describeFormat(f: ExportFormat): { id: string; label: string; doc: string; kind: 'file' | 'folder'; name: string; settings: (Omit<ExportSetting, 'choices'> & { choices: { value: string; label: string }[] })[] } {
  return { id: f.id, label: f.label, doc: f.doc, kind: f.output.kind, name: f.output.kind === 'file' ? f.output.extension : f.output.suffix, settings: (f.settings ?? []).map((x) => ({ ...x, choices: x.choices.map((c) => ({ ...c })) })) };
}

/**
 * `settings` checked against what `format` offers, every offered key filled in (its default
 * where not given).
 *
 * @throws ExportError `E_EXPORT_SETTING`: a key the format does not offer, or a value not among its choices.
 */
export function checkExportSettings(format: ExportFormat, settings: Readonly<Record<string, string>> = {}): Record<string, string> {
  const offered = format.settings ?? [];
  for (const key of Object.keys(settings)) {
    if (!offered.some((o) => o.key === key)) {
      throw new ExportError('E_EXPORT_SETTING', `${format.label} export has no setting "${key}"${offered.length ? `; it has ${offered.map((o) => o.key).join(', ')}` : ''}.`);
    }
  }
  const out: Record<string, string> = {};
  for (const o of offered) {
    const v = Object.hasOwn(settings, o.key) ? settings[o.key] : o.default;
    if (!o.choices.some((c) => c.value === v)) throw new ExportError('E_EXPORT_SETTING', `${o.label} must be one of ${o.choices.map((c) => c.value).join(', ')} (got ${JSON.stringify(v)}).`);
    out[o.key] = v;
  }
  return out;
}

/** `My net` + format → the file or folder name an export suggests (`My net.netwright-model.json`, `My net-pytorch`). */
export function exportName(base: string, format: ExportFormat): string {
  const cleaned = [...base.trim()].map((c) => (c.charCodeAt(0) < 32 || '\\/:*?"<>|'.includes(c) ? '-' : c)).join('').slice(0, 120) || 'model';
  return format.output.kind === 'file' ? `${cleaned}${format.output.extension}` : `${cleaned}${format.output.suffix}`;
}
