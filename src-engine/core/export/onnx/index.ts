/**
 * ONNX export of trained models (docs/export.md, "ONNX"); reading a file back is core/import/onnx.
 *
 * @example
 * ```ts
 * const { bytes } = exportOnnx(model);       // write bytes to model.onnx
 * ```
 */
export { exportOnnx, DEFAULT_OPSET, ONNX_OPSETS, BATCH_DIM, type OnnxExport, type OnnxExportOptions, type OnnxNormalizationMode } from './export';
export { OnnxError, type OnnxCode, type OnnxDiagnostic } from './errors';
