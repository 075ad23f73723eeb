import type { TransformConfigOf, TransformDef } from './types';
import { none } from './none';
import { gaussianNoise } from './gaussian-noise';
import { saltPepper } from './salt-pepper';
import { mask } from './mask';
import { blockMask } from './block-mask';

/**
 * The one table of input transforms, in the Train dock's order. The IR's `dataset.transform`
 * type, the protocol's schema, the data pipeline, the PyTorch exporter and the Train dock all read
 * it. Adding a transform = one file under catalog/transforms/ + one line here.
 */
const ALL_TRANSFORMS = [none, gaussianNoise, saltPepper, mask, blockMask] as const;

type Declared = (typeof ALL_TRANSFORMS)[number];

/** A `dataset.transform` setting: the union of every declared transform's `{ kind, ...params }`. */
export type TransformConfig = Declared extends infer D ? (D extends TransformDef<infer K, infer P> ? TransformConfigOf<K, P> : never) : never;

export type TransformKind = TransformConfig['kind'];

const BY_KIND: ReadonlyMap<string, TransformDef> = new Map(ALL_TRANSFORMS.map((t) => [t.kind, t as unknown as TransformDef]));

/** Every declared transform, in the Train dock's order. */
export function listTransforms(): readonly TransformDef<TransformKind>[] {
  return ALL_TRANSFORMS as unknown as readonly TransformDef<TransformKind>[];
}

/** The data layer's `DATA_BAD_OPTION` message for a transform of unknown `kind`, with the declared kinds. */
export function unknownTransformMessage(kind: unknown): string {
  return `Unknown input transform "${String(kind)}" (known: ${ALL_TRANSFORMS.map((d) => d.kind).join(', ')}).`;
}

/** The transform of `kind`, or undefined for an unknown kind (a file or a message may say anything). */
export function getTransform(kind: string): TransformDef | undefined {
  return BY_KIND.get(kind);
}
