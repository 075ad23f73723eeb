import { useEffect, useRef } from 'react';
import { LESSONS, lessonClaimHolds, lessonClaimText, lessonReading, type Lesson, type LessonReading, type LessonReport, type ReferenceFigure } from '../lessons/catalog';
import { type LessonState } from '../state/lessons-store';
import { isLive } from '../training/model';
import { useFiles } from './files-context';
import { useLessons, useRun, useWindow } from '../state/window';

const fmt = (reading: LessonReading, v: number | undefined) => (v === undefined ? '…' : !Number.isFinite(v) ? 'diverged' : reading.metric === 'accuracy' ? `${(v * 100).toFixed(1)} %` : v.toPrecision(3));
/** A reference's figure in the reading's units ("97 %", "≈ 50 %", "~0"). */
const fmtReference = (reading: LessonReading, r: ReferenceFigure) =>
  r.value === undefined ? '' : reading.metric === 'accuracy' ? `${r.approx ? '≈ ' : ''}${+(r.value * 100).toFixed(1)} %` : r.approx ? `~${r.value}` : String(r.value);
/** Ours minus the reference's figure (points of accuracy, or the loss's difference); blank without both. */
function fmtDelta(reading: LessonReading, ours: number | undefined, r: ReferenceFigure | undefined) {
  if (ours === undefined || !Number.isFinite(ours) || r?.value === undefined) return '';
  const d = ours - r.value;
  const sign = d > 0 ? '+' : d < 0 ? '−' : '±';
  return reading.metric === 'accuracy' ? `${sign}${Math.abs(d * 100).toFixed(1)} pts` : `${sign}${Math.abs(d).toPrecision(2)}`;
}
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

/** The reference's figure for a run, in bold, and its words; "no figure" where the source gives words only. */
function ReferenceCell({ id, reading, figure }: { id: string; reading: LessonReading; figure: ReferenceFigure | undefined }) {
  if (!figure) return <td data-testid={id}>–</td>;
  return (
    <td className="lesson__ref" data-testid={id} data-value={figure.value}>
      {figure.value !== undefined ? (
        <b className="lesson__ref-figure">{fmtReference(reading, figure)}</b>
      ) : (
        <span className="lesson__ref-none" title="The source gives words, no figure">
          no figure:
        </span>
      )}{' '}
      <span className="lesson__ref-words">{figure.words}</span>
    </td>
  );
}

/** One lesson: what it shows, its runs (ours beside the reference), whether the claim holds, and where the figures come from. */
function LessonCard({ lesson }: { lesson: Lesson }) {
  const w = useWindow();
  const state = useLessons((s) => s.lessons[lesson.id]);
  const focused = useLessons((s) => s.focus === lesson.id);
  const ref = useRef<HTMLElement>(null);
  useEffect(() => {
    if (!focused) return;
    ref.current?.scrollIntoView({ block: 'start' });
    w.lessons.setState({ focus: undefined });
  }, [focused, w.lessons]);
  const stored = Object.keys(state?.runIds ?? {}).length;
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
    void w.lessons.getState().run(lesson, quick);
  };
  return (
    <section className="lesson" ref={ref} data-testid={`lesson-${lesson.id}`} data-status={state?.status ?? 'idle'}>
      <header>
        <b>{lesson.title}</b>
        <span className="lesson__buttons">
          <button type="button" data-testid={`lesson-run-quick-${lesson.id}`} disabled={busy || training} title="Reduced runs: fewer epochs, a minute or less" onClick={() => void start(true)}>
            Run quick
          </button>
          <button type="button" data-testid={`lesson-run-${lesson.id}`} disabled={busy || training} title="The runs the lesson's figures come from" onClick={() => void start(false)}>
            Run
          </button>
          {lesson.variants.length > 1 ? (
            <button
              type="button"
              data-testid={`lesson-compare-${lesson.id}`}
              disabled={state?.status === 'running' || stored < 2}
              title={stored < 2 ? 'Once the runs are done (and kept): open them side by side in Compare' : `Open this lesson's ${stored} runs side by side in Compare (Runs tab)`}
              onClick={() => w.lessons.getState().compare(lesson.id)}
            >
              Compare runs
            </button>
          ) : null}
        </span>
      </header>
      <p>{lesson.explanation}</p>
      <table className="lesson__table" data-testid={`lesson-table-${lesson.id}`}>
        <thead>
          <tr>
            <th>Run</th>
            <th title={lesson.reference.source.title}>Reference ({lesson.reference.source.short})</th>
            <th>Ours{heading ? ` (${heading})` : ''}</th>
            <th title="Our figure minus the reference's, where the source gives one">vs reference</th>
          </tr>
        </thead>
        <tbody>
          {lesson.variants.map((v, i) => (
            <tr key={v.label} data-running={state?.status === 'running' && state.current === i && !state.reporting ? 'true' : undefined}>
              <td>{v.label}</td>
              <ReferenceCell id={`lesson-reference-${lesson.id}-${i}`} reading={lessonReading(lesson, v)} figure={lesson.reference.figures[v.label]} />
              <td data-testid={`lesson-ours-${lesson.id}-${i}`} data-value={state?.ours[v.label]}>
                {state ? (state.status === 'running' && state.current === i && !state.reporting ? 'training…' : fmt(lessonReading(lesson, v), state.ours[v.label])) : '–'}
                {mixed && state?.ours[v.label] !== undefined ? ` ${lessonReading(lesson, v).split} ${lessonReading(lesson, v).metric}` : ''}
              </td>
              <td className="lesson__delta" data-testid={`lesson-delta-${lesson.id}-${i}`}>
                {fmtDelta(lessonReading(lesson, v), state?.ours[v.label], lesson.reference.figures[v.label])}
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
        Watch it in the Train dock’s <b>{lesson.view}</b> tab while it trains. Reference: {lesson.reference.source.title}.
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

/**
 * The running (or just finished) lesson, small, over the canvas's corner: the gallery closes while
 * a lesson trains so that the dock it points to shows; this card says which run trains, our
 * figures so far, and reopens the gallery at the lesson. Once done it carries the verdict until dismissed.
 */
export function LessonProgressCard() {
  const w = useWindow();
  const id = useLessons((s) => s.card);
  const state = useLessons((s) => (s.card ? s.lessons[s.card] : undefined));
  const lesson = LESSONS.find((l) => l.id === id);
  if (!lesson || !state) return null;
  const holds = state.status === 'done' ? lessonClaimHolds(lesson, state.ours, state.report) : undefined;
  const variant = lesson.variants[state.current];
  const what =
    state.status === 'running'
      ? state.reporting
        ? 'reading the runs…'
        : `run ${state.current + 1} of ${state.runs}: ${variant?.label ?? ''}`
      : state.status === 'failed'
        ? 'failed'
        : holds === undefined
          ? 'done'
          : holds
            ? '✓ our figures bear the claim out'
            : '✗ not with our figures';
  return (
    <aside className="lesson-card" data-testid="lesson-card" data-lesson={lesson.id} data-status={state.status} data-holds={holds === undefined ? undefined : String(holds)} aria-label="Lesson in progress">
      <div className="lesson-card__title" title={lesson.title}>
        {lesson.title}
        {state.quick ? ' (quick)' : ''}
      </div>
      <div className="lesson-card__what" data-testid="lesson-card-what">
        {what}
      </div>
      <ol className="lesson-card__runs">
        {lesson.variants.map((v, i) => (
          <li key={v.label} data-running={state.status === 'running' && state.current === i && !state.reporting ? 'true' : undefined}>
            <span>{v.label}</span> <span>{state.ours[v.label] === undefined ? '' : fmt(lessonReading(lesson, v), state.ours[v.label])}</span>
          </li>
        ))}
      </ol>
      <div className="lesson-card__actions">
        <button type="button" data-testid="lesson-card-show" onClick={() => w.lessons.getState().show(lesson.id)}>
          Show lesson
        </button>
        {state.status === 'done' && Object.keys(state.runIds).length > 1 ? (
          <button type="button" data-testid="lesson-card-compare" onClick={() => w.lessons.getState().compare(lesson.id)}>
            Compare runs
          </button>
        ) : null}
        {state.status !== 'running' ? (
          <button type="button" data-testid="lesson-card-dismiss" aria-label="Dismiss" title="Dismiss" onClick={() => w.lessons.getState().dismissCard()}>
            ×
          </button>
        ) : null}
      </div>
    </aside>
  );
}
