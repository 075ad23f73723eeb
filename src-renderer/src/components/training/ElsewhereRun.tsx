import { isLive, runElsewhere, runLabel } from '../../training/model';
import { useFiles } from '../files-context';
import { useEditor, useRun, useWindow } from '../../state/window';

/** Whether the run on view is another project's than the design on the canvas (`runElsewhere`). */
export function useRunElsewhere(): boolean {
  const loadSeq = useEditor((s) => s.loadSeq);
  return useRun((s) => runElsewhere(s, loadSeq));
}

/** Which project and run the dock's views show: `“MNIST MLP” · run of 04:18:00`, a stored run's name, or where loaded weights came from. */
export function RunLabel() {
  const phase = useRun((s) => s.phase);
  const owner = useRun((s) => s.owner?.name);
  const info = useRun((s) => s.info);
  const stored = useRun((s) => s.stored?.name);
  const loaded = useRun((s) => s.loaded?.source);
  if (phase === 'idle' || phase === 'starting') return null;
  const text = stored !== undefined ? `stored run “${stored}”` : loaded !== undefined ? `trained weights from ${loaded}` : `“${owner ?? 'this design'}” · ${runLabel(info)}${isLive(phase) ? ' · live' : ''}`;
  return (
    <div className="run-label" data-testid="run-label" data-project={owner ?? ''} data-run={info?.storedRunId ?? info?.runId ?? ''} title={`These results are of ${text}`}>
      Showing {text}
    </div>
  );
}

/**
 * In place of the run's charts while another design is open (#32 item 8): the run goes on
 * training as its own project's — named here, with its step and loss — and nothing of its results
 * is drawn over this design. "Back to" brings its project back onto the canvas, with the charts.
 */
export function ElsewhereRun({ compact = false }: { compact?: boolean }) {
  const w = useWindow();
  const files = useFiles();
  const owner = useRun((s) => s.owner?.name);
  const phase = useRun((s) => s.phase);
  const info = useRun((s) => s.info);
  const step = useRun((s) => s.progress?.step ?? s.done?.steps ?? 0);
  const loss = useRun((s) => s.progress?.loss);
  const total = useRun((s) => (s.info ? s.info.stepsPerEpoch * s.info.epochs : undefined));
  const live = isLive(phase) || phase === 'starting';
  const name = owner ?? 'another design';
  return (
    <div className={`elsewhere-run${compact ? ' elsewhere-run--compact' : ''}`} role="status" data-testid="run-elsewhere" data-project={owner ?? ''} data-state={phase} data-step={step}>
      <p>
        <b>
          {live ? `“${name}” is training in the background` : `The run of “${name}” has ended (${phase})`}
        </b>{' '}
        · {runLabel(info)} · step {step}
        {total ? ` of ${total}` : ''}
        {typeof loss === 'number' ? ` · loss ${loss.toPrecision(3)}` : ''}
      </p>
      {compact ? null : <p className="elsewhere-run__note">Its curves, layers and playground belong to “{name}”, not to the design open here; go back to it to watch them.</p>}
      <div className="elsewhere-run__actions">
        <button type="button" className="primary" data-testid="run-back" onClick={() => void w.runs.showRunProject(files)}>
          Back to “{name}”
        </button>
        {isLive(phase) ? (
          <button type="button" data-testid="run-elsewhere-stop" onClick={() => void w.runs.control('stop')}>
            ■ Stop it
          </button>
        ) : null}
      </div>
    </div>
  );
}
