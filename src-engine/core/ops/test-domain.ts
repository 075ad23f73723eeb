import type { Attrs } from '../../base/ir/types';

/**
 * The values one input of an op is defined on, for the tests that draw them (the op suite's
 * gradient checks and backend comparisons, the exporters' random graphs):
 * - `'real'`: any real numbers (drawn spaced 0.1 apart, none within 0.05 of 0: away from kinks and ties);
 * - `'class-index'`: whole numbers in [0, classes), one per sample (`classes`: the first input's dim 1);
 * - `'binary'`: 0 or 1;
 * - `'distribution'`: rows (along dim 1) of positive values summing to 1;
 * - `'log-distribution'`: the log of such rows;
 * - `[lo, hi]`: real numbers in that range.
 */
export type InputDomain = 'real' | 'class-index' | 'binary' | 'distribution' | 'log-distribution' | readonly [number, number];

/**
 * How far a backend's kernel may stray from the op file run in float64 on the reference backend,
 * per element: |got − want| ≤ rel·|want| + floor(x, y) forward, gradRel·|dx| + gradFloor(x, dy) backward.
 */
export interface KernelTolerance {
  rel: number;
  floor?: (x: number, y: number) => number;
  gradRel: number;
  gradFloor?: (x: number, dy: number) => number;
}

/**
 * What an op's tests may draw, declared in its file beside its maths. Every field is optional:
 * `testDomainOf` fills in the defaults.
 */
export interface OpTestDomain {
  /** Per input, the values it is defined on. Default: `'real'`; a loss's target by its `torch.target` (`class-index`) or `binaryTargets`. */
  inputs?: readonly InputDomain[];
  /**
   * Per input, the canonical case's shape (batch first). Default: [3, 7] for each input of an
   * activation; a loss's prediction [4, 5] and its target [4, 5] ([4] for class indices). An op of
   * any other category needs these (or a case in the op suite's table) to be tested.
   */
  shapes?: readonly (readonly number[])[];
  /** The canonical case's attributes (the declared defaults fill in the rest). Default: none. */
  attrs?: Attrs;
  /** Other settings the tests and random graphs draw beside the canonical one, e.g. `[{ negativeSlope: 0.2 }]`. */
  variants?: readonly Attrs[];
  /** The finite-difference gradient check's bound: `'smooth'` (5e-3, the default) or `'normalization'` (1e-2: a division by a batch statistic). */
  gradcheck?: GradcheckClass;
  /**
   * A generated kernel's bound against the op file (the CPU backend's f32x4 activations). Default
   * `KERNEL_TOLERANCE_DEFAULT`; declare a tighter one where it was measured (a function of the
   * attributes where they change it).
   */
  kernel?: KernelTolerance | ((attrs: Attrs) => KernelTolerance);
  /**
   * How the exporters' random graphs draw it (test/unit/engine/registry-draws.ts), or `{ none: why }`
   * where they cannot. Every op of category `'structure'` says one or the other.
   */
  graph?: GraphDraw | { none: string };
}

/** The draws a random graph makes (the engine's seeded `Rng` is one). */
export interface DrawRng {
  /** Uniform in [0, 1). */
  uniform(): number;
  /** A whole number in [0, n). */
  int(n: number): number;
}

/**
 * An op as the random graphs draw it: `draw` gives a setting for a node of shape `shape` (batch
 * first), or undefined where the op does not apply there. A `join` takes the node and a branch
 * computed from it, `[x, y]` (up to `join.inputs` inputs, y repeated), as a residual Add or a Concat
 * does. A graph keeps the node only where the op's shape rule accepts it.
 *
 * @example
 * graph: { draw: (shape, rng) => (shape.length < 3 ? undefined : { startDim: 1 + rng.int(shape.length - 1) }) }
 */
export interface GraphDraw {
  join?: { inputs: number };
  draw(shape: readonly number[], rng: DrawRng): Attrs | undefined;
}

export type GradcheckClass = 'smooth' | 'normalization';

/** The gradient check's bound per class (harness.gradcheck's max |analytic − numeric| scaled error). */
export const GRADCHECK_TOLERANCE: Readonly<Record<GradcheckClass, number>> = { smooth: 5e-3, normalization: 1e-2 };

/**
 * The bound of a generated f32x4 kernel with none declared: a polynomial e^x (~2 ulp) and a few
 * rounded operations (≤ 1 ulp each), as the transcendental activations measure (Softplus, Mish:
 * ≤ 5.3e-7); outputs in float32's subnormal range keep no relative precision (1e-38), and a backward
 * that sums terms crossing 0 keeps ~ulp(1)·|dy| absolute.
 */
export const KERNEL_TOLERANCE_DEFAULT: KernelTolerance = {
  rel: 8e-7,
  floor: () => 1e-38,
  gradRel: 5e-7,
  gradFloor: (_x, dy) => 1.2e-7 * Math.abs(dy) + 1e-38,
};

/** An op's test domain with every default filled in. */
export interface ResolvedTestDomain {
  inputs: readonly InputDomain[];
  /** Undefined: the op is neither an activation nor a loss and declares no shapes. */
  shapes: readonly (readonly number[])[] | undefined;
  attrs: Attrs;
  variants: readonly Attrs[];
  gradcheck: number;
  kernel: (attrs: Attrs) => KernelTolerance;
}

/** What `testDomainOf` reads of an op's definition (an `OpDef`; named here, as types.ts imports this file). */
interface DomainOwner {
  category: string;
  inputs: readonly unknown[];
  isLoss?: boolean;
  binaryTargets?: boolean;
  torch?: object;
  testDomain?: OpTestDomain;
}

/** The domain `def` declares, with the defaults for what it leaves out. */
export function testDomainOf(def: DomainOwner): ResolvedTestDomain {
  const d = def.testDomain ?? {};
  const targetKind: InputDomain = def.torch && 'target' in def.torch && (def.torch as { target?: string }).target === 'class-index' ? 'class-index' : def.binaryTargets ? 'binary' : 'real';
  const inputs = def.inputs.map((_, i): InputDomain => d.inputs?.[i] ?? (def.isLoss && i === 1 ? targetKind : 'real'));
  const defaultShapes = def.isLoss ? def.inputs.map((_, i) => (i === 1 && inputs[1] === 'class-index' ? [4] : [4, 5])) : def.category === 'activations' ? def.inputs.map(() => [3, 7]) : undefined;
  const kernel = d.kernel;
  return {
    inputs,
    shapes: d.shapes ?? defaultShapes,
    attrs: d.attrs ?? {},
    variants: d.variants ?? [],
    gradcheck: GRADCHECK_TOLERANCE[d.gradcheck ?? 'smooth'],
    kernel: typeof kernel === 'function' ? kernel : () => kernel ?? KERNEL_TOLERANCE_DEFAULT,
  };
}
