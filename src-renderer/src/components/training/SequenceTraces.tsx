import { memo } from 'react';
import type { AttentionMap, SequenceTrace } from '../../../../src-engine/protocol';
import { imagePixels } from '../../training/charts';
import { usePixels } from './PixelImage';

/** One gate's `[unit][step]` values as a heatmap: a row per unit, a column per step, black at its range's low end. */
function Heatmap({ values, range, testId, title }: { values: readonly (readonly (number | null)[])[]; range: readonly [number, number]; testId?: string; title: string }) {
  const units = values.length;
  const steps = values[0]?.length ?? 0;
  const ref = usePixels(imagePixels(values.flatMap((row) => row.map((v) => v ?? NaN)), [units, steps], range));
  return <canvas ref={ref} className="seq-heatmap" data-testid={testId} data-units={units} data-steps={steps} title={title} />;
}

/** The hidden state's units as lines over the steps (−1…1, the range of h = o·tanh c and of a GRU's h). */
function HiddenLines({ hidden }: { hidden: readonly (readonly (number | null)[])[] }) {
  const steps = hidden[0]?.length ?? 0;
  const x = (t: number) => (steps > 1 ? (t / (steps - 1)) * 100 : 50).toFixed(2);
  const y = (v: number) => (50 - Math.max(-1, Math.min(1, v)) * 48).toFixed(2);
  return (
    <svg className="seq-lines" viewBox="0 0 100 100" preserveAspectRatio="none" role="img" aria-label="Hidden state per step">
      <line x1={0} x2={100} y1={50} y2={50} className="seq-lines__axis" />
      {hidden.map((row, j) => (
        <polyline key={j} points={row.map((v, t) => (v === null ? '' : `${x(t)},${y(v)}`)).join(' ')} />
      ))}
    </svg>
  );
}

/** ‖∂L/∂h_t‖ per step as bars on a log scale over the decades it spans: a vanishing gradient shows as the early bars sinking. */
function GradByTime({ grads, testId }: { grads: readonly (number | null)[]; testId?: string }) {
  const logs = grads.map((g) => (g !== null && g > 0 ? Math.log10(g) : null));
  const finite = logs.filter((v): v is number => v !== null);
  const hi = finite.length ? Math.ceil(Math.max(...finite)) : 0;
  const lo = finite.length ? Math.min(hi - 1, Math.floor(Math.min(...finite))) : -1;
  const w = 100 / Math.max(1, grads.length);
  const first = finite.length ? grads.find((g) => g !== null) : null;
  const last = grads.at(-1);
  return (
    <figure className="seq-grad" data-testid={testId} data-first={first ?? ''} data-last={last ?? ''}>
      <svg viewBox="0 0 100 100" preserveAspectRatio="none" role="img" aria-label="Gradient norm by time step, log scale">
        {logs.map((v, t) => {
          const h = v === null ? 0 : ((v - lo) / (hi - lo)) * 100;
          return <rect key={t} x={(t * w + w * 0.1).toFixed(2)} width={(w * 0.8).toFixed(2)} y={(100 - h).toFixed(2)} height={h.toFixed(2)} />;
        })}
      </svg>
      <figcaption>
        <span>1e{lo}</span>
        <span>step 1 → {grads.length} · log scale</span>
        <span>1e{hi}</span>
      </figcaption>
    </figure>
  );
}

/**
 * Recurrent layers over time for the first probe sample: each gate as a heatmap (units × steps),
 * the hidden state's units as lines, and the gradient by time step from the last training step.
 */
export const SequenceTraces = memo(function SequenceTraces({ traces, stale }: { traces: readonly SequenceTrace[]; stale: boolean }) {
  return (
    <>
      {traces.map((s) => (
        <section key={s.nodeId} className="seq-card" data-testid={stale ? undefined : `seq-${s.nodeId}`} data-steps={s.steps}>
          <h4>
            {s.nodeId} ({s.op}) over {s.steps} steps · first probe sample, first {s.hidden.length} units
          </h4>
          <div className="seq-card__gates">
            {s.gates.map((g) => (
              <figure key={g.name}>
                <Heatmap values={g.values} range={g.range} testId={stale ? undefined : `seq-gate-${s.nodeId}-${g.name}`} title={`${g.name} gate: a row per unit, a column per step; black ${g.range[0]}, white ${g.range[1]}`} />
                <figcaption>{g.name}</figcaption>
              </figure>
            ))}
            <figure>
              <HiddenLines hidden={s.hidden} />
              <figcaption>hidden state h</figcaption>
            </figure>
          </div>
          {s.gradByTime ? (
            <>
              <h5>Gradient by time step (‖∂L/∂hₜ‖, last training step, first layer)</h5>
              <GradByTime grads={s.gradByTime} testId={stale ? undefined : `seq-grad-${s.nodeId}`} />
            </>
          ) : null}
        </section>
      ))}
    </>
  );
});

/** One head's weights (0–255 each) as a square heatmap, white at the map's largest weight. */
function AttentionHeat({ values, steps, testId, title }: { values: readonly number[]; steps: number; testId?: string; title: string }) {
  let hi = 1;
  for (const v of values) hi = Math.max(hi, v);
  const ref = usePixels(imagePixels(values, [steps, steps], [0, hi]));
  return <canvas ref={ref} className="attn-heatmap" data-testid={testId} data-steps={steps} data-max={hi} title={title} />;
}

/** Token ids as the text they spell, a character per id (`·` for a space or an id past the vocabulary). */
export function tokenText(tokens: readonly number[], vocabulary: readonly string[]): string {
  return tokens.map((t) => (vocabulary[t] === undefined ? '·' : vocabulary[t].replace(/\s/, '·'))).join('');
}

/**
 * Attention layers for the first probe sample: each head's weights as a heatmap of queries (rows,
 * step 1 at the top) × keys (columns), white at the head's largest weight; for a language model the
 * sample's characters label the steps.
 */
export const AttentionMaps = memo(function AttentionMaps({ maps, vocabulary, stale }: { maps: readonly AttentionMap[]; vocabulary: readonly string[]; stale: boolean }) {
  return (
    <>
      {maps.map((m) => {
        const text = m.tokens && vocabulary.length ? tokenText(m.tokens, vocabulary) : null;
        return (
          <section key={m.nodeId} className="seq-card" data-testid={stale ? undefined : `attn-${m.nodeId}`} data-heads={m.heads.length} data-steps={m.steps}>
            <h4>
              {m.nodeId} ({m.op}{m.causal ? ', causal' : ''}) · first probe sample, {m.steps < m.of ? `its first ${m.steps} of ${m.of} steps` : `${m.steps} steps`}
            </h4>
            <h5>
              Each head: a row per query step (top: step 1), a column per key step; white is the head&apos;s largest weight.
              {m.causal ? ' Causal: a step sees only itself and earlier steps, so the upper right stays black.' : ''}
            </h5>
            {text ? (
              <p className="attn-text" data-testid={stale ? undefined : `attn-text-${m.nodeId}`} title="The sample's characters at the steps shown (· a space)">
                {text}
              </p>
            ) : null}
            <div className="attn-card__heads">
              {m.heads.map((h, i) => (
                <figure key={i}>
                  <AttentionHeat values={h} steps={m.steps} testId={stale ? undefined : `attn-head-${m.nodeId}-${i}`} title={`head ${i + 1}: queries (rows) × keys (columns)${text ? `; text ${text}` : ''}`} />
                  <figcaption>head {i + 1}</figcaption>
                </figure>
              ))}
            </div>
          </section>
        );
      })}
    </>
  );
});
