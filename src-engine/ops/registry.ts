import type { OpDef } from './types';

/**
 * The one table of ops. The canvas palette, the inspector, the IR validator, shape inference,
 * the executor and the exporters all read it. Adding an op = one file under ops/ + one line here.
 */
const ALL_OPS: readonly OpDef[] = [
  // — input, layers, normalization, regularization, structure (ops/*.ts) —
  // — activations and losses (ops/*.ts) —
];

const BY_NAME: ReadonlyMap<string, OpDef> = new Map(ALL_OPS.map((op) => [op.name, op]));

/** Every registered op, in palette order. */
export function listOps(): readonly OpDef[] {
  return ALL_OPS;
}

/** The op called `name`, or undefined for an unknown op. */
export function getOp(name: string): OpDef | undefined {
  return BY_NAME.get(name);
}
