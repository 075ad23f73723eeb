/**
 * A stored run's log as the Runs tab's Log shows it (`runs.log`: the text `netwright runs log`
 * prints): read once, then again every few seconds while the run is running, only what came since
 * each time. One follower per run shown; stopping it drops any answer still on its way, so a log
 * never shows another run's lines or an older answer after a newer one.
 */
import { RUN_LOG_LINES_MAX, type ResultOf, type RpcClient } from '../../../src-engine/protocol';

export type RunLogLine = ResultOf<'runs.log'>['lines'][number];

/** What the Log shows of run `id`: its last lines (at most the protocol's cap), how many earlier ones are not shown, its status; `problem` when the log cannot be read. */
export interface RunLogView {
  id: string;
  lines: RunLogLine[];
  skipped: number;
  status: ResultOf<'runs.log'>['status'] | null;
  problem?: string;
}

/** The most lines the Log keeps: what one `runs.log` answers. */
export const LOG_LINES_KEPT = RUN_LOG_LINES_MAX;

/** How often a running run's log is read again (ms). */
export const LOG_REFRESH_MS = 2000;

/** `view` with an answer of `runs.log` after it: its lines appended, the oldest dropped past `LOG_LINES_KEPT` (counted in `skipped`). */
export function withLogAnswer(view: RunLogView, answer: ResultOf<'runs.log'>): RunLogView {
  const all = [...view.lines, ...answer.lines];
  const dropped = Math.max(0, all.length - LOG_LINES_KEPT);
  return { id: view.id, lines: dropped ? all.slice(dropped) : all, skipped: view.skipped + answer.skipped + dropped, status: answer.status };
}

/**
 * Follow run `id`'s log: `each` is called with the view after every answer (and with `problem`
 * when one fails), asked again `everyMs` after each answer while the run is running. The returned
 * function stops it: nothing is asked or said after it is called.
 */
export function followRunLog(c: RpcClient, id: string, each: (view: RunLogView) => void, everyMs = LOG_REFRESH_MS): () => void {
  let view: RunLogView = { id, lines: [], skipped: 0, status: null };
  let next = 0;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const ask = () => {
    timer = undefined;
    c.request('runs.log', { id, after: next }).then(
      (answer) => {
        if (stopped) return;
        next = answer.next;
        view = withLogAnswer(view, answer);
        each(view);
        if (answer.status === 'running') timer = setTimeout(ask, everyMs);
      },
      (e: Error) => {
        if (stopped) return;
        each({ ...view, problem: e.message });
      },
    );
  };
  ask();
  return () => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
  };
}
