import type { Diagnostic } from './diagnostics';
import { GRAPH_VERSION } from './types';

/**
 * One upgrade of the IR by one version. `up` receives a plain-JSON graph of version `from` and
 * returns one of version `from + 1` (it may mutate and return its argument: the input is a copy).
 */
export interface MigrationStep {
  from: number;
  /** One line for the log, e.g. "rename Dense → Linear". */
  describe: string;
  up(graph: Record<string, unknown>): Record<string, unknown>;
  /** The step changes no meaning (only the version): it is not reported as an upgrade. */
  silent?: boolean;
}

/**
 * The version-step table, oldest first; bump GRAPH_VERSION with each new step.
 *
 * v2 added `training.groups` (several optimizers and losses). A v1 graph means exactly one
 * group, which is what a graph without `groups` means in v2, so its step changes nothing but the
 * version; the bump makes a Netwright that only knows v1 refuse a grouped graph
 * (`E_VERSION_NEWER`) instead of silently training it with one optimizer.
 *
 * v3 added `frozen` nodes (fine-tuning). A v2 graph has none, so its step too changes only the
 * version; the bump makes an older Netwright refuse a graph with frozen nodes instead of
 * training its frozen layers.
 *
 * v4 made `training.dataset.targetNormalization: 'standard'` the default (a regression learns its
 * targets standardised; every value shown, predicted, measured or exported is in the target's own
 * units). A v3 graph's predictions mean the same under it, so the step changes only the version;
 * the bump makes an older Netwright refuse a v4 graph instead of training its targets raw.
 * v4 also added `training.dataset.split` (the train, validation and test shares, #83): a v3 graph
 * has none and splits as before, by `validationSplit` and `options.testSplit`.
 */
export const MIGRATIONS: readonly MigrationStep[] = [
  { from: 1, describe: 'training.groups introduced (a v1 graph is one group)', up: (g) => g, silent: true },
  // v3 added frozen nodes and `groups` (named, nested node sets): a v2 graph freezes none and has none, which is what their absence means.
  { from: 2, describe: 'frozen nodes and node groups introduced (a v2 graph has neither)', up: (g) => g, silent: true },
  // v4 standardises regression targets by default (training.dataset.targetNormalization): predictions, metrics and exports read in the target's own units either way.
  { from: 3, describe: 'regression targets standardised by default (training.dataset.targetNormalization)', up: (g) => g, silent: true },
];

export interface MigrationResult {
  /** The upgraded graph (a copy), or the input unchanged when nothing applied or it failed. */
  json: unknown;
  /** Version before migration (undefined when the input has no numeric version). */
  fromVersion?: number;
  /** `describe` of each applied step that is not `silent`, in order. */
  applied: string[];
  diagnostics: Diagnostic[];
}

/**
 * Upgrade an older graph to the current version, one step at a time. Never throws: a missing
 * step or a step that throws becomes an `E_MIGRATION` diagnostic. Graphs that are not objects
 * or have no numeric version are returned as they are (the validator reports them).
 *
 * @example
 * ```ts
 * const { json, applied } = migrateGraph(JSON.parse(text));
 * const analysis = analyzeGraph(json);
 * ```
 */
export function migrateGraph(json: unknown, steps: readonly MigrationStep[] = MIGRATIONS, target: number = GRAPH_VERSION): MigrationResult {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { json, applied: [], diagnostics: [] };
  const version = (json as Record<string, unknown>).version;
  if (typeof version !== 'number' || !Number.isInteger(version)) return { json, applied: [], diagnostics: [] };
  if (version >= target) return { json, fromVersion: version, applied: [], diagnostics: [] };
  let current: Record<string, unknown>;
  try {
    current = structuredClone(json as Record<string, unknown>);
  } catch {
    return { json, fromVersion: version, applied: [], diagnostics: [{ code: 'E_MIGRATION', severity: 'error', message: 'The graph could not be copied for migration.' }] };
  }
  const applied: string[] = [];
  for (let v = version; v < target; v++) {
    const step = steps.find((s) => s.from === v);
    if (!step) {
      return {
        json,
        fromVersion: version,
        applied,
        diagnostics: [{ code: 'E_MIGRATION', severity: 'error', message: `No upgrade from graph version ${v} to ${v + 1}; this file is too old for this Netwright.` }],
      };
    }
    try {
      current = step.up(current);
      current.version = v + 1;
      if (!step.silent) applied.push(step.describe);
    } catch (e) {
      return {
        json,
        fromVersion: version,
        applied,
        diagnostics: [{ code: 'E_MIGRATION', severity: 'error', message: `Upgrading the graph from version ${v} failed (${step.describe}): ${String(e)}` }],
      };
    }
  }
  return { json: current, fromVersion: version, applied, diagnostics: [] };
}
