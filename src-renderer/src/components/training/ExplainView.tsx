import { useEffect, useRef, useState } from 'react';
import type { ResultOf, RpcClient } from '../../../../src-engine/protocol';
import { imagePixels } from '../../training/charts';
import { characterShades, columnBars, heatPixels, perPixel, pieceShades } from '../../training/explain-view';
import { explain as askWhy } from '../../training/model-client';
import { useOneAtATime } from '../../training/one-at-a-time';

type Explanation = ResultOf<'model.explain'>;

/** What is explained: the run's weights (`runId` at `step`), one input, the class shown. */
export interface ExplainSubject {
  runId: string;
  step: number;
  input: number[];
  normalized: boolean;
  /** A typed text (`input` is then empty): the engine encodes it with the model's tokenizer, as it did to predict. */
  text?: string;
  target: number;
  className: string;
}

/** Side of the overlay in screen pixels. */
const VIEW = 168;

/**
 * Ask the engine about `subject` (with `method` and `layer`): one request at a time, the newest
 * waiting one kept. The answer is shown only for the subject and method it was asked for, so a new
 * input, class, weights or model never shows an old map: it is cleared until the new one lands.
 */
function useExplanation(client: RpcClient | undefined, subject: ExplainSubject | undefined, method: 'saliency' | 'gradcam', layer: string | undefined, onLayers: (runId: string, names: string[]) => void) {
  const key = subject ? JSON.stringify([subject.runId, subject.step, subject.target, subject.normalized, subject.input, subject.text ?? null, method, layer ?? '']) : '';
  const [answer, setAnswer] = useState<{ key: string; e?: Explanation; error?: string }>();
  const run = useOneAtATime();
  useEffect(() => {
    if (!client || !subject) return;
    run(() =>
      askWhy(client, { runId: subject.runId, input: subject.input, normalized: subject.normalized, ...(subject.text !== undefined ? { text: subject.text } : {}), method, target: subject.target, ...(layer ? { layer } : {}) })
        .then((e) => {
          setAnswer({ key, e });
          onLayers(subject.runId, e.layers);
        })
        .catch((err: Error) => setAnswer({ key, error: err.message })),
    );
    // `key` stands for the subject, method and layer.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [client, key]);
  return answer?.key === key ? answer : undefined;
}

/** The input image with the heat map drawn over it at `opacity` (Grad-CAM's coarse map smoothed up to the input's size). */
function Overlay({ input, shape, e, opacity }: { input: readonly number[]; shape: readonly number[]; e: Explanation; opacity: number }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const el = ref.current;
    const g = el?.getContext('2d');
    const base = imagePixels(input, shape);
    const heat = e.kind === 'gradcam' ? { h: e.shape[0], w: e.shape[1], map: Float32Array.from(e.values) } : perPixel(e.values, e.shape);
    if (!el || !g || !base || !heat) return;
    const layer = (w: number, h: number, data: Uint8ClampedArray) => {
      const c = document.createElement('canvas');
      [c.width, c.height] = [w, h];
      c.getContext('2d')?.putImageData(new ImageData(data as Uint8ClampedArray<ArrayBuffer>, w, h), 0, 0);
      return c;
    };
    g.clearRect(0, 0, VIEW, VIEW);
    g.imageSmoothingEnabled = false;
    g.drawImage(layer(base.width, base.height, base.data), 0, 0, VIEW, VIEW);
    g.globalAlpha = opacity;
    g.imageSmoothingEnabled = e.kind === 'gradcam';
    g.drawImage(layer(heat.w, heat.h, heatPixels(heat.map, e.kind !== 'gradcam')), 0, 0, VIEW, VIEW);
    g.globalAlpha = 1;
  }, [input, shape, e, opacity]);
  return <canvas ref={ref} width={VIEW} height={VIEW} className="explain__overlay" data-testid="explain-overlay" data-kind={e.kind} style={{ width: VIEW, height: VIEW }} />;
}

/** A shade in [−1, 1] as a background: red raised the score, blue lowered it. */
const shadeColor = (s: number) => (s >= 0 ? `rgba(230, 40, 30, ${(Math.sqrt(s) * 0.75).toFixed(3)})` : `rgba(40, 110, 255, ${(Math.sqrt(-s) * 0.75).toFixed(3)})`);

/** The text with each character shaded by its saliency (red: raised the score, blue: lowered it). */
function ShadedText({ text, values }: { text: string; values: readonly number[] }) {
  const shades = characterShades(values, text);
  return (
    <p className="explain__text" data-testid="explain-text">
      {Array.from(text)
        .slice(0, shades.length)
        .map((ch, i) => {
          const s = shades[i];
          return (
            <span key={i} style={{ background: shadeColor(s) }} title={values[i].toPrecision(3)}>
              {ch}
            </span>
          );
        })}
    </p>
  );
}

/** The text as the model's tokenizer cut it, each token (a word or a character) shaded by its score; the text between tokens as it is. */
export function TokenText({ text }: { text: NonNullable<Explanation['text']> }) {
  const shades = pieceShades(text.pieces);
  return (
    <p className="explain__text" data-testid="explain-text" data-unit={text.unit}>
      {text.pieces.map((p, i) => {
        const s = shades[i];
        return s === null ? (
          <span key={i}>{p.text}</span>
        ) : (
          <span key={i} className="explain__token" style={{ background: shadeColor(s) }} title={p.value!.toPrecision(3)} data-value={p.value!}>
            {p.text}
          </span>
        );
      })}
    </p>
  );
}

/** A table's columns (or a vector's features) as signed bars, the largest first: red raised the score, blue lowered it. */
export function ColumnBars({ columns }: { columns: NonNullable<Explanation['columns']> }) {
  const { bars, more } = columnBars(columns);
  return (
    <div className="explain__bars" data-testid="explain-columns">
      {bars.map((b) => (
        <div key={b.name} className="explain__bar" data-testid="explain-column" data-name={b.name} data-value={b.value} title={`${b.name}: ${b.value.toPrecision(3)}`}>
          <span className="explain__bar-name">{b.name}</span>
          <span className="explain__bar-track">
            <span className="explain__bar-fill" style={{ width: `${(b.length * 100).toFixed(1)}%`, background: b.value >= 0 ? 'rgb(230, 40, 30)' : 'rgb(40, 110, 255)' }} />
          </span>
          <span className="explain__bar-value">{b.value >= 0 ? '+' : '−'}{Math.abs(b.value).toPrecision(3)}</span>
        </div>
      ))}
      {more ? <small>and {more} more, each smaller</small> : null}
    </div>
  );
}

/** What the note under the explanation says it is: the method, and per what it scores. */
export function explainNote(e: Pick<Explanation, 'kind' | 'layer' | 'columns' | 'text'>): string {
  if (e.kind === 'gradcam') return `Grad-CAM on ${e.layer ?? 'the last convolution'}`;
  if (e.text) return `${e.kind === 'tokens' ? 'gradient × embedding' : 'gradient × count'} per ${e.text.unit}`;
  if (e.columns) return 'gradient × input per column, categories summed';
  return e.kind === 'tokens' ? 'gradient × embedding per position' : 'gradient × input (SmoothGrad, 8 samples)';
}

/**
 * Why the network gave the class it shows for this input: a saliency map over the image, a text's
 * words (or characters) shaded by their scores, a table's columns as signed bars; or Grad-CAM on a
 * chosen convolution layer, with an opacity slider.
 */
export function ExplainView({ client, subject, shape, text }: { client: RpcClient | undefined; subject: ExplainSubject | undefined; shape: readonly number[]; text?: string }) {
  const [method, setMethod] = useState<'saliency' | 'gradcam'>('saliency');
  const [layer, setLayer] = useState<string>();
  const [opacity, setOpacity] = useState(0.6);
  // The model's convolution layers, as its last answer listed them (kept while the next is computed).
  const [layers, setLayers] = useState<{ runId: string; names: string[] }>();
  const known = layers && layers.runId === subject?.runId ? layers.names : undefined;
  // A layer picked for another model is not this one's.
  const chosen = layer && known?.includes(layer) ? layer : undefined;
  const asked = method === 'gradcam' && known && known.length === 0 ? 'saliency' : method;
  const answer = useExplanation(client, subject, asked, asked === 'gradcam' ? chosen : undefined, (runId, names) => setLayers({ runId, names }));
  const e = answer?.e;
  if (!subject) return null;
  const image = imagePixels(subject.input, shape) !== undefined;
  return (
    <section className="explain" data-testid="explain" data-state={answer ? (answer.error ? 'error' : 'done') : 'computing'}>
      <header className="explain__head">
        <strong>Why “{subject.className}”?</strong>
        <span className="explain__methods" role="group" aria-label="Explanation">
          <button type="button" className={asked === 'saliency' ? 'picked' : ''} data-testid="explain-saliency" title="Gradient × input, averaged over 8 noisy copies (SmoothGrad): which input values raised (red) or lowered (blue) the score" onClick={() => setMethod('saliency')}>
            Saliency
          </button>
          <button type="button" className={asked === 'gradcam' ? 'picked' : ''} data-testid="explain-gradcam" disabled={known !== undefined && known.length === 0} title={known?.length === 0 ? 'Grad-CAM needs a convolution layer; this model has none' : 'Grad-CAM: where a convolution layer’s feature maps drove the score'} onClick={() => setMethod('gradcam')}>
            Grad-CAM
          </button>
        </span>
      </header>
      {asked === 'gradcam' && known && known.length > 0 ? (
        <label className="explain__control">
          layer{' '}
          <select data-testid="explain-layer" value={chosen ?? known[known.length - 1]} onChange={(ev) => setLayer(ev.target.value)}>
            {known.map((l) => (
              <option key={l} value={l}>
                {l}
              </option>
            ))}
          </select>
        </label>
      ) : null}
      {image ? (
        <label className="explain__control">
          opacity <input type="range" min={0} max={1} step={0.05} value={opacity} data-testid="explain-opacity" onChange={(ev) => setOpacity(Number(ev.target.value))} />
        </label>
      ) : null}
      {answer?.error ? <p className="train-error" data-testid="explain-error">{answer.error}</p> : null}
      {!answer ? <p className="train-empty">Working out which inputs drove it…</p> : null}
      {e && e.kind !== 'tokens' && image ? <Overlay input={subject.input} shape={shape} e={e} opacity={opacity} /> : null}
      {e?.text ? <TokenText text={e.text} /> : e?.kind === 'tokens' && text !== undefined ? <ShadedText text={text} values={e.values} /> : null}
      {e?.columns && !image ? <ColumnBars columns={e.columns} /> : null}
      {e ? (
        <small className="explain__note" data-testid="explain-note">
          {explainNote(e)} · score {e.score.toPrecision(3)} · {e.kind === 'gradcam' ? 'brighter: more weight in the score' : 'red raised it, blue lowered it'}
        </small>
      ) : null}
    </section>
  );
}
