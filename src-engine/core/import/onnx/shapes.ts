import { BATCH_DIM, int, ints, type ConstantValue } from '../../../base/onnx/import-rule';
import { OnnxError } from '../../export/onnx/errors';
import type { OnnxNode } from '../../../base/onnx/model';

/**
 * The op types of shape sub-graphs (`x.view(x.size(0), -1)`, a channel shuffle's sizes): read on
 * constants and on the shapes of values, they compute constants, which the importer folds. One
 * whose input is missing because an earlier node was refused is left out quietly: the refused node
 * is the one diagnostic.
 */
export const SHAPE_OPS: ReadonlySet<string> = new Set(['Shape', 'Gather', 'Unsqueeze', 'Squeeze', 'Concat', 'Cast', 'Slice', 'Add', 'Sub', 'Mul', 'Div', 'Constant', 'Identity', 'Reshape']);

/**
 * The most values a folded constant may hold. Only `Concat` folds to more values than it reads,
 * and a shape is a few numbers: a chain of Concats doubling a constant (a file of 2 KB asking
 * for 2⁴⁰ values) is refused before the values are allocated.
 */
export const MAX_FOLDED_VALUES = 1 << 20;

/** ONNX integer element types (Cast's `to`): int8…int64, uint8…uint64, bool. */
const INT_TYPES = new Set([2, 3, 4, 5, 6, 7, 9, 12, 13]);

/**
 * The constant a node computes when all it reads is known: `Shape` of a value whose shape is known
 * (batch dim `BATCH_DIM`), and `Gather`, `Unsqueeze`, `Squeeze`, `Concat`, `Cast`, `Slice`, integer
 * arithmetic on constants. Undefined when the node is not one of those or reads data: it is then
 * read as an op. Arithmetic on the batch marker gives undefined (the batch is not a number).
 *
 * @throws OnnxError `E_IMPORT_TOO_LARGE` when the constant would hold more than `MAX_FOLDED_VALUES`.
 */
export function foldShapeNode(
  n: OnnxNode,
  opset: number,
  constant: (v: string) => ConstantValue | undefined,
  shapeOf: (v: string) => readonly number[] | undefined,
): ConstantValue | undefined {
  if (n.domain && n.domain !== 'ai.onnx') return undefined;
  if (n.op_type === 'Shape') {
    const c = constant(n.input[0]);
    const s = c ? c.dims : shapeOf(n.input[0])?.map((d, i) => (i === 0 ? BATCH_DIM : d));
    if (!s) return undefined;
    const rank = s.length;
    const clampAxis = (a: number) => Math.min(rank, Math.max(0, a < 0 ? a + rank : a));
    const start = clampAxis(int(n, 'start', 0));
    const end = clampAxis(int(n, 'end', rank));
    const values = s.slice(start, Math.max(start, end));
    return { dims: [values.length], values };
  }
  const inputs = n.input.filter(Boolean).map((v) => constant(v));
  if (inputs.length === 0 || inputs.some((c) => c === undefined)) return undefined;
  const cs = inputs as ConstantValue[];
  const [x] = cs;
  const isInt = Array.isArray(x.values);
  const like = (values: number[], dims: number[]): ConstantValue => ({ dims, values: isInt ? values : Float32Array.from(values) });
  const axesOf = (rank: number): number[] | undefined => {
    const a = opset >= 13 ? (cs[1] ? [...cs[1].values] : undefined) : ints(n, 'axes');
    return a?.map((v) => (v < 0 ? v + rank : v));
  };
  switch (n.op_type) {
    case 'Identity':
      return x;
    case 'Cast': {
      const to = int(n, 'to', 1);
      const values = [...x.values];
      return INT_TYPES.has(to) ? { dims: x.dims, values: values.map((v) => (v === BATCH_DIM ? v : Math.trunc(v))) } : to === 1 || to === 11 ? { dims: x.dims, values: Float32Array.from(values) } : undefined;
    }
    case 'Unsqueeze': {
      const rank = x.dims.length + (axesOf(x.dims.length + 1)?.length ?? 0);
      const axes = axesOf(rank);
      if (!axes) return undefined;
      const inserted = new Set(axes);
      const dims: number[] = [];
      for (let i = 0, j = 0; i < rank; i++) dims.push(inserted.has(i) ? 1 : x.dims[j++]);
      return { dims, values: x.values };
    }
    case 'Squeeze': {
      const axes = new Set(axesOf(x.dims.length) ?? x.dims.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0));
      return { dims: x.dims.filter((_, i) => !axes.has(i)), values: x.values };
    }
    case 'Gather': {
      const axis = int(n, 'axis', 0);
      const idx = cs[1];
      if (x.dims.length !== 1 || axis !== 0) return undefined;
      const values = [...idx.values].map((i) => x.values[i < 0 ? i + x.dims[0] : i]);
      return like(values, idx.dims);
    }
    case 'Concat': {
      if (cs.some((c) => c.dims.length !== 1)) return undefined;
      const size = cs.reduce((sum, c) => sum + c.values.length, 0);
      if (size > MAX_FOLDED_VALUES) {
        const name = n.name || n.output[0];
        throw new OnnxError('E_IMPORT_TOO_LARGE', [
          { code: 'E_IMPORT_TOO_LARGE', nodeId: name, op: n.op_type, message: `it would compute a constant of ${size.toLocaleString('en-US')} values; Netwright folds constants of up to ${MAX_FOLDED_VALUES.toLocaleString('en-US')} values (a shape is a few), so the file was refused` },
        ]);
      }
      const values: number[] = [];
      for (const c of cs) for (let i = 0; i < c.values.length; i++) values.push(c.values[i]);
      return like(values, [values.length]);
    }
    case 'Slice': {
      if (x.dims.length !== 1 || cs.length < 3) return undefined;
      const len = x.dims[0];
      const step = cs[4]?.values[0] ?? 1;
      if ((cs[3] && cs[3].values[0] !== 0 && cs[3].values[0] !== -1) || step !== 1) return undefined;
      const at = (v: number) => Math.min(len, Math.max(0, v < 0 ? v + len : v));
      const values = [...x.values].slice(at(cs[1].values[0]), at(cs[2].values[0]));
      return like(values, [values.length]);
    }
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div': {
      const [a, b] = cs;
      if (!isInt || !Array.isArray(b.values) || a.dims.length > 1 || b.dims.length > 1) return undefined;
      if ([...a.values, ...b.values].includes(BATCH_DIM)) return undefined;
      const size = Math.max(a.values.length, b.values.length);
      if ((a.values.length !== size && a.values.length !== 1) || (b.values.length !== size && b.values.length !== 1)) return undefined;
      const f = { Add: (p: number, q: number) => p + q, Sub: (p: number, q: number) => p - q, Mul: (p: number, q: number) => p * q, Div: (p: number, q: number) => Math.trunc(p / q) }[n.op_type];
      const values = Array.from({ length: size }, (_, i) => f(a.values[a.values.length === 1 ? 0 : i], b.values[b.values.length === 1 ? 0 : i]));
      return { dims: a.dims.length >= b.dims.length ? a.dims : b.dims, values };
    }
    default:
      return undefined;
  }
}
