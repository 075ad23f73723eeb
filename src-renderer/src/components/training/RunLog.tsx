import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { useEngine } from '../../state/window';
import { followRunLog, LOG_REFRESH_MS, type RunLogView } from '../../training/run-log';
import type { RunMeta } from '../../training/compare';

/**
 * What the Log shows of a run: its lines as `netwright runs log` prints them (its job's output,
 * `! ` before stderr's, its errors and events), the newest last, or why they cannot be read.
 */
export function RunLogPanel({ name, view, onClose }: { name: string; view: RunLogView | null; onClose: () => void }) {
  const box = useRef<HTMLDivElement | null>(null);
  const atEnd = useRef(true);
  // Kept at its end as lines come, unless the user has scrolled up to read.
  useLayoutEffect(() => {
    const el = box.current;
    if (el && atEnd.current) el.scrollTop = el.scrollHeight;
  }, [view]);
  const lines = view?.lines ?? [];
  const running = view?.status === 'running';
  return (
    <div className="runs__log" data-testid="run-log" data-run={view?.id} data-status={view?.status ?? 'loading'}>
      <div className="runs__log-head">
        <b>Log</b>
        <span className="runs__sub" data-testid="run-log-count">
          {view === null ? 'reading…' : `${lines.length} line${lines.length === 1 ? '' : 's'}${view.skipped ? ` (the ${view.skipped} before not shown: netwright runs log prints them all)` : ''}${running ? ` · read again every ${LOG_REFRESH_MS / 1000} s while it runs` : ''}`}
        </span>
        <button type="button" data-testid="run-log-close" title={`Close the log of “${name}”`} onClick={onClose}>
          Close
        </button>
      </div>
      {view?.problem ? (
        <p className="runs__log-problem" data-testid="run-log-problem">
          The log cannot be read: {view.problem}
        </p>
      ) : null}
      <div
        className="runs__log-lines"
        ref={box}
        role="log"
        aria-label={`Log of ${name}`}
        tabIndex={0}
        onScroll={(e) => {
          const el = e.currentTarget;
          atEnd.current = el.scrollTop + el.clientHeight >= el.scrollHeight - 4;
        }}
      >
        {view !== null && lines.length === 0 && !view.problem ? <div className="runs__sub">Nothing written yet.</div> : null}
        {lines.map((l) => (
          <div key={l.n} className={`runs__log-line runs__log-line--${l.kind}`} data-kind={l.kind}>
            {l.text}
          </div>
        ))}
      </div>
    </div>
  );
}

/** The Log of stored run `meta`: read from the engine (`runs.log`), followed while it runs; another run's log is never shown in its place. */
export function RunLog({ meta, onClose }: { meta: Pick<RunMeta, 'id' | 'name'>; onClose: () => void }) {
  const client = useEngine((s) => s.client);
  const [view, setView] = useState<RunLogView | null>(null);
  useEffect(() => {
    if (!client) return;
    return followRunLog(client, meta.id, setView);
  }, [client, meta.id]);
  return <RunLogPanel name={meta.name} view={view?.id === meta.id ? view : null} onClose={onClose} />;
}
