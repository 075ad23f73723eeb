import type { ReferenceKernel } from './kernels/kernel';
import { isOpName, type OpName } from './registry';

/** A backend's faster kernel of one op: its forward and/or backward in place of the op's reference kernel. */
export type OpKernelOverride = Partial<ReferenceKernel>;

/** A backend's kernel set: per op (by registered name, so a misspelt or removed op is a type error), its faster kernel. */
export type KernelSet = Readonly<Partial<Record<OpName, OpKernelOverride>>>;

/** `op`'s kernel in `set`, for a name held as a string (a node's `op`): none for a name the registry lacks. */
export function kernelFor(set: KernelSet | undefined, op: string): OpKernelOverride | undefined {
  return set && isOpName(op) ? set[op] : undefined;
}
