import type { DamagedRun } from '../../training/compare';

/**
 * The run folders the engine could not read (`runs.list`'s `damaged`: a torn or edited
 * `run.json`, a field out of range, a link), each with why and **Delete** — listed apart from
 * the runs, so one damaged run hides no other and can still be removed.
 */
export function DamagedRuns({ damaged, onDelete }: { damaged: readonly DamagedRun[]; onDelete(run: DamagedRun): void }) {
  if (damaged.length === 0) return null;
  return (
    <div className="runs__damaged" data-testid="runs-damaged">
      <p className="runs__sub">
        {damaged.length === 1 ? 'One run folder cannot be read' : `${damaged.length} run folders cannot be read`}: delete {damaged.length === 1 ? 'it' : 'them'}, or repair the files by hand.
      </p>
      <ul>
        {damaged.map((d) => (
          <li key={d.id} data-testid={`run-damaged-${d.id}`}>
            <code>{d.id}</code> <span className="runs__status runs__status--failed">damaged</span> <span className="runs__sub">{d.reason}</span>{' '}
            <button type="button" data-testid={`run-delete-${d.id}`} title="Delete this run's folder and everything in it" onClick={() => onDelete(d)}>
              Delete
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
