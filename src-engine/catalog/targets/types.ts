/**
 * Where a run trains, declared once (as TorchX declares its schedulers: `local_cwd`, `slurm`, …):
 * each target is a kind, the text after `kind:` parsed into its options, and a line for the user.
 * The CLI's `--on TARGET` and the app's "Where" read this table; how each kind launches is the
 * Node host's (node/targets.ts, one launcher per kind, the table checked complete by the compiler).
 */

/** A target's declaration: its kind, how `--on` spells it, and how the rest of the spelling is read. */
export interface TargetDeclaration<K extends string = string, O = unknown> {
  kind: K;
  /** How it is written, for usage texts: `torchrun:N`, `ssh:user@host[:dir]`. */
  syntax: string;
  /** A line for the user. */
  doc: string;
  /**
   * The options from what follows `kind:` (undefined when nothing does). Throws `TargetSpecError`
   * naming what is wrong; never evaluates or pastes the text anywhere.
   */
  parse(rest: string | undefined): O;
  /** The options written back the way `--on` takes them (`torchrun:2`): what a run's meta records. */
  format(options: O): string;
}

/** A target as parsed: its kind and options, and its canonical spelling. */
export interface Target<K extends string = string, O = unknown> {
  kind: K;
  options: O;
  /** `format(options)`: `local`, `torchrun:2`, `slurm:partition=gpu,nodes=2`. */
  spec: string;
}

/** A target spelled wrongly: the message says what `--on` takes (code `E_TARGET_SPEC`). */
export class TargetSpecError extends Error {
  readonly code = 'E_TARGET_SPEC' as const;
}

/** Declare a target (in its one file; listed in ./registry.ts). */
export function declareTarget<const K extends string, O>(d: TargetDeclaration<K, O>): TargetDeclaration<K, O> {
  return d;
}
