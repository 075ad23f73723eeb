import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { encodeTableRow, generatorOf, getDataset, showsProbabilities, tableWidth, taskOf, writesText, type TableEncoding, type Task } from '../../../../src-engine/facade';
import type { ResultOf, RpcClient } from '../../../../src-engine/protocol';
import { samplesForLoaded } from '../../training/export';
import { GanPlayground } from './GanPlayground';
import { TextPlayground } from './TextPlayground';
import { PixelImage } from './PixelImage';
import { MaskLegend, MaskedImage } from './MaskedImage';
import { PickerInput } from '../PickerInput';
import { drawingFromSample, sampleValues, samplesAsNumbers } from '../../training/charts';
import { grabFrame, useCamera } from '../../training/camera';
import { imageSample, predict as askModel } from '../../training/model-client';
import { useOneAtATime } from '../../training/one-at-a-time';
import { ExplainView, type ExplainSubject } from './ExplainView';
import { useEditor, useEngine, useRun, useWindow } from '../../state/window';

type Prediction = ResultOf<'model.predict'>;

/** Side of the drawing in screen pixels (the network sees it at the input's own resolution). */
const VIEW = 196;

/**
 * The Playground tab: for a GAN, its generator on fresh noise ({@link GanPlayground}); for a
 * language model (a design on a text set), text from a prompt ({@link TextPlayground}); for any
 * other network, {@link DrawPlayground}.
 */
export function Playground() {
  const graph = useRun((s) => s.graph);
  // A GAN is what leaves the app as a generator (as the Export menu tells).
  const generator = useMemo(() => (graph ? generatorOf(graph) : undefined), [graph]);
  if (generator) return <GanPlayground conditional={generator.inputs.some((i) => i.kind === 'label')} />;
  if (graph && writesText(graph)) return <TextPlayground />;
  return <DrawPlayground />;
}

/** A soft round brush about 2.5 input pixels wide at (cx, cy), like a pen stroke on MNIST: each pixel keeps the darker of its ink and the brush's. */
function brush(pixels: Float32Array, w: number, h: number, cx: number, cy: number): void {
  for (let y = Math.floor(cy - 2); y <= Math.ceil(cy + 2); y++) {
    for (let x = Math.floor(cx - 2); x <= Math.ceil(cx + 2); x++) {
      if (x < 0 || y < 0 || x >= w || y >= h) continue;
      const d = Math.hypot(x + 0.5 - cx, y + 0.5 - cy);
      const v = Math.max(0, 1 - Math.max(0, d - 0.6) / 1.2);
      pixels[y * w + x] = Math.max(pixels[y * w + x], v);
    }
  }
}

interface PlaygroundResult {
  p?: Prediction;
  error?: string;
  input?: number[];
  normalized: boolean;
  /** The typed text asked about (the engine encoded it; `input` is empty). */
  text?: string;
}

/**
 * Ask the run's current weights about an input (or a typed text, which the engine encodes as the
 * training texts were): one request at a time; while one is out, only the newest waiting one is
 * kept. A new run (or loaded model) clears the answer: nothing of the last model stays on screen.
 */
function usePrediction(client: RpcClient | undefined, runId: string | undefined) {
  const [result, setResult] = useState<PlaygroundResult & { runId?: string }>();
  const run = useOneAtATime();

  const ask = useCallback(
    (input: number[], normalized: boolean, text?: string) => {
      if (!client || !runId) return;
      run(() =>
        askModel(client, { runId, input, ...(normalized ? { normalized } : {}), ...(text !== undefined ? { text } : {}) })
          .then((p) => setResult({ p, input, normalized, runId, ...(text !== undefined ? { text } : {}) }))
          .catch((err: Error) => setResult({ error: err.message, input, normalized, runId, ...(text !== undefined ? { text } : {}) })),
      );
    },
    [client, runId, run],
  );
  const predict = useCallback((input: number[], normalized: boolean) => ask(input, normalized), [ask]);
  const predictText = useCallback((text: string) => ask([], false, text), [ask]);
  return { result: result?.runId === runId ? result : undefined, setResult, predict, predictText };
}

/** Wait after the last key before asking the network about a typed text. */
const TYPING_DEBOUNCE_MS = 250;

/** A text to type for a model of labelled texts: the network's answer follows the typing (debounced). */
function TypedText({ text, setText, onText }: { text: string; setText: (text: string) => void; onText: (text: string) => void }) {
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  // Emptied by a pick: an answer still waiting for the typing must not replace the sample's.
  useEffect(() => {
    if (text === '') clearTimeout(timer.current);
  }, [text]);
  const type = (value: string) => {
    setText(value);
    clearTimeout(timer.current);
    if (value === '') onText('');
    else timer.current = setTimeout(() => onText(value), TYPING_DEBOUNCE_MS);
  };
  return (
    <label className="playground__typed">
      <span>Type a text</span>
      <textarea data-testid="playground-typed-text" rows={4} value={text} placeholder="Any text: it is tokenised with the training vocabulary (unknown tokens read as <unk>)." onChange={(e) => type(e.target.value)} />
    </label>
  );
}

/**
 * A row of the table the model was trained on, as its input: the values of `row` (by column name;
 * blank: missing) read as training read its rows (`encodeTableRow`), or why they cannot be.
 */
export function tableRowInput(table: TableEncoding, row: Readonly<Record<string, string>>): number[] | string {
  const out = new Float32Array(tableWidth(table));
  try {
    encodeTableRow(table, (k) => row[table.columns[k].name] ?? '', out, 0, 'This row');
  } catch (e) {
    return (e as Error).message;
  }
  return Array.from(out);
}

/**
 * For a model trained on a table: a field per column the model reads (a number, or one of a text
 * column's categories), the answer following each change, the row's problem (a blank where
 * training had no gaps) said instead of an answer.
 */
export function TableRowForm({ table, row, problem, onRow }: { table: TableEncoding; row: Readonly<Record<string, string>>; problem: string | undefined; onRow: (row: Record<string, string>) => void }) {
  const set = (name: string, value: string) => onRow({ ...row, [name]: value });
  return (
    <fieldset className="playground__row" data-testid="playground-row">
      <legend>A row of the table ({table.target} is the answer)</legend>
      {table.columns.map((c) => (
        <label key={c.name}>
          <span title={c.name}>{c.name}</span>
          {c.categories ? (
            <select data-testid={`playground-row-${c.name}`} value={row[c.name] ?? ''} onChange={(e) => set(c.name, e.target.value)}>
              {c.fill !== undefined ? <option value="">(missing)</option> : null}
              {c.categories.map((v) => (
                <option key={v} value={v}>
                  {v}
                </option>
              ))}
            </select>
          ) : (
            <input data-testid={`playground-row-${c.name}`} inputMode="decimal" value={row[c.name] ?? ''} placeholder={typeof c.fill === 'number' ? `blank: ${Number(c.fill.toPrecision(4))}` : 'a number'} onChange={(e) => set(c.name, e.target.value)} />
          )}
        </label>
      ))}
      {problem ? (
        <small className="playground__row-problem" data-testid="playground-row-problem">
          {problem}
        </small>
      ) : null}
    </fieldset>
  );
}

/** A table row's first value for each column: text columns their first category, numbers blank (to type). */
function blankRow(table: TableEncoding): Record<string, string> {
  return Object.fromEntries(table.columns.map((c) => [c.name, c.categories?.[0] ?? '']));
}

/**
 * A table model's typed row, kept with the run it was typed for (as the typed text is): each
 * change is read (`tableRowInput`) and, once typing pauses, `onInput` gets the input, or
 * undefined while the row cannot be read (its problem, once something was typed, in `problem`).
 */
function useTableRow(table: TableEncoding | undefined, runId: string | undefined, onInput: (input: number[] | undefined) => void) {
  const [rowFor, setRowFor] = useState<{ runId?: string; row: Record<string, string> }>({ row: {} });
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  const typed = rowFor.runId === runId;
  const input = useMemo(() => (table && typed ? tableRowInput(table, rowFor.row) : undefined), [table, rowFor, typed]);
  return {
    row: typed ? rowFor.row : table ? blankRow(table) : {},
    problem: typeof input === 'string' ? input : undefined,
    /** Show a row (a picked test sample's) without asking the network: the pick asks with the sample as fed. */
    show(next: Readonly<Record<string, string>>) {
      clearTimeout(timer.current);
      setRowFor({ runId, row: { ...next } });
    },
    type(next: Record<string, string>) {
      setRowFor({ runId, row: next });
      clearTimeout(timer.current);
      const read = table ? tableRowInput(table, next) : undefined;
      if (Array.isArray(read)) timer.current = setTimeout(() => onInput(read), TYPING_DEBOUNCE_MS);
      else onInput(undefined);
    },
  };
}

/** Most classes the answer lists: past it (an ImageNet model's 1000), the likeliest, not the first. */
const MOST_CLASSES_LISTED = 12;

/**
 * The classes an answer lists, by index: every class in its order when there are few (a digit keeps
 * its row as the drawing changes), else the {@link MOST_CLASSES_LISTED} likeliest, likeliest first
 * (the lower index first on ties, as the predicted class).
 */
export function shownClasses(values: readonly number[]): number[] {
  const all = values.map((_, i) => i);
  if (values.length <= MOST_CLASSES_LISTED) return all;
  return all.sort((a, b) => values[b] - values[a] || a - b).slice(0, MOST_CLASSES_LISTED);
}

/** What the network answered: class probabilities, an output (a reconstruction), an error, or the prompt to try it. */
function PredictionView({ result, task, sampleShape, prompt, valueName }: { result: PlaygroundResult | undefined; task: Task | undefined; sampleShape: readonly number[]; prompt: string; valueName?: string }) {
  const image = task !== undefined && taskOf(task).predictions === 'image';
  // A regression's few values (a price) are numbers, not a strip of pixels.
  const numbers = result?.p?.kind === 'output' && task !== undefined && samplesAsNumbers({ kind: task, shape: result.p.shape });
  const p = result?.p;
  const shown = p?.kind === 'probabilities' ? shownClasses(p.values) : [];
  return (
    <div className="playground__output" data-testid="playground-output" data-kind={p?.kind ?? ''}>
      {result?.error ? <p className="train-error">{result.error}</p> : null}
      {p?.kind === 'probabilities' ? (
        <ul className="probs" data-testid="playground-probs" data-predicted={p.predicted} style={{ ['--name-w' as string]: `${Math.max(...shown.map((i) => String(p.classNames[i] ?? i).length)) + 1}ch` }}>
          {shown.map((i) => (
            <li key={i} className={i === p.predicted ? 'probs__top' : ''}>
              <span className="probs__name" title={String(p.classNames[i] ?? i)}>
                {p.classNames[i] ?? i}
              </span>
              <span className="probs__bar">
                <span style={{ width: `${p.values[i] * 100}%` }} />
              </span>
              <span className="probs__value">{(p.values[i] * 100).toFixed(1)}%</span>
            </li>
          ))}
          {p.values.length > MOST_CLASSES_LISTED ? (
            <li className="probs__more" data-testid="playground-probs-more">
              the {MOST_CLASSES_LISTED} likeliest of {p.values.length} classes
            </li>
          ) : null}
        </ul>
      ) : null}
      {p?.kind === 'mask' && result?.input ? (
        <div data-testid="playground-mask" data-classes={new Set(p.mask).size}>
          <MaskedImage values={result.input} shape={sampleShape} mask={p.mask} size={VIEW} title="the predicted class of every pixel" />
          <MaskLegend classNames={p.classNames} />
          <small>{maskSummary(p.mask, p.classNames)}</small>
        </div>
      ) : null}
      {p?.kind === 'output' && numbers ? (
        <p className="playground__value" data-testid="playground-value">
          {valueName ?? 'output'} <b>{sampleValues(p.values)}</b>
        </p>
      ) : null}
      {p?.kind === 'output' && !numbers ? (
        <div data-testid="playground-reconstruction">
          <PixelImage values={p.values} shape={p.shape.length > 1 ? p.shape : sampleShape} size={VIEW} range={image ? [0, 1] : undefined} />
          <small>{image ? task : `output ${p.values.slice(0, 8).map((v) => v.toPrecision(3)).join(', ')}`}</small>
        </div>
      ) : null}
      {!p && !result?.error ? (
        <p className="train-empty" data-testid="playground-prompt">
          {prompt}
        </p>
      ) : null}
    </div>
  );
}

/** `circle 12% · square 8%`: the share of the pixels each class other than the background takes. */
function maskSummary(mask: readonly number[], classNames: readonly string[]): string {
  const counts = new Map<number, number>();
  for (const c of mask) counts.set(c, (counts.get(c) ?? 0) + 1);
  const share = (n: number) => (100 * n < mask.length ? '<1' : ((100 * n) / mask.length).toFixed(0));
  const parts = [...counts].filter(([c]) => c > 0).sort((a, b) => a[0] - b[0]).map(([c, n]) => `${classNames[c] ?? c} ${share(n)}%`);
  return parts.length ? parts.join(' · ') : `all ${classNames[0] ?? 'class 0'}`;
}

/** The test samples to pick from: thumbnails where the input can be drawn, numbers where not. */
function SamplePicks({ inputs, texts, shape, thumbnails, picked, onPick }: { inputs: readonly number[][]; texts?: readonly string[]; shape: readonly number[]; thumbnails: boolean; picked: number | undefined; onPick: (i: number, x: number[]) => void }) {
  return (
    <div className="playground__picks">
      <small>or pick a test sample:</small>
      {inputs.map((x, i) => (
        <button key={i} type="button" className={picked === i ? 'picked' : ''} data-testid={`playground-pick-${i}`} title={texts?.[i]} onClick={() => onPick(i, x)}>
          {thumbnails ? <PixelImage values={x} shape={shape} size={28} /> : `#${i + 1}`}
        </button>
      ))}
    </div>
  );
}

/** The picked sample's text, for a model of text (its samples carry their texts). */
function PickedText({ text }: { text: string | undefined }) {
  return text === undefined ? null : (
    <q className="prediction__text" data-testid="playground-text">
      {text}
    </q>
  );
}

/** "Upload…" (an image), and the uploaded image as the network sees it (when it is not drawn on the canvas). */
function ImageUpload({ shape, uploaded, onImage }: { shape: readonly number[]; uploaded: number[] | undefined; onImage: (file: File) => void }) {
  const upload = useRef<HTMLInputElement>(null);
  return (
    <div className="playground__upload">
      <button type="button" data-testid="playground-upload" title="Your own picture, converted to the Input's shape as the training images were (or paste one here)" onClick={() => upload.current?.click()}>
        Upload…
      </button>
      <PickerInput inputRef={upload} testId="playground-upload-input" accept="image/*" onFiles={(list) => onImage(list[0])} />
      {uploaded ? <PixelImage values={uploaded} shape={shape} size={56} title="your image as the network sees it" data-testid="playground-uploaded" /> : null}
    </div>
  );
}

/**
 * The Playground's Camera source: a click asks for the camera and shows it; "Take a photo"
 * grabs one frame, fed as an uploaded image is (converted to the Input's channels and size).
 * The camera stops on "Stop", when the Playground goes (another tab, the run gone) or the page hides.
 */
function CameraSource({ onFrame }: { onFrame: (frame: Blob) => void }) {
  const { video, state, error, start, stop } = useCamera();
  return (
    <div className="playground__camera" data-testid="playground-camera-source">
      {state === 'off' ? (
        <button type="button" data-testid="playground-camera" title="Take a photo with the camera and see what the network answers (the camera is asked for now)" onClick={() => void start()}>
          Camera
        </button>
      ) : null}
      <video ref={video} data-testid="playground-camera-preview" data-state={state} hidden={state === 'off'} muted playsInline />
      {state !== 'off' ? (
        <span className="add-data__actions">
          <button type="button" className="primary" data-testid="playground-camera-take" disabled={state !== 'on'} onClick={() => video.current && void grabFrame(video.current, 'png', 512).then(onFrame)}>
            Take a photo
          </button>
          <button type="button" onClick={stop}>
            Stop
          </button>
        </span>
      ) : null}
      {error ? (
        <p className="modal__error" data-testid="playground-camera-error" data-code={error.code}>
          {error.message}
        </p>
      ) : null}
    </div>
  );
}

/**
 * Draw an input (or pick a test image: it goes into the drawing, to draw over) and see what the current weights make of it — class
 * probabilities for a classifier, the reconstruction for an autoencoder. Works while training
 * (the engine answers between two steps) and after the run ends.
 */
/**
 * Where a drawing would be, for an input that cannot be drawn: the picked sample (an image as the
 * network sees it, else its number), or the hint to pick one.
 */
function UndrawnInput({ sample, picked, shape, image, samples }: { sample?: number[]; picked?: number; shape: number[]; image: boolean; samples: number }) {
  // No samples to pick (an imported model without a dataset): the image sources and the answer's prompt say what to do.
  if (samples === 0) return null;
  if (picked === undefined || !sample) {
    return (
      <p className="train-empty" data-testid="playground-cannot-draw">
        This input ({shape.join('×')}) cannot be drawn; pick a test sample.
      </p>
    );
  }
  return (
    <p className="playground__picked" data-testid="playground-picked-sample">
      {image ? <PixelImage values={sample} shape={shape} size={56} title="the picked test sample as the network sees it" /> : null}
      <span>Test sample #{picked + 1}</span>
    </p>
  );
}

/**
 * The drawing's and the image's sources side by side (the test samples below them stay in the dock
 * at 1280×800): Clear where there is a drawing, Upload… and Camera for an image input.
 */
function InputSources({ shape, uploaded, image, onImage, onClear }: { shape: number[]; uploaded?: number[]; image: boolean; onImage: (file: Blob) => void; onClear?: () => void }) {
  if (!onClear && !image) return null;
  return (
    <div className="playground__sources">
      {onClear ? (
        <button type="button" data-testid="playground-clear" onClick={onClear}>
          Clear
        </button>
      ) : null}
      {image ? <ImageUpload shape={shape} uploaded={uploaded} onImage={onImage} /> : null}
      {image ? <CameraSource onFrame={onImage} /> : null}
    </div>
  );
}

function DrawPlayground() {
  const samplesError = useDesignSamples();
  const runId = useRun((s) => s.runId);
  const stored = useRun((s) => s.stored !== undefined);
  const probe = useRun((s) => s.info?.probeSamples);
  const task = useRun((s) => s.info?.task);
  const datasetName = useEditor((s) => s.history.present.graph.training?.dataset.name);
  const client = useEngine((s) => s.client);
  const shape = probe?.shape ?? [];
  const [h, w] = shape.length === 3 ? [shape[1], shape[2]] : shape.length === 2 ? [shape[0], shape[1]] : [0, 0];
  const drawable = h > 0 && w > 0 && h * w === shape.reduce((a, b) => a * b, 1);
  const pixels = useRef<Float32Array>(new Float32Array(0));
  const canvas = useRef<HTMLCanvasElement>(null);
  const drawing = useRef(false);
  const [picked, setPicked] = useState<number | undefined>();
  const [uploaded, setUploaded] = useState<number[] | undefined>();
  // The typed text, cleared by a pick: the answer shown is the picked sample's, not the text's.
  // A new run (or loaded model) starts with no text: the text is kept with the run it was typed for.
  const [typedFor, setTypedFor] = useState<{ runId?: string; text: string }>({ text: '' });
  const typed = typedFor.runId === runId ? typedFor.text : '';
  const setTyped = (text: string) => setTypedFor({ runId, text });
  const { result, setResult, predict, predictText } = usePrediction(client, runId);
  const table = probe?.table;
  const tableRow = useTableRow(table, runId, (input) => {
    setPicked(undefined);
    if (input) predict(input, false);
    else setResult(undefined);
  });
  const step = useRun((s) => s.frame?.step ?? s.progress?.step ?? 0);
  const subject = explainSubject(result, runId, step);
  useMaskFollowsTraining(result, predict);

  const paint = useCallback(() => {
    if (canvas.current && drawable) paintDrawing(canvas.current, pixels.current, w, h);
  }, [w, h, drawable]);

  /** Put a test sample into the drawing (to draw over it) and ask the network about it as fed. */
  const pick = (i: number, x: number[]) => {
    setPicked(i);
    setUploaded(undefined);
    setTyped('');
    // A table's sample fills the row form: change a value to see the answer move.
    if (probe?.rows?.[i]) tableRow.show(probe.rows[i]);
    if (drawable) {
      pixels.current = drawingFromSample(x, w * h);
      paint();
    }
    predict(x, true);
  };

  useEffect(() => {
    if (pixels.current.length !== w * h) pixels.current = new Float32Array(w * h);
    paint();
  }, [w, h, paint]);

  const stroke = (e: React.PointerEvent<HTMLCanvasElement>) => {
    if (!brushAt(canvas.current, e, pixels.current, w, h)) return;
    paint();
    setPicked(undefined);
    predict(Array.from(pixels.current), false);
  };

  /** An image file (uploaded, pasted or a camera photo) fed as an image folder's images are: decoded and converted to the Input's channels and size by the engine, as training does. */
  const takeImage = async (file: Blob) => {
    const out = client && (await imageSample(client, file, shape).catch((e: Error) => e));
    if (!out || out instanceof Error) return out && setResult({ error: out.message, normalized: false });
    setPicked(undefined);
    setUploaded(Array.from(out));
    if (drawable) {
      pixels.current = out.slice(0, w * h);
      paint();
    }
    predict(Array.from(out), false);
  };
  const imageInput = shape.length === 3 && [1, 3, 4].includes(shape[0]);
  const clear = () => {
    pixels.current.fill(0);
    paint();
    setResult(undefined);
  };

  if (stored) return <p className="train-empty" data-testid="playground-stored">This is a stored run: its curves, layers and samples are kept, its weights are not loaded here. Train it again (▶ Start) to try the network in the playground.</p>;
  if (!runId || !probe) return <p className="train-empty">Start a run: the playground uses its current weights.</p>;
  if (!drawable && !imageInput && probe.inputs.length === 0 && !table) return <NoSamples shape={shape} error={samplesError} />;
  return (
    <div
      className="playground"
      data-testid="playground"
      onPaste={(e) => {
        const image = Array.from(e.clipboardData.files).find((f) => f.type.startsWith('image/'));
        if (image && imageInput) {
          e.preventDefault();
          void takeImage(image);
        }
      }}
    >
      <div className={`playground__input${drawable ? ' playground__input--drawn' : ''}`}>
        {drawable ? (
          <canvas
            ref={canvas}
            width={w}
            height={h}
            className="playground__canvas"
            data-testid="playground-canvas"
            data-picked={picked ?? ''}
            style={{ width: VIEW, height: VIEW }}
            onPointerDown={(e) => {
              drawing.current = true;
              e.currentTarget.setPointerCapture(e.pointerId);
              stroke(e);
            }}
            onPointerMove={(e) => drawing.current && stroke(e)}
            onPointerUp={() => (drawing.current = false)}
          />
        ) : probe.texts || uploaded || table ? null : (
          <UndrawnInput sample={picked !== undefined ? probe.inputs[picked] : undefined} picked={picked} shape={shape} image={imageInput} samples={probe.inputs.length} />
        )}
        <InputSources
          shape={shape}
          uploaded={drawable ? undefined : uploaded}
          image={imageInput}
          onImage={(file) => void takeImage(file)}
          onClear={drawable ? clear : undefined}
        />
        {table ? <TableRowForm table={table} row={tableRow.row} problem={tableRow.problem} onRow={tableRow.type} /> : null}
        {probe.texts ? (
          <TypedText
            text={typed}
            setText={setTyped}
            onText={(text) => {
              setPicked(undefined);
              if (text.trim() === '') setResult(undefined);
              else predictText(text);
            }}
          />
        ) : null}
        {probe.inputs.length ? <SamplePicks inputs={probe.inputs} texts={probe.texts} shape={probe.shape} thumbnails={drawable || imageInput} picked={picked} onPick={pick} /> : null}
        <PickedText text={picked !== undefined ? probe.texts?.[picked] : undefined} />
      </div>
      <div className="playground__answer">
        <PredictionView result={result} task={task} sampleShape={probe.shape} valueName={table?.target} prompt={drawable ? `Draw ${drawnThing(datasetName, task)} or pick a sample.` : probe.texts ? 'Type a text, or pick a test sample, to see what the network answers.' : table ? 'Type a row, or pick a test sample, to see what the network answers.' : imageInput ? (probe.inputs.length ? 'Pick a test sample, or upload (or paste) an image, to see what the network answers.' : `Upload (or paste) an image, or take one with the camera, to see what the network answers (the model came without test samples: its input is ${shape.join('×')}).`) : 'Pick a test sample to see what the network answers.'} />
        <ExplainView client={client} subject={subject} shape={probe.shape} text={subject?.text ?? (picked !== undefined && subject?.normalized ? probe.texts?.[picked] : undefined)} />
      </div>
    </div>
  );
}

/** What the Playground asks to have drawn: the dataset's thing ("a digit", "a piece of clothing"), else one of a classifier's classes, else something. */
export function drawnThing(datasetName: string | undefined, task: Task | undefined): string {
  return getDataset(datasetName ?? '')?.sampleNoun ?? (task !== undefined && showsProbabilities(task) ? 'one of its classes' : 'something');
}

/** For an input that cannot be drawn, nor uploaded, nor typed, with no samples to pick: why the Playground has nothing. */
function NoSamples({ shape, error }: { shape: readonly number[]; error: string | undefined }) {
  return (
    <p className="train-empty" data-testid="playground-no-samples">
      This model's input ({shape.join('×')} values) cannot be drawn, and it has no dataset to take test samples from: give the design training settings with a dataset to try it on samples.
      {error ? <span data-testid="playground-samples-error"> ({error})</span> : null}
    </p>
  );
}

/** A brush stroke at the pointer, on the drawing's pixels (`w`×`h`, shown at the canvas's size); false without a canvas. */
function brushAt(el: HTMLCanvasElement | null, e: React.PointerEvent<HTMLCanvasElement>, pixels: Float32Array, w: number, h: number): boolean {
  if (!el) return false;
  const r = el.getBoundingClientRect();
  brush(pixels, w, h, ((e.clientX - r.left) / r.width) * w, ((e.clientY - r.top) / r.height) * h);
  return true;
}

/** The drawing's pixels (0–1, one channel) onto its canvas, grey; the canvas's `data-ink` says how much is drawn. */
function paintDrawing(el: HTMLCanvasElement, pixels: Float32Array, w: number, h: number): void {
  const ctx = el.getContext('2d');
  if (!ctx) return;
  const img = ctx.createImageData(w, h);
  let ink = 0;
  for (let i = 0; i < w * h; i++) {
    const p = Math.min(1, Math.max(0, pixels[i]));
    ink += p;
    const v = Math.round(p * 255);
    img.data.set([v, v, v, 255], i * 4);
  }
  ctx.putImageData(img, 0, 0);
  // How much is drawn (the sum of the pixels, 0..w·h): tests read it off the element.
  el.dataset.ink = ink.toFixed(2);
}

/**
 * A segmentation mask on screen is asked again every 10 training steps: it follows the weights live
 * while training (the progress events arrive whichever tab is open; probe frames only while a probe
 * view is).
 */
function useMaskFollowsTraining(result: PlaygroundResult | undefined, predict: (input: number[], normalized: boolean) => void): void {
  const maskTick = useRun((s) => (s.progress ? Math.floor(s.progress.step / 10) : undefined));
  const shown = useRef(result);
  useEffect(() => {
    shown.current = result;
  }, [result]);
  useEffect(() => {
    const r = shown.current;
    if (maskTick !== undefined && r?.p?.kind === 'mask' && r.input) predict(r.input, r.normalized);
  }, [maskTick, predict]);
}

/** What the Playground's "Why?" explains: the class the prediction on screen gives, for its input and the weights now (none before a prediction, or for an output that is not classes). */
function explainSubject(result: PlaygroundResult | undefined, runId: string | undefined, step: number): ExplainSubject | undefined {
  const p = result?.p;
  if (!runId || p?.kind !== 'probabilities' || !result?.input) return undefined;
  return { runId, step, input: result.input, normalized: result.normalized, ...(result.text !== undefined ? { text: result.text } : {}), target: p.predicted, className: p.classNames[p.predicted] ?? String(p.predicted) };
}

/** Loaded weights take the Playground's samples from the design's dataset as it is now (`samplesForLoaded`); answers why they could not, if they could not. */
function useDesignSamples(): string | undefined {
  const w = useWindow();
  const client = useEngine((s) => (s.state === 'ready' ? s.client : undefined));
  const runId = useRun((s) => (s.loaded ? s.runId : undefined));
  const taken = useRun((s) => s.loaded?.samplesFrom);
  const weights = useRun((s) => s.weights);
  const loadSeq = useEditor((s) => s.loadSeq);
  const dataset = useEditor((s) => s.history.present.graph.training?.dataset);
  const [error, setError] = useState<{ dataset: unknown; message: string }>();
  useEffect(() => {
    let live = true;
    void samplesForLoaded(w).then((message) => live && message !== undefined && setError({ dataset, message }));
    return () => {
      live = false;
    };
  }, [client, runId, taken, weights, loadSeq, dataset, w]);
  return error && error.dataset === dataset ? error.message : undefined;
}
