import type { AttrSpec, ParamsOf } from '../attr-spec';

/** The draws a transform makes (the engine's seeded `Rng` is one). */
export interface TransformRng {
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Standard normal. */
  normal(): number;
}

/**
 * One parameter of a transform: a parameter spec of a scalar kind (its default is what the Train
 * dock starts from; `min`/`max` bound what the protocol and the data layer accept; `required`
 * ones the setting must give, others it may leave out and the data layer uses `default`), and,
 * where the Train dock shows it, its field.
 */
export type TransformParam = Extract<AttrSpec, { kind: 'int' | 'float' | 'bool' }>;

/** What a transform's `apply` works on: the first `length` values of `x`, a batch of samples. */
export interface TransformBatch<C> {
  /** The transform's setting (`kind` and its parameters). */
  t: C;
  x: Float32Array;
  length: number;
  rng: TransformRng;
  /** `[C, H, W]` of one sample: set for a transform declared `images` (checked by the data layer). */
  image?: readonly [number, number, number];
}

/** The declaration of one input transform: see `defineTransform`. */
export interface TransformDef<K extends string = string, P extends Readonly<Record<string, TransformParam>> = Readonly<Record<string, TransformParam>>> {
  kind: K;
  /** What the Train dock's list says. */
  label: string;
  /** A line for the user: what it does to the samples. */
  doc: string;
  params: P;
  /** Changes nothing: a design leaves the setting out rather than saying so. */
  identity?: boolean;
  /** Only for image samples `[C, H, W]` (the Train dock offers it for image sets only). */
  images?: boolean;
  /** Corrupt the batch in place; the target stays clean. Draws only from `rng`. */
  apply(batch: TransformBatch<TransformConfigOf<K, P>>): void;
  /**
   * The body of the exported train.py's `corrupt(x, generator)` branch for this kind (indented
   * 8 spaces, `t` the setting, `x` the batch); absent: the batch passes unchanged.
   */
  torch?: string;
  /**
   * What the tests draw it at, declared beside what it does (test/unit/engine/data/transforms-torch.test.ts
   * reads it; optional only so that a new file compiles: that test names a transform without one).
   */
  testDomain?: TransformTestDomain<TransformConfigOf<K, P>>;
}

/**
 * A transform's test domain: the settings to draw it at and its counterpart in torchvision. For every
 * case, `apply` must keep the contract (in place, nothing past `length` touched, finite values, the
 * same output for the same seed, the setting as a design holds it acting as with its declared
 * defaults), and its outputs over many draws must have the moments of train.py's `torch` text's and
 * of the torchvision counterpart's (the random streams differ, so the distributions are compared).
 *
 * @example
 * testDomain: { torchvision: { none: 'torchvision 0.14 has no additive noise' }, cases: [{ name: 'σ 0.2', settings: { std: 0.2 } }] }
 */
export interface TransformTestDomain<C = Readonly<Record<string, unknown>>> {
  /**
   * The same transform in `torchvision.transforms`: a Python expression over `T` (torchvision.transforms),
   * `t` (the setting, every declared default filled in) and `image` (a sample's `[C, H, W]`), giving a
   * callable applied to each sample (a `[C, H, W]` tensor, or `[F]` for other samples), drawing from
   * torch's global generator; or `{ none: why }` where torchvision has none.
   */
  torchvision: string | { none: string };
  /**
   * The settings drawn at (together they must set each declared parameter away from its default once,
   * and leave each optional one out once), each on samples of `sample` (`[C, H, W]` for a transform
   * declared `images`; default `[16]`), with values in [0, 1].
   */
  cases: readonly { name: string; settings: Omit<C, 'kind'>; sample?: readonly number[] }[];
}

/** The setting a transform's declaration describes: `{ kind, ...params }` (those not `required` may be left out). */
export type TransformConfigOf<K extends string, P> = ParamsOf<K, P>;

/**
 * Declare an input transform (a corruption for denoising and in-painting autoencoders), shaped as
 * `defineOp`: its kind, typed parameters with defaults and ranges, what it does to a batch, its
 * PyTorch text and its Train dock text. One file each under `catalog/transforms/`, one line in
 * its registry; the IR's type, the protocol's schema, the data pipeline, the exporter and the
 * Train dock read it.
 *
 * @example
 * export const mask = defineTransform({ kind: 'mask', label: 'mask pixels', doc: '…',
 *   params: { fraction: { kind: 'float', default: 0.1, min: 0, max: 1, required: true, doc: '…' } },
 *   apply: ({ t, x, length, rng }) => { for (let i = 0; i < length; i++) if (rng.uniform() < t.fraction) x[i] = 0; } });
 */
export function defineTransform<const K extends string, const P extends Readonly<Record<string, TransformParam>>>(def: TransformDef<K, P>): TransformDef<K, P> {
  return def;
}
