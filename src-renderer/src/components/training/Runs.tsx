import { getHost } from '../../host';
import { exportModel } from '../../training/export';
import { Fragment, useCallback, useEffect, useMemo, useState } from 'react';
import { parseProject } from '../../editor/project';
import { type RunsUi, type SortKey } from '../../state/runs-ui';
import { isLive } from '../../training/model';
import { isProjectRun } from '../../training/project-runs';
import { headlineOf, MAX_COMPARED, validationOf, type DamagedRun, type RunMeta } from '../../training/compare';
import { useFiles } from '../files-context';
import { canvasAspect } from '../canvas-view';
import { Compare } from './Compare';
import { SweepResults } from './SweepResults';
import { DamagedRuns } from './DamagedRuns';
import { BaselineVerdict } from './BaselineVerdict';
import { HParams } from './HParams';
import { sweepGroups } from '../../training/sweep';
import { settingOverRun } from '../../training/settings-history';
import { describeStartFrom, startFromOf, type TrainingConfig } from '../../../../src-engine/facade';
import { deleteRun, listRuns, openRun, updateRun } from '../../training/runs-client';
import { cancelRun } from '../../training/where';
import { deletable, RunStop, RunWhere, statusLabel } from './RunWhere';
import { RunLog } from './RunLog';
import { holdsDesign } from '../../editor/same-design';
import { useEditor, useEngine, useExport, useRun, useRunsUi, useWindow } from '../../state/window';
import { datasetLabel } from '../../editor/training-summary';

/** Runs whose name, notes, settings, status or design name contain every word of `filter`. */
function matches(m: RunMeta, filter: string): boolean {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const text = `${m.name} ${m.notes} ${m.status} ${settingsLine(m)}`.toLowerCase();
  return words.every((w) => text.includes(w));
}

function sortRuns(runs: readonly RunMeta[], key: SortKey): RunMeta[] {
  const out = [...runs];
  if (key === 'oldest') return out.reverse();
  if (key === 'name') return out.sort((a, b) => a.name.localeCompare(b.name));
  if (key === 'duration') return out.sort((a, b) => (b.summary?.seconds ?? -1) - (a.summary?.seconds ?? -1));
  if (key === 'result') {
    // Best validation first (accuracy high, loss low), never by test; runs without one last.
    const score = (m: RunMeta) => {
      const h = validationOf(m);
      return h.value === undefined ? -Infinity : h.higherIsBetter ? h.value : -h.value;
    };
    return out.sort((a, b) => score(b) - score(a));
  }
  return out;
}

/** The settings that tell runs of one design apart: optimizer and rate, batch, epochs. */
function settingsLine(m: RunMeta): string {
  const t = m.settings.training as { optimizer?: { kind?: string; lr?: number }; batchSize?: number; epochs?: number; dataset?: { name: string; options?: Record<string, unknown> }; evaluation?: string } | undefined;
  const lr = settingOverRun(t?.optimizer?.lr, 'optimizer.lr', m.summary?.settingsHistory) ?? t?.optimizer?.lr;
  return [datasetLabel(t?.dataset), t?.optimizer ? `${t.optimizer.kind} ${lr}` : undefined, t?.batchSize ? `batch ${t.batchSize}` : undefined, t?.epochs ? `${t.epochs} ep` : undefined, t?.evaluation === 'train' ? 'eval() forgotten' : undefined].filter(Boolean).join(' · ');
}

/** Where a run's weights started, when not from fresh initialisation (`training.startFrom`). */
function RunStart({ meta, runName }: { meta: RunMeta; runName(id: string): string | undefined }) {
  const start = startFromOf(meta.settings.training as TrainingConfig | undefined);
  // A resumed run says where it resumed (its parent's last checkpoint, which its settings record).
  if (start.kind === 'fresh' || meta.resumedFrom) return null;
  return (
    <span className="runs__sweep" data-testid={`run-start-from-${meta.id}`} data-kind={start.kind} title="Where this run's weights started (Train ▸ Start from)">
      from {describeStartFrom(start, runName)} ·{' '}
    </span>
  );
}

const duration = (s: number | undefined) => (s === undefined ? '–' : s >= 90 ? `${Math.floor(s / 60)} min ${Math.round(s % 60)} s` : `${s.toFixed(1)} s`);

/** A text field that commits on blur or Enter; it grows to show all it holds (a sweep run's name to its last digit), wrapping at the column's width. */
function EditField({ value, testId, placeholder, title, onCommit }: { value: string; testId: string; placeholder?: string; title?: string; onCommit: (v: string) => void }) {
  const [text, setText] = useState(value);
  const [shown, setShown] = useState(value);
  if (shown !== value) {
    setShown(value);
    setText(value);
  }
  const commit = () => text !== value && onCommit(text);
  return (
    <textarea
      className="runs__edit"
      rows={1}
      data-testid={testId}
      data-value={value}
      value={text}
      placeholder={placeholder}
      title={title}
      onChange={(e) => setText(e.target.value.replace(/\n/g, ' '))}
      onBlur={commit}
      onKeyDown={(e) => {
        if (e.key !== 'Enter') return;
        e.preventDefault();
        commit();
      }}
    />
  );
}

/**
 * Every stored run, newest first (docs/runs.md): its editable name and notes, status, headline
 * metric, steps and duration; restore a run's design onto the canvas, or delete it; tick 2–10 to
 * compare them, one pinned as the baseline. The list refreshes when a run starts or ends.
 */
/**
 * The toolbar wraps where the dock is narrow (nothing in it is cut off, the sort menu included):
 * the table's sticky header sits under it at its height, whatever it is.
 */
function followToolbarHeight(el: HTMLDivElement | null): (() => void) | void {
  const runs = el?.parentElement;
  if (!el || !runs || typeof ResizeObserver === 'undefined') return;
  const o = new ResizeObserver(() => runs.style.setProperty('--runs-toolbar-h', `${el.offsetHeight}px`));
  o.observe(el);
  return () => o.disconnect();
}

/**
 * The tab's visible width as `--runs-w`: a run's Log is that wide and stays in view (sticky at the
 * left) when the table is wider than the dock and scrolls sideways, so its Close is never out of sight.
 */
function followRunsWidth(el: HTMLDivElement | null): (() => void) | void {
  if (!el || typeof ResizeObserver === 'undefined') return;
  const o = new ResizeObserver(() => el.style.setProperty('--runs-w', `${el.clientWidth}px`));
  o.observe(el);
  return () => o.disconnect();
}

/** How often the list is read again while a run trained elsewhere is running (ms). */
const ELSEWHERE_REFRESH_MS = 2000;

/** A running run's place, when it is the one this window trains (its progress events): "step 212 · epoch 1/1", else "–". */
function LiveStep({ id }: { id: string }) {
  const at = useRun((s) => (s.info?.storedRunId === id && s.progress && isLive(s.phase) ? `step ${s.progress.step} · epoch ${s.progress.epoch}/${s.progress.epochs}` : '–'));
  return <span data-testid={`run-live-${id}`}>{at}</span>;
}

/** One stored run in the list: pick and baseline, name and settings, result, notes, and its actions. */
function RunRow(props: {
  meta: RunMeta;
  selected: boolean;
  baseline: boolean;
  runName: (id: string) => string | undefined;
  busy: boolean;
  onToggle: () => void;
  onBaseline: () => void;
  onUpdate: (patch: { name?: string; notes?: string }) => void;
  onOpen: () => void;
  onResume: (more?: number) => void;
  onDelete: () => void;
  /** End a run trained elsewhere (`netwright runs cancel`'s code). */
  onCancel: () => void;
  /** Whether its Log is shown (below the row). */
  logShown: boolean;
  onLog: () => void;
}) {
  const { meta: m, selected, baseline, runName, busy, onToggle, onBaseline, onUpdate, onOpen, onResume, onDelete, onCancel, logShown, onLog } = props;
  return (
    <tr data-testid={`run-${m.id}`} data-status={m.status} data-baseline={String(baseline)} className={selected ? 'runs__row--selected' : ''}>
      <td className="runs__pick">
        <input type="checkbox" data-testid={`run-select-${m.id}`} aria-label={`Compare ${m.name}`} checked={selected} onChange={onToggle} />
        <button
          type="button"
          className={`runs__star${baseline ? ' runs__star--on' : ''}`}
          data-testid={`run-baseline-${m.id}`}
          aria-pressed={baseline}
          title={baseline ? 'The baseline (click to unpin)' : 'Pin as the baseline: comparisons show it first and measure differences against it'}
          onClick={onBaseline}
        >
          {baseline ? '★' : '☆'}
        </button>
      </td>
      <td className="runs__name">
        <EditField value={m.name} testId={`run-name-${m.id}`} onCommit={(name) => onUpdate({ name })} />
        <div className="runs__sub" title={m.settings.backend} data-testid={`run-settings-${m.id}`}>
          {m.resumedFrom ? <span className="runs__sweep" data-testid={`run-resumed-${m.id}`} title={`Continued from run ${runName(m.resumedFrom.runId) ?? m.resumedFrom.runId} at step ${m.resumedFrom.step}`}>resumed at epoch {m.resumedFrom.epoch} · </span> : null}
          <RunStart meta={m} runName={runName} />
          {m.sweep ? <span className="runs__sweep" title={`Run ${m.sweep.index + 1} of ${m.sweep.total} of a sweep over ${m.sweep.over}`}>sweep {m.sweep.over} = {String(m.sweep.value)} · </span> : null}
          {settingsLine(m)} · {new Date(m.createdAt).toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' })}
        </div>
      </td>
      <td className="runs__result">
        <b data-testid={`run-result-${m.id}`}>{headlineOf(m).label}</b> <span className={`runs__status runs__status--${m.status}`} data-testid={`run-status-${m.id}`}>{statusLabel(m)}</span>
        <RunWhere meta={m} />
        <div className="runs__sub">
          {m.summary ? `${m.summary.steps - (m.resumedFrom?.step ?? 0)} steps${m.resumedFrom ? ` (to ${m.summary.steps})` : ''} · ${duration(m.summary.seconds)}` : m.status === 'running' ? <LiveStep id={m.id} /> : '–'}
        </div>
        <BaselineVerdict meta={m} />
      </td>
      <td className="runs__notes">
        <EditField value={m.notes} testId={`run-notes-${m.id}`} placeholder="add a note" title="Notes: what changed, what you saw" onCommit={(notes) => onUpdate({ notes })} />
      </td>
      <td className="runs__actions">
        <button type="button" data-testid={`run-open-${m.id}`} title="Open this run: its design on the canvas, its curves, layers and samples in the dock (scrub through them with the timeline)" onClick={onOpen}>
          Open
        </button>
        <button type="button" data-testid={`run-log-${m.id}`} aria-expanded={logShown} title={logShown ? 'Hide its log' : "Its log, as netwright runs log prints it: what its job wrote, its errors and events (read again while it runs)"} onClick={onLog}>
          Log
        </button>
        <RunStop meta={m} onStop={onCancel} />
        <RunContinue meta={m} busy={busy} onResume={onResume} />
        <RunExport id={m.id} disabled={m.status === 'running'} />
        <button type="button" data-testid={`run-delete-${m.id}`} disabled={!deletable(m)} title={!deletable(m) ? 'Stop the run first' : m.status === 'running' ? 'Delete this run (its job, if it runs on, is left to its machine: Stop it first to end it)' : 'Delete this run'} onClick={onDelete}>
          Delete
        </button>
      </td>
    </tr>
  );
}

/** Compare, clear, list or hyperparameters view, scope, filter, sort, sweep results, and the count shown. */
function RunsToolbar(props: { ui: RunsUi; compared: number; baseline: boolean; selected: number; project: string; inProject: number; total: number; shown: number; sweeps: ReturnType<typeof sweepGroups> }) {
  const { ui, compared, baseline, selected, project, inProject, total, shown, sweeps } = props;
  return (
  <div className="runs__toolbar" ref={followToolbarHeight}>
    <button
      type="button"
      className="primary"
      data-testid="runs-compare"
      disabled={compared < 2}
      title={compared < 2 ? 'Tick two or more runs to compare them' : `Compare ${compared} runs${baseline ? ' against the baseline' : ''}`}
      onClick={() => ui.set({ comparing: true })}
    >
      Compare{compared ? ` (${compared})` : ''}
    </button>
    {selected ? (
      <button type="button" data-testid="runs-clear-selection" onClick={() => ui.set({ selected: [] })}>
        Clear
      </button>
    ) : null}
    <div className="runs__view" role="tablist" aria-label="Runs view">
      <button type="button" role="tab" aria-selected={ui.view !== 'hparams'} className={ui.view !== 'hparams' ? 'active' : ''} data-testid="runs-view-list" onClick={() => ui.set({ view: 'list' })}>
        List
      </button>
      <button type="button" role="tab" aria-selected={ui.view === 'hparams'} className={ui.view === 'hparams' ? 'active' : ''} data-testid="runs-view-hparams" title="Every run's hyperparameters and results in one sortable table, and as parallel coordinates" onClick={() => ui.set({ view: 'hparams' })}>
        Hyperparameters
      </button>
    </div>
    <select className="runs__scope" data-testid="runs-scope" value={ui.scope} aria-label="Which projects' runs" title={`This project: the runs trained from “${project}”`} onChange={(e) => ui.set({ scope: e.target.value as RunsUi['scope'] })}>
      <option value="project" title={project}>{`This project · ${inProject}`}</option>
      <option value="all">{`All projects · ${total}`}</option>
    </select>
    <input className="runs__filter" type="search" data-testid="runs-filter" placeholder="Filter runs…" title="Runs whose name, notes, settings, status or design contain every word: e.g. adam crashed mnist" value={ui.filter} onChange={(e) => ui.set({ filter: e.target.value })} />
    <label className="runs__sort">
      sort{' '}
      <select data-testid="runs-sort" value={ui.sort} onChange={(e) => ui.set({ sort: e.target.value as SortKey })}>
        <option value="newest">newest</option>
        <option value="oldest">oldest</option>
        <option value="result">best validation</option>
        <option value="name">name</option>
        <option value="duration">longest</option>
      </select>
    </label>
    {sweeps.length ? (
      <select className="runs__sweeps" data-testid="runs-sweep" value="" aria-label="Sweep results" onChange={(e) => e.target.value && ui.set({ sweep: e.target.value })}>
        <option value="">Sweeps ▸ results…</option>
        {sweeps.map((g) => (
          <option key={g.id} value={g.id}>
            {g.over} · {g.runs.length} runs · {new Date(g.runs[0].createdAt).toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' })}
          </option>
        ))}
      </select>
    ) : null}
    <span className="runs__sub">
      {shown === total ? `${total} run${total === 1 ? '' : 's'}` : `${shown} of ${total} runs`}
    </span>
  </div>
  );
}

/** Why the list shows no run: none of this project yet (with "Show all projects"), or none matching the filter. */
function NoneShown({ project, inScope, total, filter, onShowAll }: { project: string; inScope: number; total: number; filter: string; onShowAll: () => void }) {
  if (inScope > 0) return <p className="runs__empty">No run matches “{filter}”.</p>;
  return (
    <p className="runs__empty" data-testid="runs-none-in-project">
      No runs of “{project}” yet.{' '}
      <button type="button" data-testid="runs-show-all" onClick={onShowAll}>
        Show all projects ({total})
      </button>
    </p>
  );
}

export function Runs() {
  const w = useWindow();
  const client = useEngine((s) => s.client);
  const ready = useEngine((s) => s.state === 'ready');
  const phase = useRun((s) => s.phase);
  const files = useFiles();
  const [runs, setRuns] = useState<RunMeta[] | null>(null);
  const [damaged, setDamaged] = useState<DamagedRun[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  /** The run whose Log is shown under its row (one at a time). */
  const [logOf, setLogOf] = useState<string | null>(null);
  const ui = useRunsUi();
  const refresh = useCallback(() => {
    if (!client || !ready) return;
    listRuns(client)
      .then((r) => {
        setRuns(r.runs);
        setDamaged(r.damaged);
        setProblem(null);
      })
      .catch((e: Error) => setProblem(e.message));
  }, [client, ready]);
  // Refresh on open and whenever a run starts or ends.
  useEffect(refresh, [refresh, phase]);
  // A run trained elsewhere is written by the engine's follower, not this window's run: read the
  // list again while one is running, so its steps, its end and its status show.
  const followed = runs?.some((m) => m.target !== undefined && m.status === 'running') ?? false;
  useEffect(() => {
    if (!followed) return;
    const timer = setInterval(refresh, ELSEWHERE_REFRESH_MS);
    return () => clearInterval(timer);
  }, [followed, refresh]);

  // A failed action on one run is said where the user is looking and leaves the list as it was;
  // only a list that cannot be read replaces the table (below).
  const failed = (what: string) => (e: Error & { code?: string }) => w.editor.getState().notify('error', `${what}: ${e.message}`, e.code ? { code: e.code } : undefined);
  const update = (id: string, patch: { name?: string; notes?: string }) => void (client && updateRun(client, id, patch).then(refresh, failed('Could not save the change')));
  const remove = async (m: RunMeta) => {
    if (!(await w.confirm.getState().ask('Delete run', `Delete "${m.name}" and everything recorded with it? This cannot be undone.`, 'Delete'))) return;
    void (client && deleteRun(client, m.id).then(refresh, failed(`Could not delete "${m.name}"`)));
  };
  const removeDamaged = async (d: DamagedRun) => {
    if (!(await w.confirm.getState().ask('Delete run', `Delete the run folder ${d.id}, which cannot be read, and everything in it? This cannot be undone.`, 'Delete'))) return;
    void (client && deleteRun(client, d.id).then(refresh, failed(`Could not delete ${d.id}`)));
  };
  const damagedRows = <DamagedRuns damaged={damaged} onDelete={(d) => void removeDamaged(d)} />;
  const open = (m: RunMeta, options: { results?: boolean } = {}): Promise<boolean> => (client ? openStoredRun({ w, client, files, failed }, m, options) : Promise.resolve(false));

  /** Resume a crashed/stopped run, or train a finished one `more` epochs further: its design onto the canvas (unless there already), then `train.resume`. */
  const resume = async (m: RunMeta, more?: number) => {
    if (!(await open(m, { results: false }))) return;
    w.trainUi.getState().set({ tab: 'curves' });
    await w.runs.resume(m.id, more);
  };

  const byId = useMemo(() => new Map((runs ?? []).map((m) => [m.id, m])), [runs]);
  const selected = ui.selected.filter((id) => byId.has(id));
  const baseline = ui.baseline && byId.has(ui.baseline) ? ui.baseline : undefined;
  // The baseline first, then the others in the order they were ticked.
  const compared = [...(baseline && selected.includes(baseline) ? [baseline] : []), ...selected.filter((id) => id !== baseline)].map((id) => byId.get(id)!);
  const project = useEditor((s) => s.file.name);
  const projectId = useEditor((s) => s.file.projectId);
  const ofProject = useMemo(() => (runs ?? []).filter((m) => isProjectRun(m, { name: project, projectId })), [runs, project, projectId]);
  const scoped = useMemo(() => (ui.scope === 'project' ? ofProject : (runs ?? [])), [ui.scope, ofProject, runs]);
  const shown = useMemo(() => sortRuns(scoped.filter((m) => matches(m, ui.filter)), ui.sort), [scoped, ui.filter, ui.sort]);

  if (problem) return <p className="runs__empty" data-testid="runs-problem">{problem}</p>;
  if (!runs) return <p className="runs__empty">Loading runs…</p>;
  if (runs.length === 0) {
    return (
      <div className="runs" data-testid="runs">
        <p className="runs__empty" data-testid="runs-empty">No runs yet: every run you train is kept here with its design and settings.</p>
        {damagedRows}
      </div>
    );
  }
  const sweeps = sweepGroups(runs ?? []);
  const shownSweep = ui.sweep ? sweeps.find((g) => g.id === ui.sweep) : undefined;
  if (shownSweep) {
    return (
      <SweepResults
        over={shownSweep.over}
        runs={shownSweep.runs}
        total={shownSweep.total}
        onClose={() => ui.set({ sweep: undefined })}
        onCompare={() => ui.set({ sweep: undefined, selected: shownSweep.runs.slice(0, MAX_COMPARED).map((r) => r.id), comparing: true })}
      />
    );
  }
  if (ui.comparing && compared.length >= 2) return <Compare runs={compared} baseline={baseline} onClose={() => ui.set({ comparing: false })} onOpenDesign={(m) => open(m, { results: false })} />;
  return (
    <div className="runs" data-testid="runs" ref={followRunsWidth}>
      <RunsToolbar ui={ui} compared={compared.length} baseline={baseline !== undefined} selected={selected.length} project={project} inProject={ofProject.length} total={runs.length} shown={shown.length} sweeps={sweeps} />
      {ui.view === 'hparams' ? <HParams runs={shown} selected={selected} onToggle={ui.toggle} /> : null}
      <table className="runs__table" hidden={ui.view === 'hparams'}>
        <thead>
          <tr>
            <th title="Tick runs to compare" />
            <th>Run</th>
            <th>Result</th>
            <th>Notes</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {shown.map((m) => (
            <Fragment key={m.id}>
              <RunRow
                meta={m}
                selected={selected.includes(m.id)}
                baseline={m.id === baseline}
                runName={(id) => byId.get(id)?.name}
                busy={isLive(phase) || phase === 'starting'}
                onToggle={() => ui.toggle(m.id)}
                onBaseline={() => ui.set({ baseline: m.id === baseline ? undefined : m.id })}
                onUpdate={(patch) => update(m.id, patch)}
                onOpen={() => void open(m)}
                onResume={(more) => void resume(m, more)}
                onDelete={() => void remove(m)}
                onCancel={() => void (client && cancelRun(client, m.id).then(refresh, failed(`Could not stop "${m.name}"`)))}
                logShown={logOf === m.id}
                onLog={() => setLogOf(logOf === m.id ? null : m.id)}
              />
              {logOf === m.id ? (
                <tr className="runs__log-row" data-testid={`run-log-row-${m.id}`}>
                  <td colSpan={5}>
                    <RunLog key={m.id} meta={m} onClose={() => setLogOf(null)} />
                  </td>
                </tr>
              ) : null}
            </Fragment>
          ))}
        </tbody>
      </table>
      {shown.length === 0 ? <NoneShown project={project} inScope={scoped.length} total={runs.length} filter={ui.filter} onShowAll={() => ui.set({ scope: 'all' })} /> : null}
      {damagedRows}
    </div>
  );
}

/** What opening a stored run needs from the Runs tab: the window's stores, the engine, the files (to ask about unsaved work) and where a failure is said. */
interface RunOpener {
  w: ReturnType<typeof useWindow>;
  client: Parameters<typeof openRun>[0];
  files: ReturnType<typeof useFiles>;
  failed: (what: string) => (e: Error & { code?: string }) => void;
}

/**
 * Open a run: its design onto the canvas and (unless a run is training, or `results` is false)
 * its results into the dock, with the timeline. A canvas that already holds the run's design
 * (trained and not saved since, or opened before) stays as it is, its layout, project and undo
 * history too, and nothing is asked: there is nothing to replace.
 */
async function openStoredRun({ w, client, files, failed }: RunOpener, m: RunMeta, options: { results?: boolean }): Promise<boolean> {
  /** The run's results into the dock (unless `results` is false or a run is training). */
  const showResults = async (): Promise<boolean> => {
    if (options.results !== false && !isLive(w.run.getState().phase)) {
      await w.runs.viewStoredRun(client, m.id);
      w.trainUi.getState().set({ tab: 'curves' });
    }
    return true;
  };
  try {
    const view = await openRun(client, m.id);
    const said = () => view.note && w.editor.getState().notify('info', view.note);
    if (holdsDesign(w.editor.getState().history.present.graph, view.graph, view.meta.resumedFrom)) {
      said();
      return showResults();
    }
    // A run keeps its design without a layout: laid out to fit the canvas, as a template opens.
    const parsed = parseProject(JSON.stringify(view.graph), { aspect: canvasAspect(), direction: w.panels.getState().layoutDirection });
    if (!parsed.ok) {
      failed(`Could not open "${m.name}"`)(Object.assign(new Error(`its design cannot be opened: ${parsed.message}`), { code: parsed.code }));
      return false;
    }
    if (!(await files.confirmDiscard('open'))) return false;
    // A run's design opened from the list or from Compare: the Runs tab stays as it was.
    const { selected, comparing, sweep } = w.runsUi.getState();
    w.editor.getState().load(parsed.doc, { name: m.name }, {}, true);
    w.runsUi.getState().set({ selected, comparing, sweep });
    w.trainUi.getState().set({ archDiff: undefined });
    said();
    return showResults();
  } catch (e) {
    failed(`Could not open "${m.name}"`)(e as Error);
    return false;
  }
}

const CONTINUE_EPOCHS = [1, 5, 10, 20, 50] as const;

/**
 * Go on training a stored run from its last checkpoint: **Resume** for a crashed or stopped run
 * (up to its own epoch count), **Continue…** N more epochs for any run that ended.
 */
function RunContinue({ meta, busy, onResume }: { meta: RunMeta; busy: boolean; onResume(more?: number): void }) {
  if (meta.status === 'running') return null;
  const why = busy ? 'A run is training: stop it first' : undefined;
  const resumable = meta.status === 'crashed' || meta.status === 'stopped';
  return (
    <>
      {resumable ? (
        <button type="button" data-testid={`run-resume-${meta.id}`} disabled={busy} title={why ?? 'Resume this run from its last checkpoint (weights, optimizer and schedule state), as a new run that continues its curve'} onClick={() => onResume()}>
          Resume
        </button>
      ) : null}
      <select
        className="runs__export"
        data-testid={`run-continue-${meta.id}`}
        aria-label="Continue training this run"
        disabled={busy}
        title={why ?? 'Train this run further from its last checkpoint, as a new run'}
        value=""
        onChange={(e) => {
          const n = Number(e.target.value);
          if (n > 0) onResume(n);
        }}
      >
        <option value="">Continue…</option>
        {CONTINUE_EPOCHS.map((n) => (
          <option key={n} value={n}>
            {`${n} more epoch${n === 1 ? '' : 's'}`}
          </option>
        ))}
      </select>
    </>
  );
}

/** A stored run's Export: each format of its last or best checkpoint (an export of the weights as they were then). */
function RunExport({ id, disabled }: { id: string; disabled: boolean }) {
  const w = useWindow();
  const formats = useExport((s) => s.formats);
  return (
    <select
      className="runs__export"
      data-testid={`run-export-${id}`}
      aria-label="Export this run's model"
      disabled={disabled || formats.length === 0}
      title={disabled ? 'The run is still training; export it when it ends (or use Export in the toolbar)' : "Export this run's trained model: its last checkpoint, or its best (by validation)"}
      value=""
      onChange={(e) => {
        const [format, which] = e.target.value.split(':');
        if (format && (which === 'last' || which === 'best')) void exportModel(w, getHost().files, format, { kind: 'run', id, which });
      }}
    >
      <option value="">Export…</option>
      {(['last', 'best'] as const).map((which) => (
        <optgroup key={which} label={which === 'last' ? 'last checkpoint' : 'best checkpoint'}>
          {formats.map((f) => (
            <option key={f.id} value={`${f.id}:${which}`}>
              {f.label} ({which})
            </option>
          ))}
        </optgroup>
      ))}
    </select>
  );
}
