import { explainCode, type Diagnostic } from '../../../src-engine/facade';
import { addTrainingSettings, needsTrainingSettings } from '../editor/add-settings';
import { Splitter } from './panels';
import { useSettingProblems, type SettingProblem } from '../state/setting-problems';
import { useEditor, usePanels, useWindow } from '../state/window';

/** Go to what a settings problem is about: its field (focused, scrolled into view), else its node. */
function goTo(p: SettingProblem, focusNode: (id: string) => void): void {
  const field = p.field === undefined ? null : document.querySelector<HTMLElement>(`[data-testid="${CSS.escape(p.field)}"]`);
  if (field) {
    field.scrollIntoView({ block: 'nearest' });
    field.focus();
  } else if (p.nodeId !== undefined) focusNode(p.nodeId);
}

/**
 * Every diagnostic of the live compile, and every problem of the training settings (a field whose
 * text cannot be used, data the design does not take); click one to go to its field or node.
 */
export function ProblemsPanel() {
  const w = useWindow();
  const graphDiagnostics = useEditor((s) => s.analysis.diagnostics);
  const settings = useSettingProblems();
  const diagnostics: (Diagnostic & { setting?: SettingProblem })[] = [...settings.map((p) => ({ code: p.code, severity: 'error' as const, message: p.message, nodeId: p.nodeId, setting: p })), ...graphDiagnostics];
  const untrainable = useEditor((s) => needsTrainingSettings(s.history.present.graph));
  const focusNode = useEditor((s) => s.focusNode);
  const open = usePanels((s) => s.problemsOpen);
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  return (
    <section className={`problems${open ? '' : ' problems--folded'}`} data-testid="problems" data-count={diagnostics.length} data-open={String(open)} aria-label="Problems">
      {open ? <Splitter size="problemsHeight" label="Problems height" /> : null}
      <h3>
        <button type="button" className="problems__toggle" data-testid="problems-toggle" aria-expanded={open} onClick={() => w.panels.getState().set({ problemsOpen: !open })}>
          {open ? '▾' : '▸'} Problems
        </button>{' '}
        <span className="problems__count">{errors ? `${errors} error${errors > 1 ? 's' : ''}` : ''}{diagnostics.length - errors ? ` ${diagnostics.length - errors} warning${diagnostics.length - errors > 1 ? 's' : ''}` : ''}</span>
      </h3>
      {open && untrainable ? (
        <p className="problems__none" data-testid="problems-no-settings">
          Nothing can train yet: the design has no training settings.{' '}
          <button type="button" data-testid="problems-add-settings" onClick={() => addTrainingSettings(w)}>
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
                data-field={d.setting?.field}
                disabled={d.nodeId === undefined && d.setting?.field === undefined}
                onClick={() => (d.setting ? goTo(d.setting, focusNode) : d.nodeId !== undefined && focusNode(d.nodeId))}
              >
                <span className={`problem__icon problem__icon--${d.severity}`}>{d.severity === 'error' ? 'error' : 'warning'}</span>
                {d.nodeId !== undefined ? <span className="problem__node">{d.nodeId}</span> : null}
                <span className="problem__message">{d.message}</span>
                <span className="problem__code" title={explainCode(d.code)}>
                  {d.code}
                </span>
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
