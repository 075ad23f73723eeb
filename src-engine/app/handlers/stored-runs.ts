import type { ServiceHandlers } from '../../protocol/rpc';
import type { StoredFrame, runsService } from '../../protocol';
import { frameAt, runView, type RunStoreApi } from '../runs/recorder';
import { runLogSince } from '../runs/run-log';
import { RUN_LOG_LINE_MAX, RUN_LOG_LINES_MAX } from '../../protocol/services/runs';
import { prepareData, withInputShape } from '../../core/data';
import type { DatasetConfig } from '../../base/ir/types';
import { checkedGraph, coded, type ServiceContext } from './context';
import { startWeightsOf } from './runs';

/** The run store: list, open (curves and epochs), one stored probe frame, rename/notes, delete; runs trained elsewhere launched and cancelled. */
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
    'runs.list': () => {
      const store = ctx.runStore();
      const { runs, damaged } = store.scan();
      // A run elsewhere whose job may run on with nobody following it: said so, never called crashed (as `netwright runs list`).
      return { runs: runs.map((m) => (store.unfollowed?.(m) ? { ...m, followed: false as const } : m)), damaged };
    },
    'runs.log': ({ id, after }) => {
      const run = ctx.runStore().open(id);
      return { ...runLogSince(run.records, after ?? 0, RUN_LOG_LINES_MAX, RUN_LOG_LINE_MAX), status: run.meta.status };
    },
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
    'runs.launch': async ({ graph, target, overrides, project, projectId, backend }) => {
      const host = ctx.host();
      const elsewhere = host.elsewhere;
      if (!elsewhere) throw coded('E_TARGET_UNAVAILABLE', 'This engine trains only here: set Where to local, or train from the command line (netwright train --on TARGET).');
      ctx.runStore();
      const g = checkedGraph(graph);
      const t = g.training;
      const seed = overrides?.seed ?? t.seed;
      const dataset: DatasetConfig = overrides?.limit !== undefined ? { ...t.dataset, limit: overrides.limit } : t.dataset;
      // The run keeps the settings it trains with (the overrides applied), as train.start's do.
      const trained = g.withTraining({
        ...t,
        dataset,
        seed,
        ...(overrides?.epochs !== undefined ? { epochs: overrides.epochs } : {}),
        ...(overrides?.batchSize !== undefined ? { batchSize: overrides.batchSize } : {}),
        ...(overrides?.lr !== undefined ? { optimizer: { ...t.optimizer, lr: overrides.lr } } : {}),
      });
      // Where the design starts (a stored run's checkpoint, the loaded weights), refused before any data is read when they are not there.
      const from = startWeightsOf(ctx, t);
      const config = withInputShape(dataset, g.ir);
      const loaded = await host.loadDataset(config, seed);
      const data = prepareData(loaded, config, seed);
      return elsewhere.launch({ target, checked: trained, loaded, data, device: backend ?? 'auto', ...(project !== undefined ? { project } : {}), ...(projectId !== undefined ? { projectId } : {}), ...(from ? { from } : {}) });
    },
    'runs.cancel': ({ id }) => {
      const elsewhere = ctx.host().elsewhere;
      if (!elsewhere) throw coded('E_TARGET_UNAVAILABLE', 'This engine trains only here: a run trained elsewhere is cancelled with netwright runs cancel.');
      const cancelled = elsewhere.cancel(id);
      opened.delete(id);
      return cancelled;
    },
  };
}
