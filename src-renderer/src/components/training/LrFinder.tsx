import { useEffect, useMemo, useRef, useState } from 'react';
import type { GraphIR } from '../../../../src-engine/facade';
import { describeStartFrom, explainCode, startFromOf } from '../../../../src-engine/facade';
import type { ResultOf } from '../../../../src-engine/protocol';
import { engineGraph } from '../../editor/analysis';
import { findLearningRate } from '../../training/model-client';
import { lrFinderChartOption, rateLabel } from '../../training/charts';
import { EChart, useChartTheme } from './EChart';
import { NumberField } from './NumberField';
import { useEngine, useRun, useWindow } from '../../state/window';

type Finding = ResultOf<'train.findLr'>;
type Outcome = { state: 'running' } | { state: 'done'; result: Finding } | { state: 'error'; code?: string; message: string };

/** The rate range the test sweeps by default (fastai's) and its steps. */
const DEFAULT_RANGE = { start: 1e-7, end: 10 };
const STEPS = 100;

/** What a finding belongs to: the design without its optimizer's rate (applying the suggestion keeps the curve on screen; any other edit hides it). */
function designKey(graph: GraphIR): string {
  const t = graph.training;
  return JSON.stringify(t ? { ...graph, training: { ...t, optimizer: { ...t.optimizer, lr: 0 } } } : graph);
}

/**
 * Whether the smoothed loss hardly fell before its minimum (less than 10 % of where it started):
 * from trained weights the curve is flat until it diverges, and the steepest "descent" is noise.
 */
function hardlyFell(r: Finding): boolean {
  const s = r.smoothed.filter((x): x is number => x !== null);
  return s.length > 0 && s[0] - Math.min(...s) < 0.1 * Math.abs(s[0]);
}

/** The suggestion as the design stores it: two significant digits. */
const rounded = (lr: number) => Number(lr.toPrecision(2));

/**
 * The learning-rate finder (fastai's `lr_find`) in the Train dock: a short run from the weights
 * the design's next run starts from (or the run's on screen, finished or paused), the rate growing exponentially over the range, stopped when
 * the loss diverges; the smoothed loss against the rate on a log axis, the suggested rate marked,
 * and Apply, which sets the optimizer's rate in the design (an undoable edit). The weights are
 * left as they were.
 */
export function LrFinder({ graph, disabled }: { graph: GraphIR; disabled: boolean }) {
  const w = useWindow();
  const client = useEngine((s) => (s.state === 'ready' ? s.client : undefined));
  const theme = useChartTheme();
  const [range, setRange] = useState(DEFAULT_RANGE);
  const [shown, setShown] = useState<{ key: string; outcome: Outcome }>();
  // A run on screen with weights to test from (finished or paused; not a loaded model's, which `startFrom` names).
  const runWeights = useRun((s) => (s.runId !== undefined && s.loaded === undefined && (s.phase === 'done' || s.phase === 'paused') ? s.runId : undefined));
  const [fromRun, setFromRun] = useState(true);
  const runId = fromRun ? runWeights : undefined;
  const designed = useMemo(() => designKey(graph), [graph]);
  const key = `${runId ?? ''}\u0000${designed}`;
  const outcome = shown?.key === key ? shown.outcome : undefined;
  const result = outcome?.state === 'done' ? outcome.result : undefined;
  const option = useMemo(() => (result ? lrFinderChartOption(theme, result) : undefined), [result, theme]);
  // The verdict and its Apply sit under the chart, below the dock's fold at 1280×800: brought into view when a result lands.
  const verdict = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (result) verdict.current?.scrollIntoView?.({ block: 'nearest' });
  }, [result]);
  const t = graph.training;
  if (!t) return null;
  const find = () => {
    if (!client) return;
    setShown({ key, outcome: { state: 'running' } });
    findLearningRate(client, { graph: engineGraph(graph), ...(runId !== undefined ? { runId } : {}), start: range.start, end: range.end, steps: STEPS })
      .then((r) => setShown({ key, outcome: { state: 'done', result: r } }))
      .catch((e: Error & { code?: string }) => setShown({ key, outcome: { state: 'error', message: e.message, ...(e.code ? { code: e.code } : {}) } }));
  };
  const from = runId !== undefined ? "the run's weights" : describeStartFrom(startFromOf(t));
  const suggestion = result?.suggestion ?? null;
  const applied = suggestion !== null && t.optimizer.lr === rounded(suggestion);
  const apply = () => {
    if (suggestion === null) return;
    w.editor.getState().edit({ kind: 'set-training', training: { ...t, optimizer: { ...t.optimizer, lr: rounded(suggestion) } } });
  };
  return (
    <div className="lr-finder" data-testid="lr-finder" data-state={outcome?.state ?? 'idle'} data-start={range.start} data-end={range.end}>
      <div className="lr-finder__controls">
        <button
          type="button"
          data-testid="lr-find"
          disabled={disabled || !client || outcome?.state === 'running'}
          title={`Train ${STEPS} batches from ${from}, the rate growing from ${rateLabel(range.start)} to ${rateLabel(range.end)}, and stop when the loss diverges; the weights are left as they were`}
          onClick={find}
        >
          {outcome?.state === 'running' ? 'Finding…' : 'Find learning rate'}
        </button>
        {runWeights !== undefined ? (
          <select data-testid="lr-find-from" aria-label="Weights to start from" value={fromRun ? 'run' : 'start'} onChange={(e) => setFromRun(e.target.value === 'run')} title="The run's weights as they stand, or those the next run starts from (Start from)">
            <option value="run">from the run&apos;s weights</option>
            <option value="start">from {describeStartFrom(startFromOf(t))}</option>
          </select>
        ) : null}
        <NumberField label="from" testId="lr-find-start" value={range.start} min={1e-12} max={1e6} disabled={outcome?.state === 'running'} title="The rate of the first step" onCommit={(start) => setRange((r) => ({ ...r, start }))} />
        <NumberField label="to" testId="lr-find-end" value={range.end} min={1e-12} max={1e6} disabled={outcome?.state === 'running'} title="The rate of the last step (the test stops sooner when the loss diverges)" onCommit={(end) => setRange((r) => ({ ...r, end }))} />
      </div>
      {outcome?.state === 'error' ? (
        <div className="train-error" data-testid="lr-find-error" data-code={outcome.code} title={outcome.code ? explainCode(outcome.code) : undefined}>
          {outcome.message}
        </div>
      ) : null}
      {result && option ? (
        <>
          <EChart className="lr-finder__chart" option={option} data-testid="lr-find-chart" data-points={result.lrs.length} data-suggestion={suggestion ?? ''} />
          <div className="lr-finder__verdict" data-testid="lr-find-verdict" ref={verdict}>
            {suggestion !== null ? (
              <>
                From {from}: suggested rate <b data-testid="lr-find-suggestion">{rounded(suggestion)}</b> (the steepest fall of the smoothed loss, before its minimum)
                {result.stoppedAt !== null ? `; the loss diverged at ${rateLabel(result.stoppedAt)}` : ''}.{' '}
                {hardlyFell(result) ? (
                  <span data-testid="lr-find-flat">
                    The loss hardly fell, so the suggestion is weak{result.stoppedAt !== null ? `: a rate 10× below the divergence (${rateLabel(result.stoppedAt / 10)}) is the usual choice` : ''}.{' '}
                  </span>
                ) : null}
                <button type="button" className="primary" data-testid="lr-find-apply" disabled={applied} title={`Set the optimizer's learning rate to ${rounded(suggestion)} (undo with Ctrl+Z)`} onClick={apply}>
                  {applied ? 'Applied' : 'Apply'}
                </button>
              </>
            ) : (
              <>The loss never fell over this range: widen it (a lower start, a higher end).</>
            )}
          </div>
        </>
      ) : null}
    </div>
  );
}
