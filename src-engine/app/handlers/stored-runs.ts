import type { ServiceHandlers } from '../../protocol/rpc';
import type { StoredFrame, runsService } from '../../protocol';
import { frameAt, runView, type RunStoreApi } from '../runs/recorder';
import { coded, type ServiceContext } from './context';

/** The run store: list, open (curves and epochs), one stored probe frame, rename/notes, delete. */
export function storedRunHandlers(ctx: ServiceContext): ServiceHandlers<typeof runsService> {
  /** Stored runs recently opened for their frames (compare, timeline), by id; ended runs only. */
  const opened = new Map<string, ReturnType<RunStoreApi['open']>>();
  /** A stored run's records, kept for the next few `runs.frame` calls unless it is still being written. */
  const openRun = (id: string) => {
    const hit = opened.get(id);
    if (hit) return hit;
    const run = ctx.runStore().open(id);
    if (run.meta.status !== 'running') {
      if (opened.size >= 4) opened.delete(opened.keys().next().value!);
      opened.set(id, run);
    }
    return run;
  };
  return {
    'runs.list': () => ctx.runStore().scan(),
    'runs.open': ({ id }) => runView(ctx.runStore().open(id)),
    'runs.frame': ({ id, step }) => ({ frame: (frameAt(openRun(id).records, step) as StoredFrame | undefined) ?? null }),
    'runs.update': ({ id, ...patch }) => ctx.runStore().update(id, patch),
    'runs.delete': ({ id }) => {
      const run = ctx.run.current;
      if (run?.record === id && run.session.status !== 'done' && run.session.status !== 'failed') {
        throw coded('E_RUN_ACTIVE', 'This run is still training; stop it before deleting it.');
      }
      ctx.runStore().remove(id);
      opened.delete(id);
      return {};
    },
  };
}
