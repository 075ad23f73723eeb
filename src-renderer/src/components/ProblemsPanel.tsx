import { useEditor } from '../state/editor-store';
import { addTrainingSettings, needsTrainingSettings } from '../editor/add-settings';
import { usePanels } from '../state/panels';
import { Splitter } from './panels';

/** Every diagnostic of the live compile; click one to select and centre its node. */
export function ProblemsPanel() {
  const diagnostics = useEditor((s) => s.analysis.diagnostics);
  const untrainable = useEditor((s) => needsTrainingSettings(s.history.present.graph));
  const focusNode = useEditor((s) => s.focusNode);
  const open = usePanels((s) => s.problemsOpen);
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  return (
    <section className={`problems${open ? '' : ' problems--folded'}`} data-testid="problems" data-count={diagnostics.length} data-open={String(open)} aria-label="Problems">
      {open ? <Splitter size="problemsHeight" label="Problems height" /> : null}
      <h3>
        <button type="button" className="problems__toggle" data-testid="problems-toggle" aria-expanded={open} onClick={() => usePanels.getState().set({ problemsOpen: !open })}>
          {open ? '▾' : '▸'} Problems
        </button>{' '}
        <span className="problems__count">{errors ? `${errors} error${errors > 1 ? 's' : ''}` : ''}{diagnostics.length - errors ? ` ${diagnostics.length - errors} warning${diagnostics.length - errors > 1 ? 's' : ''}` : ''}</span>
      </h3>
      {open && untrainable ? (
        <p className="problems__none" data-testid="problems-no-settings">
          Nothing can train yet: the design has no training settings.{' '}
          <button type="button" data-testid="problems-add-settings" onClick={addTrainingSettings}>
            Add settings
          </button>
        </p>
      ) : null}
      {open && diagnostics.length === 0 && !untrainable ? <p className="problems__none">No problems.</p> : null}
      {open ? (
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
      ) : null}
    </section>
  );
}
