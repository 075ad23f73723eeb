/**
 * ONNX export and import of trained models (docs/export.md, "ONNX").
 *
 * @example
 * ```ts
 * const { bytes } = exportOnnx(model);       // write bytes to model.onnx
 * const back = importOnnx(bytes).model;      // an editable graph with its weights
 * ```
 */
export { exportOnnx, DEFAULT_OPSET, ONNX_OPSETS, BATCH_DIM, type OnnxExport, type OnnxExportOptions, type OnnxNormalizationMode } from './export';
export { OnnxError, type OnnxCode, type OnnxDiagnostic } from './errors';
export { importOnnx, importOnnxAsync, MAX_ONNX_NODES, type OnnxImport } from './import';
export { onnxSummary, type OnnxSummary } from './inspect';
export { IMPORT_RULES, IMPORT_FUSIONS } from './import-rules';
