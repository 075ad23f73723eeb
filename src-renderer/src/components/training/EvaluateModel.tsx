import { useState } from 'react';
import type { GraphIR } from '../../../../src-engine/facade';
import type { ResultOf } from '../../../../src-engine/protocol';
import { confusionLabels } from '../../training/compare';
import { ConfusionMatrix } from './ConfusionMatrix';
import { MetricReport } from './MetricReport';
import { evaluate as evaluateModel } from '../../training/model-client';
import { useEngine, useRun } from '../../state/window';
import { evaluatedBaselineLine } from '../../training/baseline-line';

type Split = ResultOf<'model.evaluate'>['split'];
const SPLITS: readonly { id: Split; label: string }[] = [
  { id: 'test', label: 'the test split' },
  { id: 'val', label: 'the validation split' },
  { id: 'train', label: 'the training split' },
  { id: 'all', label: 'all its samples' },
];
/** The most classes whose matrix fits the dock (the CLI's `--json` has any). */
const MAX_MATRIX_CLASSES = 20;

/** Figures the report below the line shows (MetricReport). */
const REPORTED = new Set(['balanced-accuracy', 'ece', 'rmse']);

type Outcome = { state: 'running' } | { state: 'done'; result: ResultOf<'model.evaluate'> } | { state: 'error'; code?: string; message: string };

/** `loss 0.0379 · accuracy 96.67% · f1 0.966`: the scalar metrics, accuracy as a percentage. */
function metricLine(m: ResultOf<'model.evaluate'>['metrics']): string {
  return Object.entries(m)
    .filter(([k, v]) => typeof v === 'number' && !REPORTED.has(k))
    .map(([k, v]) => (k === 'accuracy' || k === 'top5' ? `${k} ${((v as number) * 100).toFixed(2)}%` : `${k} ${(v as number).toPrecision(4)}`))
    .join(' · ');
}

/**
 * The model's baselines under an evaluation's figures (#83), as the Train dock sets them under a
 * run's: `Beside: …` when they were measured on the split evaluated, else said to be the run's, and
 * the sentence when the network did worse on the same samples.
 */
export function EvaluatedBaselines({ result }: { result: ResultOf<'model.evaluate'> }) {
  const line = evaluatedBaselineLine(result);
  if (!line) return null;
  return (
    <>
      <div className="train-result train-result--baselines" data-testid="evaluate-baselines" data-same-samples={String(line.sameSamples)} title={line.title}>
        {line.text}
      </div>
      {result.baselineVerdict ? (
        <div className="train-result train-result--verdict" data-testid="evaluate-baseline-verdict" title={line.title}>
          {result.baselineVerdict}
        </div>
      ) : null}
    </>
  );
}

/**
 * Keras' `evaluate` in the Train dock: the weights on screen — a loaded or imported model's, or the
 * run's — measured on a split of the design's dataset without training (`model.evaluate`, the
 * same evaluation as the command line's `evaluate`): loss, accuracy and the other metrics, and a classifier's
 * confusion matrix. A result belongs to the weights and the design it measured: an edit, another
 * run or other weights hide it.
 */
export function EvaluateModel({ graph, disabled }: { graph: GraphIR; disabled: boolean }) {
  const client = useEngine((s) => (s.state === 'ready' ? s.client : undefined));
  const runId = useRun((s) => s.runId);
  const phase = useRun((s) => s.phase);
  const loaded = useRun((s) => s.loaded !== undefined);
  const [split, setSplit] = useState<Split>('test');
  const [shown, setShown] = useState<{ graph: GraphIR; runId: string; split: Split; outcome: Outcome }>();
  // Weights to measure: loaded ones, or a run's that is not training right now.
  const hasWeights = runId !== undefined && (loaded || phase === 'done' || phase === 'paused');
  if (!hasWeights) return null;
  const outcome = shown && shown.graph === graph && shown.runId === runId && shown.split === split ? shown.outcome : undefined;
  const evaluate = () => {
    if (!client) return;
    const key = { graph, runId, split };
    setShown({ ...key, outcome: { state: 'running' } });
    evaluateModel(client, { runId, graph, split })
      .then((result) => setShown({ ...key, outcome: { state: 'done', result } }))
      .catch((e: Error & { code?: string }) => setShown({ ...key, outcome: { state: 'error', message: e.message, ...(e.code ? { code: e.code } : {}) } }));
  };
  const r = outcome?.state === 'done' ? outcome.result : undefined;
  const matrix = r?.metrics.confusion;
  return (
    <div className="evaluate" data-testid="evaluate">
      <div className="evaluate__controls">
        <button
          type="button"
          data-testid="evaluate-model"
          disabled={disabled || !client || outcome?.state === 'running'}
          title={`Measure ${loaded ? 'the loaded weights' : "the run's weights"} on the design's dataset without training (Keras' evaluate; the command line's evaluate)`}
          onClick={evaluate}
        >
          {outcome?.state === 'running' ? 'Evaluating…' : 'Evaluate weights'}
        </button>
        <span>on</span>
        <select data-testid="evaluate-split" aria-label="Split to evaluate" value={split} onChange={(e) => setSplit(e.target.value as Split)}>
          {SPLITS.map((s) => (
            <option key={s.id} value={s.id}>
              {s.label}
            </option>
          ))}
        </select>
      </div>
      {outcome?.state === 'error' ? (
        <div className="train-error" data-testid="evaluate-error" data-code={outcome.code}>
          {outcome.message}
        </div>
      ) : null}
      {r ? (
        <div className="evaluate__result" data-testid="evaluate-result" data-loss={r.metrics.loss ?? ''} data-accuracy={r.metrics.accuracy?.toFixed(4) ?? ''} data-samples={r.samples}>
          <div className="evaluate__what">
            {r.dataset} · {r.samples.toLocaleString()} samples · {r.normalization === 'model' ? 'normalised as the model was trained' : r.normalization === 'dataset' ? "normalised with the data's training split" : 'not normalised'}
          </div>
          <div className="train-result" data-testid="evaluate-metrics">
            {metricLine(r.metrics)}
          </div>
          <EvaluatedBaselines result={r} />
          {matrix && matrix.length <= MAX_MATRIX_CLASSES ? <ConfusionMatrix m={matrix} classes={confusionLabels(r.classNames, matrix.length)} /> : null}
          <MetricReport metrics={r.metrics} classNames={r.classNames} />
        </div>
      ) : null}
    </div>
  );
}
