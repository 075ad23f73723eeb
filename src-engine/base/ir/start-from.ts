/**
 * Where a run's weights start (`training.startFrom`, docs/ir.md): declared once here and read by
 * the IR validator, the engine's `train.start`, the Train dock's select, the Runs table and
 * Compare's settings. A setting of the design, so it is saved with the project, recorded with
 * every run (its `run.json` settings) and kept from one run to the next until the user changes it.
 */

/** Which checkpoint of a stored run: its last one, or its best (by the validation metric). */
export const RUN_CHECKPOINTS = ['last', 'best'] as const;
export type RunCheckpoint = (typeof RUN_CHECKPOINTS)[number];

/**
 * `fresh`: every tensor from the seeded initialisation. `loaded`: the weights loaded into the
 * engine with the design (an imported ONNX file, a project saved with its weights). `run`: a
 * stored run's last or best checkpoint. With `loaded` and `run`, every tensor whose node id,
 * name and size match is taken; the rest (a replaced head) start fresh.
 */
export type StartFrom = { kind: 'fresh' } | { kind: 'loaded' } | { kind: 'run'; run: string; checkpoint: RunCheckpoint };

/** The kinds, in the order the Train dock offers them, each with what it means in words. */
export const START_FROM_KINDS: readonly { kind: StartFrom['kind']; label: string; doc: string }[] = [
  { kind: 'fresh', label: 'fresh initialisation', doc: 'Every layer starts from its seeded random initialisation.' },
  { kind: 'loaded', label: 'the loaded weights', doc: 'Layers whose name and size match start from the weights loaded with the design (an imported model, a project saved with its weights); new or resized layers start fresh.' },
  { kind: 'run', label: "a stored run's checkpoint", doc: "Layers whose name and size match start from a stored run's last or best checkpoint; the others start fresh." },
];

/** What a training section without `startFrom` means. */
export const DEFAULT_START_FROM: StartFrom = { kind: 'fresh' };

/** Longest run id a design may name (the run store's ids are 20 characters). */
const RUN_ID_MAX = 64;

/** A training section's start, its default filled in. */
export function startFromOf(training: { startFrom?: StartFrom } | undefined): StartFrom {
  return training?.startFrom ?? DEFAULT_START_FROM;
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Why `raw` is not a `startFrom` (a message for `E_TRAINING`), or undefined when it is one. */
export function startFromProblem(raw: unknown): string | undefined {
  const kinds = START_FROM_KINDS.map((k) => `"${k.kind}"`).join(', ');
  if (!isRecord(raw) || !START_FROM_KINDS.some((k) => k.kind === raw.kind)) return `"training.startFrom" must be an object whose "kind" is ${kinds}; got ${JSON.stringify(raw)?.slice(0, 80)}.`;
  if (raw.kind !== 'run') return undefined;
  if (typeof raw.run !== 'string' || raw.run.length === 0 || raw.run.length > RUN_ID_MAX) return `"training.startFrom.run" must name a stored run by its id; got ${JSON.stringify(raw.run)?.slice(0, 80)}.`;
  if (!RUN_CHECKPOINTS.includes(raw.checkpoint as RunCheckpoint)) return `"training.startFrom.checkpoint" must be ${RUN_CHECKPOINTS.map((c) => `"${c}"`).join(' or ')}; got ${JSON.stringify(raw.checkpoint)?.slice(0, 40)}.`;
  return undefined;
}

/**
 * The start in words: `fresh initialisation`, `the loaded weights`, `run “lr 0.01”'s best
 * checkpoint` (`runName` names a stored run; its id otherwise).
 */
export function describeStartFrom(s: StartFrom, runName: (id: string) => string | undefined = () => undefined): string {
  if (s.kind !== 'run') return START_FROM_KINDS.find((k) => k.kind === s.kind)!.label;
  return `run “${runName(s.run) ?? s.run}”'s ${s.checkpoint} checkpoint`;
}

/** Whether two starts are the same choice. */
export const sameStartFrom = (a: StartFrom, b: StartFrom): boolean => a.kind === b.kind && (a.kind !== 'run' || (b.kind === 'run' && a.run === b.run && a.checkpoint === b.checkpoint));
