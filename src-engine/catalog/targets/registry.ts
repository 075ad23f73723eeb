import { local } from './local';
import { slurm } from './slurm';
import { ssh } from './ssh';
import { torchrun } from './torchrun';
import { TargetSpecError, type Target, type TargetDeclaration } from './types';

/**
 * The targets a run may train on (`netwright train --on TARGET`, the Train dock's "Where"), in
 * the order they are listed. Adding one = one file here, one entry below, and its launcher in
 * node/targets.ts (the compiler asks for it).
 */
const DECLARED = [local, torchrun, ssh, slurm] as const;

type Declared = (typeof DECLARED)[number];

/** A declared target's kind. */
export type TargetKind = Declared['kind'];

/** The parsed target of each kind: `TargetOf<'torchrun'>['options'].processes`. */
export type TargetOf<K extends TargetKind> = Extract<Declared, { kind: K }> extends TargetDeclaration<K, infer O> ? Target<K, O> : never;

/** Any parsed target. */
export type AnyTarget = { [K in TargetKind]: TargetOf<K> }[TargetKind];

/** Every declared target, in the order they are listed. */
export const TARGETS: readonly TargetDeclaration<TargetKind>[] = DECLARED;

/** The default: this process, Netwright's engine. */
export const LOCAL_TARGET: TargetOf<'local'> = { kind: 'local', options: {}, spec: 'local' };

/**
 * `--on`'s text as a target: `kind` or `kind:options`.
 *
 * @throws TargetSpecError (`E_TARGET_SPEC`) for a kind nothing declares or options its declaration refuses.
 * @example parseTarget('torchrun:2') // { kind: 'torchrun', options: { processes: 2 }, spec: 'torchrun:2' }
 */
export function parseTarget(text: string): AnyTarget {
  const colon = text.indexOf(':');
  const kind = colon >= 0 ? text.slice(0, colon) : text;
  const rest = colon >= 0 ? text.slice(colon + 1) : undefined;
  const declared = DECLARED.find((d) => d.kind === kind) as TargetDeclaration<TargetKind> | undefined;
  if (!declared) throw new TargetSpecError(`"${kind}" is not a target; --on takes ${TARGETS.map((t) => t.syntax).join(', ')}`);
  const options = declared.parse(rest);
  return { kind: declared.kind, options, spec: declared.format(options) } as AnyTarget;
}

export { TargetSpecError };
export type { Target, TargetDeclaration };
