/**
 * The Train dock's "Where": the target a run trains on, read by the same registry as `netwright
 * train --on` (catalog/targets), remembered with the workspace's other view settings (the page's
 * storage, as the panel arrangement and the theme are), and the run store's requests that launch
 * and cancel a run there (components never name a protocol method).
 */
import { parseTarget, TARGETS, TargetSpecError, type ComputeChoice, type GraphIR, type TargetKind } from '../../../src-engine/facade';
import type { ResultOf, RpcClient } from '../../../src-engine/protocol';
import { engineGraph } from '../editor/analysis';

/** Where the workspace keeps its "Where" (beside `netwright.panels`). */
export const WHERE_STORAGE_KEY = 'netwright.where';

/** The chosen kind, and the parameters typed for each kind (kept per kind, so switching back finds them). */
export interface WhereChoice {
  kind: TargetKind;
  params: Partial<Record<TargetKind, string>>;
}

export const DEFAULT_WHERE: Readonly<WhereChoice> = { kind: TARGETS[0].kind, params: {} };

/** What a kind's parameter field takes, from its declared syntax (`torchrun:N` → `N`; none for `local`). */
export function paramsHint(kind: TargetKind): string | undefined {
  const syntax = TARGETS.find((t) => t.kind === kind)?.syntax ?? kind;
  const tail = syntax.slice(kind.length);
  // `kind[:options]`: the brackets say the options may be left out; the field's hint is the options.
  const options = tail.startsWith('[:') && tail.endsWith(']') ? tail.slice(2, -1) : tail.replace(/^:/, '');
  return options === '' ? undefined : options;
}

/** The text `--on` takes for `choice`: the kind alone where no parameters are typed. */
export function whereText(choice: WhereChoice): string {
  const params = (choice.params[choice.kind] ?? '').trim();
  return params === '' ? choice.kind : `${choice.kind}:${params}`;
}

/**
 * `choice` read by the registry's own parser: its canonical spelling and whether it trains here
 * (the first target, `local`), or the parser's words for what is wrong.
 */
export function checkWhere(choice: WhereChoice): { spec: string; here: boolean } | { error: string } {
  try {
    const target = parseTarget(whereText(choice));
    return { spec: target.spec, here: target.kind === DEFAULT_WHERE.kind };
  } catch (e) {
    if (e instanceof TargetSpecError) return { error: e.message };
    throw e;
  }
}

/** A stored "Where" as the choice it was, anything unreadable dropped (an unknown kind: the default). */
export function parseWhere(text: string | null | undefined): WhereChoice {
  try {
    const raw = JSON.parse(text ?? 'null') as { kind?: unknown; params?: unknown } | null;
    const kind = TARGETS.find((t) => t.kind === raw?.kind)?.kind ?? DEFAULT_WHERE.kind;
    const params: WhereChoice['params'] = {};
    if (raw?.params && typeof raw.params === 'object') {
      for (const t of TARGETS) {
        const v = (raw.params as Record<string, unknown>)[t.kind];
        if (typeof v === 'string' && v.length <= 500) params[t.kind] = v;
      }
    }
    return { kind, params };
  } catch {
    return { ...DEFAULT_WHERE, params: {} };
  }
}

/** The workspace's remembered "Where" (the default where none is, or storage is off). */
export function rememberedWhere(): WhereChoice {
  try {
    return parseWhere(globalThis.localStorage?.getItem(WHERE_STORAGE_KEY));
  } catch {
    return { ...DEFAULT_WHERE, params: {} };
  }
}

/** Remember `choice` for the workspace. */
export function rememberWhere(choice: WhereChoice): void {
  try {
    globalThis.localStorage?.setItem(WHERE_STORAGE_KEY, JSON.stringify(choice));
  } catch {
    // No storage: the choice lasts this page.
  }
}

/** Train a design on a target elsewhere (`runs.launch`): answers once its job has started and its run is recorded. */
export const launchRun = (c: RpcClient, graph: GraphIR, target: string, file: { name: string; projectId?: string }, backend?: ComputeChoice): Promise<ResultOf<'runs.launch'>> =>
  c.request('runs.launch', { graph: engineGraph(graph), target, project: file.name, ...(file.projectId !== undefined ? { projectId: file.projectId } : {}), ...(backend ? { backend } : {}) });

/** End a run trained elsewhere, as `netwright runs cancel` does (`runs.cancel`). */
export const cancelRun = (c: RpcClient, id: string): Promise<ResultOf<'runs.cancel'>> => c.request('runs.cancel', { id });
