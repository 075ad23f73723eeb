/** Codes of the ONNX exporter's and importer's diagnostics (docs/export.md, "ONNX"). */
export type OnnxCode =
  /** An option is out of range (an opset Netwright does not write, an unknown normalisation mode). */
  | 'E_EXPORT_OPTION'
  /** The graph does not validate; the diagnostics are the validator's. */
  | 'E_EXPORT_INVALID'
  /** The graph names no output that is not a loss: there is nothing to infer. */
  | 'E_EXPORT_NO_OUTPUT'
  /** A node the exported outputs depend on has no ONNX form (one diagnostic per node). */
  | 'E_EXPORT_UNSUPPORTED'
  /** The input normalisation cannot be folded into the first layer (one diagnostic per blocking node). */
  | 'E_EXPORT_FOLD'
  /** A weight is missing or has the wrong size. */
  | 'E_EXPORT_WEIGHTS'
  /** The bytes are not an ONNX model (or one this reader cannot decode, or a value two nodes compute). */
  | 'E_IMPORT_FORMAT'
  /** Nodes or graph features Netwright cannot represent (one diagnostic per node). */
  | 'E_IMPORT_UNSUPPORTED'
  /** The graph built from the file does not validate (the validator's diagnostics follow). */
  | 'E_IMPORT_INVALID'
  /** The file asks for more than Netwright reads: too many nodes, a folded constant too large. */
  | 'E_IMPORT_TOO_LARGE'
  /** A value is computed from itself (the graph has a cycle): the file is not a valid ONNX graph. */
  | 'E_IMPORT_CYCLE'
  /** The import was cancelled before it finished; nothing changed. */
  | 'E_CANCELLED';

/** One problem found in a model, naming the node it is about where there is one. */
export interface OnnxDiagnostic {
  code: OnnxCode | string;
  /** The Netwright node id (export) or the ONNX node name (import). */
  nodeId?: string;
  /** The op: Netwright's (export) or ONNX's op_type (import). */
  op?: string;
  message: string;
}

/**
 * Thrown by `exportOnnx` / `importOnnx` before anything is produced: `code` is the first
 * diagnostic's, `diagnostics` lists every problem found; `fix`, when there is one, is the one
 * thing to do about them all, and ends the message (however many diagnostics it lists).
 */
export class OnnxError extends Error {
  readonly code: OnnxCode;
  constructor(
    code: OnnxCode,
    readonly diagnostics: readonly OnnxDiagnostic[],
    readonly fix?: string,
  ) {
    const shown = diagnostics.slice(0, 8).map((d) => (d.nodeId !== undefined ? `"${d.nodeId}"${d.op ? ` (${d.op})` : ''}: ${d.message}` : d.message));
    super(shown.join('; ') + (diagnostics.length > 8 ? `; and ${diagnostics.length - 8} more` : '') + (fix ? `. ${fix}` : ''));
    this.code = code;
    this.name = 'OnnxError';
  }
}
