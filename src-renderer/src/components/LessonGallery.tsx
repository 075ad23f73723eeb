import { LESSONS, lessonClaimHolds, lessonClaimText, lessonReading, type Lesson, type LessonReading, type LessonReport } from '../lessons/catalog';
import { useLessons, type LessonState } from '../state/lessons-store';
import { useRun } from '../state/training-store';
import { isLive } from '../training/model';
import { useFiles } from './files-context';

const fmt = (reading: LessonReading, v: number | undefined) => (v === undefined ? '…' : !Number.isFinite(v) ? 'diverged' : reading.metric === 'accuracy' ? `${(v * 100).toFixed(1)} %` : v.toPrecision(3));
const percent = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '–' : `${(v * 100).toFixed(1)} %`);

/**
 * A lesson's report (a figure the engine computes from several of its runs, `lessons.report`): its
 * rows as a table, the lesson's figure emphasised, beside the reference's figure.
 */
function LessonReportTable({ id, report, state }: { id: string; report: LessonReport; state: LessonState | undefined }) {
  const rows = state?.report;
  return (
    <div className="lesson__report">
      <table className="lesson__table" data-testid={`lesson-report-${id}`} data-rows={rows?.length ?? 0}>
        <thead>
          <tr>
            <th>{report.rowHeading}</th>
            {report.columns.map((c) => (
              <th key={c.key} data-figure={c.key === report.figure ? 'true' : undefined}>
                {c.label}
              </th>
            ))}
            <th title="Test samples">n</th>
          </tr>
        </thead>
        <tbody>
          {rows ? (
            rows.map((r) => (
              <tr key={r.label}>
                <td>{r.label}</td>
                {report.columns.map((c) => (
                  <td key={c.key} data-figure={c.key === report.figure ? 'true' : undefined} data-testid={`lesson-report-${id}-${r.label}-${c.key}`} data-value={r.values[c.key]}>
                    {percent(r.values[c.key])}
                  </td>
                ))}
                <td>{r.count}</td>
              </tr>
            ))
          ) : (
            <tr>
              <td colSpan={report.columns.length + 2}>{state?.reporting ? 'reading the runs…' : state?.status === 'running' ? 'after the runs' : '–'}</td>
            </tr>
          )}
        </tbody>
      </table>
      <div className="lesson__report-reference">
        <div>Reference</div>
        <b data-testid={`lesson-report-reference-${id}`}>{report.reference}</b>
        <div className="lesson__meta">{report.caption}</div>
      </div>
    </div>
  );
}

/** One lesson: what it shows, its runs (ours beside the reference), whether the claim holds, and where the figures come from. */
function LessonCard({ lesson }: { lesson: Lesson }) {
  const state = useLessons((s) => s.lessons[lesson.id]);
  const busy = useLessons((s) => Object.values(s.lessons).some((l) => l.status === 'running'));
  const training = useRun((s) => isLive(s.phase) || s.phase === 'starting');
  const files = useFiles();
  const done = state?.status === 'done';
  const holds = done ? lessonClaimHolds(lesson, state.ours, state.report) : undefined;
  // One heading names the figure when every run reads the same one; otherwise each cell does.
  const mixed = lesson.variants.some((v) => v.reading && (v.reading.split !== lesson.reading.split || v.reading.metric !== lesson.reading.metric));
  const heading = [mixed ? '' : `${lesson.reading.split} ${lesson.reading.metric}`, state?.quick ? 'quick' : ''].filter(Boolean).join(', ');
  const start = async (quick: boolean) => {
    if (!(await files.confirmDiscard('template'))) return;
    void useLessons.getState().run(lesson, quick);
  };
  return (
    <section className="lesson" data-testid={`lesson-${lesson.id}`} data-status={state?.status ?? 'idle'}>
      <header>
        <b>{lesson.title}</b>
        <span className="lesson__buttons">
          <button type="button" data-testid={`lesson-run-quick-${lesson.id}`} disabled={busy || training} title="Reduced runs: fewer epochs, a minute or less" onClick={() => void start(true)}>
            Run quick
          </button>
          <button type="button" data-testid={`lesson-run-${lesson.id}`} disabled={busy || training} title="The runs the lesson's figures come from" onClick={() => void start(false)}>
            Run
          </button>
        </span>
      </header>
      <p>{lesson.explanation}</p>
      <table className="lesson__table" data-testid={`lesson-table-${lesson.id}`}>
        <thead>
          <tr>
            <th>Run</th>
            <th>Reference</th>
            <th>Ours{heading ? ` (${heading})` : ''}</th>
          </tr>
        </thead>
        <tbody>
          {lesson.variants.map((v, i) => (
            <tr key={v.label} data-running={state?.status === 'running' && state.current === i && !state.reporting ? 'true' : undefined}>
              <td>{v.label}</td>
              <td data-testid={`lesson-reference-${lesson.id}-${i}`}>{lesson.reference.figures[v.label] ?? '–'}</td>
              <td data-testid={`lesson-ours-${lesson.id}-${i}`} data-value={state?.ours[v.label]}>
                {state ? (state.status === 'running' && state.current === i && !state.reporting ? 'training…' : fmt(lessonReading(lesson, v), state.ours[v.label])) : '–'}
                {mixed && state?.ours[v.label] !== undefined ? ` ${lessonReading(lesson, v).split} ${lessonReading(lesson, v).metric}` : ''}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {lesson.report ? <LessonReportTable id={lesson.id} report={lesson.report} state={state} /> : null}
      <p className="lesson__claim" data-testid={`lesson-claim-${lesson.id}`} data-holds={holds === undefined ? undefined : String(holds)}>
        {holds === undefined ? 'Claim: ' : holds ? '✓ Our figures bear this out: ' : '✗ Not with our figures: '}
        {lessonClaimText(lesson)}
      </p>
      {state?.error ? <p className="lesson__error">{state.error}</p> : null}
      <p className="lesson__meta">
        Watch it in the Train dock’s <b>{lesson.view}</b> tab while it trains. Reference: {lesson.reference.source}.
      </p>
    </section>
  );
}

/** The Learn gallery: lessons that queue their runs and put our figures beside the reference ones. */
export function LessonGalleryBody() {
  return (
    <div className="lessons" data-testid="lesson-list">
      {LESSONS.map((l) => (
        <LessonCard key={l.id} lesson={l} />
      ))}
    </div>
  );
}
