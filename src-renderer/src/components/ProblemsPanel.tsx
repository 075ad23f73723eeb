import { useEditor } from '../editor/store';

/** Every diagnostic of the live compile; click one to select and centre its node. */
export function ProblemsPanel() {
  const diagnostics = useEditor((s) => s.analysis.diagnostics);
  const focusNode = useEditor((s) => s.focusNode);
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  return (
    <section className="problems" data-testid="problems" data-count={diagnostics.length} aria-label="Problems">
      <h3>
        Problems <span className="problems__count">{errors ? `${errors} error${errors > 1 ? 's' : ''}` : ''}{diagnostics.length - errors ? ` ${diagnostics.length - errors} warning${diagnostics.length - errors > 1 ? 's' : ''}` : ''}</span>
      </h3>
      {diagnostics.length === 0 ? <p className="problems__none">No problems.</p> : null}
      <ul>
        {diagnostics.map((d, i) => (
          <li key={`${d.code}-${d.nodeId ?? ''}-${i}`}>
            <button
              type="button"
              className={`problem problem--${d.severity}`}
              data-testid="problem-item"
              data-node={d.nodeId ?? ''}
              data-code={d.code}
              disabled={d.nodeId === undefined}
              onClick={() => d.nodeId !== undefined && focusNode(d.nodeId)}
            >
              <span className={`problem__icon problem__icon--${d.severity}`}>{d.severity === 'error' ? 'error' : 'warning'}</span>
              {d.nodeId !== undefined ? <span className="problem__node">{d.nodeId}</span> : null}
              <span className="problem__message">{d.message}</span>
              <span className="problem__code">{d.code}</span>
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
