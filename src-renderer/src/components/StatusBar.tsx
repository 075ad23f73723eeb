import { useEngine, type ConnectionState } from '../state/engine-store';

const LABEL: Record<ConnectionState, string> = {
  connecting: 'Connecting to engine…',
  starting: 'Engine starting…',
  ready: 'Engine connected',
  crashed: 'Engine crashed',
  restarting: 'Engine restarting…',
  failed: 'Engine unavailable',
  disconnected: 'Disconnected',
};

/** The bottom bar: engine connection, engine version, and the compute backend it trains on. */
export function StatusBar() {
  const state = useEngine((s) => s.state);
  const info = useEngine((s) => s.info);
  const detail = useEngine((s) => s.detail);
  const restarts = useEngine((s) => s.restarts);
  return (
    <footer className="status-bar" role="status" aria-live="polite">
      <span className="status-item" data-testid="engine-status" data-state={state} title={detail ?? ''}>
        <span className={`status-dot status-dot--${state}`} aria-hidden="true" />
        {LABEL[state]}
        {detail && state !== 'ready' ? <span className="status-detail"> — {detail}</span> : null}
      </span>
      {info ? (
        <>
          <span className="status-item" data-testid="engine-version" data-pid={info.pid}>
            engine v{info.version}
          </span>
          <span className="status-item" data-testid="engine-backend" title={info.backend.kind === 'webgpu' ? info.backend.adapter : `${info.backend.threads} threads`}>
            {info.backend.description}
          </span>
          {restarts > 0 ? <span className="status-item status-item--muted">restarted {restarts}×</span> : null}
        </>
      ) : null}
    </footer>
  );
}
