/**
 * int8 rounding, apart from the kernels: the plan (which the kernels read types from) rounds too,
 * and one module importing the other both ways is a cycle (import-cycles.test.ts).
 */

/** Round half to even, as ONNX's QuantizeLinear and C's `nearbyint` round. */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
