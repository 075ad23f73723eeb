import { opError } from './loss-util';

/**
 * The runtime check of ops that read ids (Embedding, OneHot): an id is its value truncated toward
 * zero, one in [−size, −1] counting from the end (ONNX Gather and OneHot); any other — past the
 * table's end, below −size, NaN — is refused with `E_ID_RANGE`, as PyTorch raises IndexError and
 * onnxruntime refuses it (a row of zeros in its place trained on silently: #83, word ids of a
 * vocabulary of 4,874 into a 128-row Embedding). Not an op; nothing here is registered.
 */

/** The first id of `ids` outside [−size, size − 1] (or NaN), with its position; undefined when all are in range. One pass, no allocation. */
export function idOutOfRange(ids: ArrayLike<number>, size: number): { at: number; id: number } | undefined {
  for (let i = 0; i < ids.length; i++) {
    const k = Math.trunc(ids[i]);
    if (!(k >= -size && k < size)) return { at: i, id: ids[i] };
  }
  return undefined;
}

/**
 * Throws `E_ID_RANGE` when an id of `ids` is outside `op`'s table of `size` rows (`what`: "rows",
 * "classes"). Called once per batch before the kernel.
 */
export function checkIds(ids: ArrayLike<number>, size: number, op: string, what: string): void {
  const bad = idOutOfRange(ids, size);
  if (bad) throw idRangeError(op, size, what, bad.id);
}

/** The coded error of an id outside a table of `size` (the GPU executor builds it from the step's status). */
export function idRangeError(op: string, size: number, what: string, id: number): Error & { code: 'E_ID_RANGE' } {
  return opError('E_ID_RANGE', `${op} has ${size} ${what} (ids 0 to ${size - 1}) but was given the id ${id}; make it at least as large as the data's ids (the vocabulary, the classes), or fix the ids.`) as Error & { code: 'E_ID_RANGE' };
}
