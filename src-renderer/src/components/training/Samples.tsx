import { Fragment, useEffect, useMemo, useRef } from 'react';
import type { DecisionBoundary as Boundary, SampleProbeResult } from '../../../../src-engine/protocol';
import { boundaryPixels, confusionCells, confusionCount, confusionRestricted, confusionShown, sampleValue, sampleValues, samplesAsNumbers, toGrid } from '../../training/charts';
import { characterGlyph } from '../../../../src-engine/facade';
import { GanSamples } from './GanSamples';
import { PixelImage } from './PixelImage';
import { MaskLegend, MaskedImage } from './MaskedImage';
import { useRun, useSession, useTrainUi } from '../../state/window';

/** A weighted sum of an output's values: changes whenever the output does (e2e tests watch it). */
function checksum(out: ArrayLike<number>): number {
  let a = 0;
  for (let k = 0; k < out.length; k++) a += out[k] * ((k % 7) + 1);
  return a;
}

const PALETTE: readonly (readonly [number, number, number])[] = [
  [51, 102, 255],
  [230, 134, 27],
  [31, 157, 85],
  [142, 68, 173],
  [214, 69, 69],
];

/** For autoencoders: per probe sample, the clean input, what the network was fed (corrupted) and its output. */
export function ReconstructionGrid() {
  const samples = useRun((s) => s.frame?.samples);
  const probe = useRun((s) => s.info?.probeSamples);
  const step = useRun((s) => s.frame?.step);
  const gan = useRun((s) => !!s.frame?.gan);
  // A GAN's samples are not reconstructions of the probe inputs: GanSamples shows them; a few values
  // to predict (a regression's price) are numbers: ValuePredictions. Outputs are a value task's (catalog/tasks.ts).
  if (!samples || !('outputs' in samples) || !probe || gan || samplesAsNumbers(samples)) return null;
  // A flat output (e.g. [784] from a Linear) of the input's size is drawn in the input's image shape.
  const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
  const shape = samples.shape.length < 2 && size(samples.shape) === size(probe.shape) ? probe.shape : samples.shape;
  return (
    <section className="recon" data-testid="reconstructions" data-step={step ?? 0} data-kind={samples.kind}>
      <h4>Reconstructions: clean · fed to the network · output</h4>
      <div className="recon__grid">
        {samples.outputs.map((out, i) => {
          const clean = probe.targets[i];
          return (
            <div key={i} className="recon__col" data-testid={`reconstruction-${i}`} data-checksum={checksum(out).toFixed(3)}>
              {Array.isArray(clean) && clean.length ? <PixelImage values={clean} shape={shape} range={[0, 1]} title="clean" /> : null}
              <PixelImage values={probe.inputs[i]} shape={probe.shape} title="fed to the network" />
              <PixelImage values={out} shape={shape} range={[0, 1]} title="output" />
            </div>
          );
        })}
      </div>
    </section>
  );
}

/** A table's sample as text: its columns' values (the first `most`, then …), `Sex female · Age 38 · …`. */
export function rowText(row: Readonly<Record<string, string>>, most = Infinity): string {
  const cells = Object.entries(row).map(([k, v]) => `${k} ${v === '' ? '(missing)' : v}`);
  return cells.length > most ? `${cells.slice(0, most).join(' · ')} · …` : cells.join(' · ');
}

/** For a regression: each probe sample's true values beside the network's, and the error. */
function ValuePredictions() {
  const samples = useRun((s) => s.frame?.samples);
  const targets = useRun((s) => s.info?.probeSamples.targets);
  const rows = useRun((s) => s.info?.probeSamples.rows);
  const step = useRun((s) => s.frame?.step);
  if (!samples || !('outputs' in samples) || !targets || !samplesAsNumbers(samples)) return null;
  return <ValueRows outputs={samples.outputs} targets={targets} step={step ?? 0} rows={rows} />;
}

/** {@link ValuePredictions}' table, from the frame's outputs and the probe samples' true values. */
export function ValueRows({ outputs, targets, step, rows }: { outputs: readonly ArrayLike<number>[]; targets: readonly (number | readonly number[])[]; step: number; rows?: readonly Readonly<Record<string, string>>[] }) {
  // Several values a sample: one a line, and one error, their mean absolute one (the rows stay within the pane).
  const several = outputs.some((o) => o.length > 1);
  const list = (v: ArrayLike<number>) => (several ? Array.from(v, (x, k) => <span key={k}>{sampleValue(x)}</span>) : sampleValues(v));
  const error = (out: ArrayLike<number>, t: readonly number[]) => (several ? sampleValue(Array.from(out, (o, k) => Math.abs(o - t[k])).reduce((a, b) => a + b, 0) / out.length) : sampleValue(out[0] - t[0]));
  return (
    <section className={`value-predictions${several ? ' value-predictions--several' : ''}`} data-testid="value-predictions" data-step={step}>
      <h4>Sample predictions: the true values and the network’s</h4>
      <table>
        <thead>
          <tr>
            <th>sample</th>
            <th>true</th>
            <th>predicted</th>
            <th>{several ? 'mean |error|' : 'error'}</th>
          </tr>
        </thead>
        <tbody>
          {outputs.map((out, i) => {
            const truth = targets[i];
            const t = typeof truth === 'number' ? [truth] : truth;
            return (
              <tr key={i} data-testid={`value-prediction-${i}`}>
                <td title={rows?.[i] ? rowText(rows[i]) : undefined}>#{i + 1}</td>
                <td>{t ? list(t) : '–'}</td>
                <td>{list(out)}</td>
                <td>{t && t.length === out.length ? error(out, t) : '–'}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}

/** For classifiers: each probe sample with its predicted class and confidence, wrong ones marked. */
function Predictions() {
  const samples = useRun((s) => s.frame?.samples);
  const probe = useRun((s) => s.info?.probeSamples);
  const classNames = useRun((s) => s.info?.classNames ?? []);
  if (!samples || !('probs' in samples) || !probe) return null;
  const image = probe.shape.length >= 2;
  return (
    <section className="predictions" data-testid="predictions">
      <h4>Sample predictions</h4>
      <div className="predictions__grid">
        {samples.predicted.map((p, i) => {
          const ok = p === samples.targets[i];
          const conf = samples.probs[i]?.[p] ?? 0;
          return (
            <div key={i} className={`prediction prediction--${ok ? 'ok' : 'wrong'}`} data-testid={`prediction-${i}`} data-correct={String(ok)}>
              {image ? <PixelImage values={probe.inputs[i]} shape={probe.shape} size={40} /> : null}
              {probe.texts?.[i] !== undefined ? (
                <q className="prediction__text" title={probe.texts[i]}>
                  {probe.texts[i]}
                </q>
              ) : null}
              {probe.rows?.[i] ? (
                <span className="prediction__row" title={rowText(probe.rows[i])} data-testid={`prediction-row-${i}`}>
                  {rowText(probe.rows[i], 3)}
                </span>
              ) : null}
              <span>
                {classNames[p] ?? p} <small>{(conf * 100).toFixed(0)}%</small>
              </span>
              {!ok ? <small className="prediction__truth">is {classNames[samples.targets[i]] ?? samples.targets[i]}</small> : null}
            </div>
          );
        })}
      </div>
    </section>
  );
}

/** The share of positions where two class sequences agree (a mask's pixels, a text's next characters). */
export function agreement(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let same = 0;
  for (let k = 0; k < a.length; k++) if (a[k] === b[k]) same++;
  return a.length ? same / a.length : 0;
}

/**
 * For a model that names a class at every position of a sequence (a character-level language
 * model): per probe sample, its text one position a column — the true next character above, the
 * network's guess below (each from the true text before it), wrong guesses marked — and the share
 * it got right. Live while training: the guesses turn from one repeated letter into words.
 */
function SequencePredictions() {
  const samples = useRun((s) => s.frame?.samples);
  const step = useRun((s) => s.frame?.step);
  const targets = useRun((s) => s.info?.probeSamples.targets);
  const classNames = useRun((s) => s.info?.classNames ?? []);
  if (samples?.kind !== 'sequence' || !targets) return null;
  return <SequenceRows samples={samples} targets={targets} classNames={classNames} step={step ?? 0} />;
}

/** {@link SequencePredictions}' rows, from the frame's samples and the probe samples' true classes. */
export function SequenceRows({ samples, targets, classNames, step }: { samples: Extract<SampleProbeResult, { kind: 'sequence' }>; targets: readonly (number | readonly number[])[]; classNames: readonly string[]; step: number }) {
  // A space stays a space in running text: its cell's colour shows it.
  const name = (c: number) => characterGlyph(classNames[c] ?? String(c));
  return (
    <section className="sequences" data-testid="sequence-predictions" data-step={step}>
      <h4>Next characters: the text above, the network’s guess below (wrong ones marked)</h4>
      {samples.predicted.map((guess, i) => {
        const truth = targets[i];
        if (!Array.isArray(truth)) return null;
        const right = agreement(guess, truth);
        return (
          <div key={i} className="sequence" data-testid={`sequence-${i}`} data-right={right.toFixed(3)}>
            <div className="sequence__text">
              {truth.map((t: number, q: number) => {
                const ok = guess[q] === t;
                return (
                  <span key={q} className={`sequence__cell${ok ? '' : ' sequence__cell--wrong'}`} title={`guessed ${JSON.stringify(classNames[guess[q]] ?? guess[q])} (${((samples.confidence[i]?.[q] ?? 0) * 100).toFixed(0)} %), is ${JSON.stringify(classNames[t] ?? t)}`}>
                    <span>{name(t)}</span>
                    <span className="sequence__guess">{name(guess[q])}</span>
                  </span>
                );
              })}
            </div>
            <small>{(right * 100).toFixed(0)} % right</small>
          </div>
        );
      })}
    </section>
  );
}

/** For segmenters: each probe sample with its true mask and the current weights' mask painted over it, live while training. */
function Segmentations() {
  const samples = useRun((s) => s.frame?.samples);
  const step = useRun((s) => s.frame?.step);
  const probe = useRun((s) => s.info?.probeSamples);
  const classNames = useRun((s) => s.info?.classNames ?? []);
  if (samples?.kind !== 'segmentation' || !probe) return null;
  return (
    <section className="segmentations" data-testid="segmentations" data-step={step ?? 0}>
      <h4>Masks: true · predicted (pixels right)</h4>
      <MaskLegend classNames={classNames} />
      <div className="segmentations__grid">
        {samples.masks.map((mask, i) => {
          const truth = probe.targets[i];
          const right = Array.isArray(truth) ? agreement(mask, truth) : undefined;
          return (
            <div key={i} className="segmentation" data-testid={`segmentation-${i}`} data-checksum={checksum(mask).toFixed(0)} data-right={right?.toFixed(3) ?? ''}>
              {Array.isArray(truth) ? <MaskedImage values={probe.inputs[i]} shape={probe.shape} mask={truth} title="true mask" /> : null}
              <MaskedImage values={probe.inputs[i]} shape={probe.shape} mask={mask} title="predicted mask" />
              {right !== undefined ? <small>{(right * 100).toFixed(0)}%</small> : null}
            </div>
          );
        })}
      </div>
    </section>
  );
}

/** The confusion matrix of the latest evaluation (test after the run, else validation), rows = true class. */
export function ConfusionMatrix() {
  const lastVal = useRun((s) => s.lastEpoch?.val?.confusion);
  const test = useRun((s) => s.done?.test?.confusion);
  const classNames = useRun((s) => s.info?.classNames ?? []);
  const texts = useRun((s) => s.info?.probeSamples.texts);
  const samples = useRun((s) => s.frame?.samples);
  const matrix = test ?? lastVal;
  // A text set's sample predictions, by cell: what a cell's count is made of, in words.
  const examples = (row: number, col: number): string => {
    if (!texts || !samples || !('probs' in samples)) return '';
    const hits = samples.predicted.flatMap((p, i) => (p === col && samples.targets[i] === row && texts[i] !== undefined ? [texts[i]] : []));
    return hits.length ? `\nsample predictions here:\n${hits.map((t) => `“${t.length > 120 ? `${t.slice(0, 120)}…` : t}”`).join('\n')}` : '';
  };
  // The dock's half holds a dozen columns of counts (Compare, the full width, shows MOST_CONFUSION_CLASSES).
  const shown = useMemo(() => (matrix ? confusionShown(matrix, classNames, 12) : undefined), [matrix, classNames]);
  const cells = useMemo(() => (matrix && shown ? confusionCells(confusionRestricted(matrix, shown)) : []), [matrix, shown]);
  if (!matrix || !shown) return null;
  const n = matrix.length;
  const { names, classes } = shown;
  return (
    <section className="confusion" data-testid="confusion-matrix" data-split={test ? 'test' : 'val'} data-classes={n} data-shown={classes.length}>
      <h4>Confusion matrix ({test ? 'test' : 'validation'}; rows: true, columns: predicted)</h4>
      {shown.other ? (
        <p className="runs__sub" data-testid="confusion-most-frequent">
          The {classes.length} most frequent of {n} classes; “rest”: predicted as any other.
        </p>
      ) : null}
      <div className="confusion__grid" style={{ gridTemplateColumns: `auto repeat(${names.length}, 1fr)` }}>
        <span />
        {names.map((c, k) => (
          <span key={`h${k}`} className="confusion__label">
            {c}
          </span>
        ))}
        {cells.map((cell) => (
          <Fragment key={`${cell.row}-${cell.col}`}>
            {cell.col === 0 ? <span className="confusion__label">{names[cell.row]}</span> : null}
            <span
              className={`confusion__cell${cell.row === cell.col ? ' confusion__cell--diag' : ''}`}
              style={{ ['--share' as string]: String(cell.share) }}
              title={`true ${names[cell.row]}, predicted ${names[cell.col]}: ${cell.count}${cell.col < classes.length ? examples(classes[cell.row], classes[cell.col]) : ''}`}
            >
              {confusionCount(cell.count)}
            </span>
          </Fragment>
        ))}
      </div>
    </section>
  );
}

/** A decision-boundary grid with points on it (the Samples tab's, and each run's in Compare). */
export function BoundaryCanvas({ boundary, points, size = 240 }: { boundary: Boundary; points: readonly { x: number; y: number; c: number }[]; size?: number }) {
  const ref = useRef<HTMLCanvasElement>(null);
  const dark = useSession((s) => s.theme === 'dark');
  useEffect(() => {
    const el = ref.current;
    const ctx = el?.getContext('2d');
    if (!el || !ctx) return;
    el.width = size;
    el.height = size;
    const bg: [number, number, number] = dark ? [29, 33, 41] : [255, 255, 255];
    const grid = document.createElement('canvas');
    grid.width = boundary.width;
    grid.height = boundary.height;
    grid.getContext('2d')?.putImageData(new ImageData(boundaryPixels(boundary, PALETTE, bg) as Uint8ClampedArray<ArrayBuffer>, boundary.width, boundary.height), 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(grid, 0, 0, size, size);
    for (const p of points) {
      const [x, y] = toGrid(boundary, p.x, p.y, [size, size]);
      const c = PALETTE[p.c % PALETTE.length];
      ctx.beginPath();
      ctx.arc(x, y, points.length > 100 ? 1.8 : 3, 0, Math.PI * 2);
      ctx.fillStyle = `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
      ctx.strokeStyle = dark ? '#000' : '#fff';
      ctx.fill();
      ctx.stroke();
    }
  }, [boundary, points, dark, size]);
  return <canvas ref={ref} className="boundary__canvas" style={{ width: size, height: size }} />;
}

/** For classifiers over 2-D features: the predicted class over the plane, with the probe points on top. */
export function DecisionBoundary() {
  const boundary = useRun((s) => s.frame?.boundary);
  const step = useRun((s) => s.frame?.step);
  const probe = useRun((s) => s.info?.probeSamples);
  const preview = useTrainUi((s) => s.preview?.points);
  // The training points of the dataset preview when there is one, else the few probe samples.
  const points = useMemo(
    () =>
      preview
        ? preview.map(([x, y, c]) => ({ x, y, c }))
        : probe && probe.shape.length === 1 && probe.shape[0] === 2
          ? probe.inputs.map((v, i) => ({ x: v[0], y: v[1], c: Number(probe.targets[i]) }))
          : [],
    [preview, probe],
  );
  if (!boundary) return null;
  const classes = new Set(boundary.classes).size;
  return (
    <section className="boundary" data-testid="decision-boundary" data-step={step ?? 0} data-classes={classes} data-cells={boundary.width * boundary.height} data-checksum={checksum(boundary.confidence).toFixed(3)}>
      <h4>Decision boundary</h4>
      <BoundaryCanvas boundary={boundary} points={points} />
    </section>
  );
}

/** Samples tab: predictions or reconstructions, the decision boundary and the confusion matrix. */
export function Samples() {
  const has = useRun((s) => !!s.frame || !!s.lastEpoch);
  if (!has) return <p className="train-empty">Sample outputs appear here once training starts.</p>;
  return (
    <div className="samples">
      <GanSamples />
      <Predictions />
      <Segmentations />
      <SequencePredictions />
      <ValuePredictions />
      <ReconstructionGrid />
      <DecisionBoundary />
      <ConfusionMatrix />
    </div>
  );
}
