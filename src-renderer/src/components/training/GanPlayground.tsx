import { useEffect, useRef, useState } from 'react';
import type { ResultOf } from '../../../../src-engine/protocol';
import { PixelImage } from './PixelImage';
import { generate } from '../../training/model-client';
import { useEngine, useRun } from '../../state/window';

type Generated = ResultOf<'model.generate'>;

/** Samples a draw shows (4 × 4). */
const COUNT = 16;
/** While training, draw again with the newer weights at most this often (ms): each draw runs in the engine, between steps. */
const REFRESH_MS = 2000;

/**
 * A GAN's playground: its generator at the current weights, on fresh noise (a seed: "New noise"
 * draws another), and for a conditional GAN the digit to draw — or each in turn. While the run
 * trains the samples follow the weights (redrawn with the probe frames, at most every 2 s).
 */
export function GanPlayground({ conditional }: { conditional: boolean }) {
  const runId = useRun((s) => s.runId);
  const stored = useRun((s) => s.stored !== undefined);
  const step = useRun((s) => s.frame?.step ?? s.progress?.step ?? 0);
  const client = useEngine((s) => s.client);
  const [seed, setSeed] = useState(1);
  const [label, setLabel] = useState<number | undefined>();
  const [result, setResult] = useState<{ g?: Generated; error?: string; seed: number; label?: number; step: number; at: number }>();
  const [tick, setTick] = useState(0);
  const inflight = useRef(false);

  useEffect(() => {
    if (!client || !runId || stored || inflight.current) return;
    // Another seed or label draws at once; newer weights (a later step) at most every REFRESH_MS.
    const fresh = !result || result.seed !== seed || result.label !== label;
    if (!fresh && result.step === step) return;
    const wait = fresh ? 0 : REFRESH_MS - (Date.now() - result.at);
    if (wait > 0) {
      const t = setTimeout(() => setTick((k) => k + 1), wait);
      return () => clearTimeout(t);
    }
    inflight.current = true;
    const at = Date.now();
    generate(client, { runId, seed, count: COUNT, ...(label !== undefined ? { label } : {}) })
      .then(
        (g) => ({ g }),
        (err: Error) => ({ error: err.message }),
      )
      .then((r) => {
        // Cleared before the state changes, so the render it causes may ask again.
        inflight.current = false;
        setResult({ ...r, seed, label, step, at });
      });
  }, [client, runId, stored, seed, label, step, result, tick]);

  if (stored) return <p className="train-empty" data-testid="playground-stored">This is a stored run: its curves, layers and samples are kept, its weights are not loaded here. Train it again (▶ Start) to draw new samples from its generator.</p>;
  if (!runId) return <p className="train-empty">Start a run: the playground draws from its generator's current weights.</p>;
  const g = result?.g;
  const classes = g?.classes ?? 0;
  const name = (c: number) => g?.classNames?.[c] ?? String(c);
  return (
    <div className="gan-playground" data-testid="gan-playground" data-seed={seed} data-label={label ?? ''}>
      <div className="gan-playground__controls">
        <p>
          The generator, at the current weights, on fresh noise{conditional ? ', asked for a digit' : ''}: what a GAN makes when nothing but noise
          {conditional ? ' and a label' : ''} goes in.
        </p>
        {conditional && classes > 0 ? (
          <div className="gan-playground__labels" role="group" aria-label="Digit to draw">
            <button type="button" className={label === undefined ? 'picked' : ''} data-testid="gan-playground-all" onClick={() => setLabel(undefined)}>
              each
            </button>
            {Array.from({ length: classes }, (_, c) => (
              <button key={c} type="button" className={label === c ? 'picked' : ''} data-testid={`gan-playground-label-${c}`} onClick={() => setLabel(c)} title={`Draw "${name(c)}" in every sample`}>
                {name(c)}
              </button>
            ))}
          </div>
        ) : null}
        <button type="button" data-testid="gan-playground-noise" onClick={() => setSeed((s) => s + 1)} title="Draw the samples again from other noise">
          New noise
        </button>
      </div>
      <div className="gan-playground__samples" data-testid="gan-playground-samples" data-count={g?.count ?? 0} data-labels={g?.labels?.join(',') ?? ''}>
        {result?.error ? <p className="train-error">{result.error}</p> : null}
        {g ? (
          <div className="gan__grid" style={{ gridTemplateColumns: `repeat(${Math.ceil(Math.sqrt(g.count))}, auto)` }}>
            {Array.from({ length: g.count }, (_, i) => {
              const size = g.samples.length / g.count;
              return <PixelImage key={i} values={g.samples.slice(i * size, (i + 1) * size)} shape={g.shape} size={56} range={[0, 1]} title={g.labels ? `Asked for "${name(g.labels[i])}"` : undefined} />;
            })}
          </div>
        ) : !result?.error ? (
          <p className="train-empty">Drawing…</p>
        ) : null}
      </div>
    </div>
  );
}
