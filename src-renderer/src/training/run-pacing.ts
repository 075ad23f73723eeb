/**
 * The pace of run events in the UI: batched per animation frame at most every
 * `RUN_UI_INTERVAL_MS`, so a probe frame and the progress ticks around it become one store change
 * and one paint (the run controller, state/run-controller.ts, feeds the run store through it).
 */
import type { RunAction } from './model';

/**
 * Run `fn` after the browser has painted what the current update renders: a task queued from the
 * next animation frame runs once that frame is done.
 *
 * NOTE: not the usual two nested animation frames: the second one makes the page produce one more
 * (empty) frame per probe frame, about 1.5 ms of the renderer's main thread each while the
 * engine trains.
 */
export function afterPaint(fn: () => void): void {
  if (typeof requestAnimationFrame !== 'function') return void setTimeout(fn, 0);
  requestAnimationFrame(() => setTimeout(fn, 0));
}

/** At the latest this long (ms) after an event, the UI applies it, even where no animation frame comes (a hidden window). */
export const EVENT_BATCH_MAX_MS = 100;

/** Run `fn` at the next animation frame, or after `EVENT_BATCH_MAX_MS` if none comes first; once. */
function nextFrame(fn: () => void): void {
  let frame: number | undefined;
  const timer = setTimeout(() => {
    if (frame !== undefined) cancelAnimationFrame(frame);
    fn();
  }, EVENT_BATCH_MAX_MS);
  if (typeof requestAnimationFrame === 'function') {
    frame = requestAnimationFrame(() => {
      clearTimeout(timer);
      fn();
    });
  }
}

/** The UI applies run events at most this often (ms): the fastest probe rate offered (4 Hz), so a probe frame and the progress ticks around it become one update and one paint. */
export const RUN_UI_INTERVAL_MS = 250;

/**
 * A schedule that runs each callback at an animation frame at least `interval` ms after the
 * previous one ran (the first one at once): a pace for UI updates that keeps up with the probes
 * without redrawing for every progress tick in between.
 */
export function paced(interval = RUN_UI_INTERVAL_MS, now: () => number = () => performance.now(), frame: (fn: () => void) => void = nextFrame): (fn: () => void) => void {
  let last = -Infinity;
  return (fn) => {
    const run = () =>
      frame(() => {
        last = now();
        fn();
      });
    const wait = last + interval - now();
    if (wait <= 0) run();
    else setTimeout(run, wait);
  };
}

/**
 * A dispatcher that queues actions and hands them to `apply` in arrival order, one batch per
 * `schedule` tick: events that arrive together — a probe frame and the progress around it, the
 * epoch's validation and the end of the run — become one store change and one paint instead of
 * several. Nothing is dropped: the store reduces every action of a batch.
 */
export function frameBatched(apply: (actions: readonly RunAction[]) => void, schedule: (fn: () => void) => void = paced()): BatchedDispatch {
  let queue: RunAction[] = [];
  let scheduled = false;
  const flush = (): void => {
    if (queue.length === 0) return;
    const batch = queue;
    queue = [];
    apply(batch);
  };
  const dispatch = ((action: RunAction) => {
    queue.push(action);
    if (scheduled) return;
    scheduled = true;
    schedule(() => {
      scheduled = false;
      flush();
    });
  }) as BatchedDispatch;
  dispatch.flush = flush;
  return dispatch;
}

/** A batching dispatcher; `flush()` applies what is queued now (the pending tick then has nothing left). */
export interface BatchedDispatch {
  (action: RunAction): void;
  flush(): void;
}
