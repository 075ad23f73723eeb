import { useCallback, useEffect, useState } from 'react';
import type { ResultOf } from '../../../../src-engine/protocol';
import { parseProject } from '../../editor/project';
import { useEditor } from '../../editor/store';
import { useEngine } from '../../state/engine-store';
import { useConfirm } from '../../editor/files';
import { useRun } from '../../training/store';
import { useFiles } from '../files-context';

type RunMeta = ResultOf<'runs.list'>['runs'][number];

/** The figure a run is judged by: test accuracy for classifiers, else the test (or last) loss. */
function headline(m: RunMeta): string {
  const test = m.summary?.metrics.test as Record<string, unknown> | undefined;
  if (typeof test?.accuracy === 'number') return `${(100 * test.accuracy).toFixed(2)} %`;
  if (typeof test?.loss === 'number') return `loss ${test.loss.toPrecision(3)}`;
  return '–';
}

/** The settings that tell runs of one design apart: optimizer and rate, batch, epochs. */
function settingsLine(m: RunMeta): string {
  const t = m.settings.training as { optimizer?: { kind?: string; lr?: number }; batchSize?: number; epochs?: number; dataset?: { name?: string } } | undefined;
  return [t?.dataset?.name, t?.optimizer ? `${t.optimizer.kind} ${t.optimizer.lr}` : undefined, t?.batchSize ? `batch ${t.batchSize}` : undefined, t?.epochs ? `${t.epochs} ep` : undefined].filter(Boolean).join(' · ');
}

const duration = (s: number | undefined) => (s === undefined ? '–' : s >= 90 ? `${Math.floor(s / 60)} min ${Math.round(s % 60)} s` : `${s.toFixed(1)} s`);

/** A text field that commits on blur or Enter. */
function EditField({ value, testId, placeholder, onCommit }: { value: string; testId: string; placeholder?: string; onCommit: (v: string) => void }) {
  const [text, setText] = useState(value);
  const [shown, setShown] = useState(value);
  if (shown !== value) {
    setShown(value);
    setText(value);
  }
  const commit = () => text !== value && onCommit(text);
  return <input className="runs__edit" data-testid={testId} data-value={value} value={text} placeholder={placeholder} onChange={(e) => setText(e.target.value)} onBlur={commit} onKeyDown={(e) => e.key === 'Enter' && commit()} />;
}

/**
 * Every stored run, newest first (docs/runs.md): its editable name and notes, status, headline
 * metric, steps and duration; restore a run's design onto the canvas, or delete it. The list
 * refreshes when a run ends.
 */
export function Runs() {
  const client = useEngine((s) => s.client);
  const ready = useEngine((s) => s.state === 'ready');
  const phase = useRun((s) => s.phase);
  const files = useFiles();
  const [runs, setRuns] = useState<RunMeta[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const refresh = useCallback(() => {
    if (!client || !ready) return;
    client
      .request('runs.list', {})
      .then((r) => {
        setRuns(r.runs);
        setProblem(null);
      })
      .catch((e: Error) => setProblem(e.message));
  }, [client, ready]);
  // Refresh on open and whenever a run starts or ends.
  useEffect(refresh, [refresh, phase]);

  const update = (id: string, patch: { name?: string; notes?: string }) => void client?.request('runs.update', { id, ...patch }).then(refresh, (e: Error) => setProblem(e.message));
  const remove = async (m: RunMeta) => {
    if (!(await useConfirm.getState().ask('Delete run', `Delete "${m.name}" and everything recorded with it? This cannot be undone.`, 'Delete'))) return;
    client?.request('runs.delete', { id: m.id }).then(refresh, (e: Error) => setProblem(e.message));
  };
  const restore = async (m: RunMeta) => {
    if (!client) return;
    try {
      const view = await client.request('runs.open', { id: m.id });
      const parsed = parseProject(JSON.stringify(view.graph));
      if (!parsed.ok) return setProblem(`This run's design cannot be opened: ${parsed.message}`);
      if (!(await files.confirmDiscard('open'))) return;
      useEditor.getState().load(parsed.doc, { name: m.name }, {}, true);
      if (view.note) useEditor.getState().notify('info', view.note);
    } catch (e) {
      setProblem((e as Error).message);
    }
  };

  if (problem) return <p className="runs__empty" data-testid="runs-problem">{problem}</p>;
  if (!runs) return <p className="runs__empty">Loading runs…</p>;
  if (runs.length === 0) return <p className="runs__empty" data-testid="runs-empty">No runs yet: every run you train is kept here with its design and settings.</p>;
  return (
    <div className="runs" data-testid="runs">
      <table className="runs__table">
        <thead>
          <tr>
            <th>Run</th>
            <th>Result</th>
            <th>Notes</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {runs.map((m) => (
            <tr key={m.id} data-testid={`run-${m.id}`} data-status={m.status}>
              <td className="runs__name">
                <EditField value={m.name} testId={`run-name-${m.id}`} onCommit={(name) => update(m.id, { name })} />
                <div className="runs__sub" title={m.settings.backend} data-testid={`run-settings-${m.id}`}>
                  {settingsLine(m)} · {new Date(m.createdAt).toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' })}
                </div>
              </td>
              <td>
                <b data-testid={`run-result-${m.id}`}>{headline(m)}</b> <span className={`runs__status runs__status--${m.status}`}>{m.status}</span>
                <div className="runs__sub">
                  {m.summary ? `${m.summary.steps} steps · ${duration(m.summary.seconds)}` : '–'}
                </div>
              </td>
              <td className="runs__notes">
                <EditField value={m.notes} testId={`run-notes-${m.id}`} placeholder="what changed, what you saw" onCommit={(notes) => update(m.id, { notes })} />
              </td>
              <td className="runs__actions">
                <button type="button" data-testid={`run-restore-${m.id}`} title="Open this run's design on the canvas" onClick={() => void restore(m)}>
                  Restore
                </button>
                <button type="button" data-testid={`run-delete-${m.id}`} disabled={m.status === 'running'} title={m.status === 'running' ? 'Stop the run first' : 'Delete this run'} onClick={() => void remove(m)}>
                  Delete
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
