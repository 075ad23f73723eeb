/** The live run's project, kept in the page's storage across a reload (the engine knows only the project's name). */
import type { RunOwner } from './model';

/** Where the page keeps the live run's project across a reload (the engine knows only its name). */
const OWNER_KEY = 'netwright.runOwner';

/** Keep `owner` as the project of the run `info` started (by its stored id, else the engine's). */
export function rememberOwner(info: { runId: string; storedRunId?: string }, owner: RunOwner | undefined): void {
  if (!owner) return;
  try {
    globalThis.localStorage?.setItem(OWNER_KEY, JSON.stringify({ run: info.storedRunId ?? info.runId, name: owner.name, path: owner.path }));
  } catch {
    // No storage: a reload then finds the project by the name the run store keeps.
  }
}

/** The project remembered for run `run` (its stored id, else the engine's), if this page started it. */
export function rememberedOwner(run: string): RunOwner | undefined {
  try {
    const r = JSON.parse(globalThis.localStorage?.getItem(OWNER_KEY) ?? 'null') as { run?: unknown; name?: unknown; path?: unknown } | null;
    if (!r || r.run !== run || typeof r.name !== 'string') return undefined;
    return { name: r.name, ...(typeof r.path === 'string' ? { path: r.path } : {}) };
  } catch {
    return undefined;
  }
}
