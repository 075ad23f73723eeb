/**
 * The ONNX import rule makers several op files share. The vocabulary they and the op files write
 * their `onnxImport` rules and `onnxFusions` with is base/onnx (`import-rule.ts`, `import-fusion.ts`).
 */
import { int, ints, symmetricPads, unexpected, type ImportRule } from '../../base/onnx/import-rule';

export function pool(op: 'MaxPool2d' | 'AvgPool2d'): ImportRule {
  return (n) => {
    const allowed = op === 'MaxPool2d' ? ['kernel_shape', 'strides', 'pads', 'auto_pad', 'ceil_mode', 'dilations', 'storage_order'] : ['kernel_shape', 'strides', 'pads', 'auto_pad', 'ceil_mode', 'count_include_pad'];
    const bad = unexpected(n, allowed);
    if (bad) return { unsupported: bad };
    const k = ints(n, 'kernel_shape');
    if (!k || k.length !== 2) return { unsupported: 'only 2-D pooling is supported' };
    const ceilMode = int(n, 'ceil_mode', 0) !== 0;
    if (ceilMode && op !== 'MaxPool2d') return { unsupported: 'ceil_mode = 1 is supported for MaxPool only' };
    if ((ints(n, 'dilations') ?? [1, 1]).some((d) => d !== 1)) return { unsupported: 'dilated pooling is not supported' };
    if (n.output.filter(Boolean).length > 1) return { unsupported: 'the Indices output is not supported' };
    const pads = symmetricPads(n, 2);
    if (!pads) return { unsupported: 'only the same padding on both sides of each dim is supported' };
    if (op === 'AvgPool2d' && pads.some((p) => p > 0) && int(n, 'count_include_pad', 0) !== 1) return { unsupported: 'padded average pooling must count the padding (count_include_pad = 1), as Netwright does' };
    return { op, attrs: { kernelSize: k, stride: ints(n, 'strides') ?? [1, 1], padding: pads, ...(ceilMode ? { ceilMode } : {}) }, inputs: [n.input[0]] };
  };
}
