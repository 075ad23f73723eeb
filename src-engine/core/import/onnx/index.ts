/**
 * ONNX import (docs/export.md, "Import"): a `.onnx` file read into an editable, checked
 * graph with its weights, or described without loading (`onnxSummary`). The file format (proto.ts)
 * and the error codes are the exporter's, in core/export/onnx.
 *
 * @example
 * ```ts
 * const { model, checked } = importOnnx(bytes);   // an editable graph with its weights, checked once
 * ```
 */
export { importOnnx, importOnnxAsync, MAX_ONNX_NODES, type OnnxImport } from './import';
export { importWarningTexts, onnxSummary, type OnnxSummary } from './inspect';
export { IMPORT_RULES, IMPORT_FUSIONS } from './rules';
export { OnnxError, type OnnxCode, type OnnxDiagnostic } from '../../export/onnx/errors';
