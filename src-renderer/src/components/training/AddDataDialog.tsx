import { memo, useEffect, useRef, useState } from 'react';
import { dataFormatReading, explainCode, featureInput, fitToData, getDataFormat, type DataFit } from '../../../../src-engine/facade';
import type { DataColumn, DataScanResult, DataThumbnail } from '../../../../src-engine/protocol';
import { getHost } from '../../host';
import { imagePixels } from '../../training/charts';
import { dataShapeOf } from '../../training/add-data';
import { type UploadFile } from '../../state/add-data-store';
import { Modal } from '../Modal';
import { DataIcon } from '../DataIcon';
import { CameraCapture } from './CameraCapture';
import { PickerInput } from '../PickerInput';
import { useAddData, useEditor } from '../../state/window';

const MISSING_CHOICES: readonly { value: string; label: string }[] = [
  { value: 'error', label: 'refuse (name the cells)' },
  { value: 'drop', label: 'drop the row' },
  { value: 'mean', label: 'fill with the mean' },
  { value: 'median', label: 'fill with the median' },
  { value: 'most-frequent', label: 'fill with the most frequent' },
  { value: 'indicator', label: 'fill + a "was missing" column' },
];

/** What the preview calls each kind of data (its format's label). */
const kindLabel = (kind: DataScanResult['kind']): string => getDataFormat(kind)?.label ?? kind;

const fmtBytes = (n: number) => (n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(1)} GB` : n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MB` : n > 0 ? `${Math.max(1, Math.round(n / 1024))} KB` : '0 KB');
/** A per-sample shape as the Input node shows it: `[3, 32, 32]`. */
const formatShape = (s: readonly number[]) => `[${s.join(', ')}]`;
const plural = (n: number, word: string) => `${n.toLocaleString()} ${word}${n === 1 ? '' : word.endsWith('s') ? 'es' : 's'}`;

/**
 * "Add data…" (docs/data.md "In the app"): choose, scan (a progress bar, cancellable), preview
 * (thumbnails per class, or a table's columns with the role editor and the missing-value policy),
 * then "Use this data". The flow's state is `useAddData`; this draws it.
 */
export function AddDataDialog() {
  const phase = useAddData((s) => s.phase);
  const intent = useAddData((s) => s.intent);
  const close = useAddData((s) => s.close);
  return (
    <Modal title={intent.kind === 'locate' ? 'Locate your data' : 'Add data'} testid="add-data-dialog" onClose={close} wide>
      {phase === 'choose' ? <ChooseData /> : null}
      {phase === 'uploading' || phase === 'scanning' ? <ScanProgressView /> : null}
      {phase === 'preview' ? <ScanPreview /> : null}
      {phase === 'failed' ? <ScanFailed /> : null}
    </Modal>
  );
}

/** Where the data comes from: Electron's native dialog; web mode's workspace data and uploads. */
function ChooseData() {
  const files = getHost().files;
  const intent = useAddData((s) => s.intent);
  const error = useAddData((s) => s.error);
  const scan = useAddData((s) => s.scan);
  const [list, setList] = useState<Awaited<ReturnType<NonNullable<typeof files.listData>>>>();
  const [listError, setListError] = useState<string>();
  // The command that started the host, as the user ran it (`netwright web`, `npm run web --`), for the hint below.
  const [web, setWeb] = useState('netwright web');
  useEffect(() => {
    files.listData?.().then(setList, (e: Error) => setListError(e.message));
    files.workspace?.().then((w) => w && setWeb(w.command), () => undefined);
  }, [files]);
  const pick = async (kind: 'file' | 'folder') => {
    const p = await files.pickDataset?.(kind);
    if (p) void scan(p);
  };
  const [camera, setCamera] = useState(false);
  const saved = intent.kind === 'locate' ? String(intent.saved.options?.path ?? '') : '';
  if (camera) return <CameraCapture onBack={() => setCamera(false)} />;
  return (
    <div className="add-data" data-testid="add-data-choose">
      {saved ? (
        <p className="add-data__locate">
          This project trains on <code>{saved}</code>. Choose it again (or where it is now): Netwright scans it and saves its new fingerprint with the project.
        </p>
      ) : null}
      <p className="add-data__intro">
        A <b>folder of images</b> with one sub-folder per class (<code>cats/001.png</code>, <code>dogs/002.jpg</code>; optionally under <code>train/</code>, <code>val/</code>, <code>test/</code>), a <b>table</b> (CSV or TSV, one row per sample), <b>NumPy arrays</b> (<code>np.savez(&apos;data.npz&apos;, x=…, y=…)</code>, or <code>X_train.npy</code> with <code>y_train.npy</code> beside it), <b>labelled texts</b> (a folder with one sub-folder of <code>.txt</code> files per class, or a CSV with a text column and a label column), or for a design made for text (the tiny GPT) a <b>text</b> (<code>.txt</code>, UTF-8) to learn to write like.
      </p>
      {error ? <p className="add-data__note" data-testid="add-data-note">{error.message}</p> : null}
      {files.pickDataset ? (
        <div className="add-data__actions">
          <button type="button" className="primary" data-testid="add-data-pick-folder" onClick={() => void pick('folder')}>
            Choose a folder…
          </button>
          <button type="button" data-testid="add-data-pick-file" onClick={() => void pick('file')}>
            Choose a table or .npz…
          </button>
        </div>
      ) : null}
      {files.uploadData ? <UploadButtons /> : null}
      {intent.kind === 'add' ? (
        <div className="add-data__actions">
          <button type="button" data-testid="add-data-camera" title="Photos of your own classes from the camera, saved into a folder of class sub-folders (the camera is asked for now)" onClick={() => setCamera(true)}>
            Take photos…
          </button>
        </div>
      ) : null}
      {files.listData ? (
        <>
          <h4>In the workspace</h4>
          {listError ? <p className="modal__error">{listError}</p> : null}
          {list === undefined && !listError ? <p>Loading…</p> : null}
          {list?.length === 0 ? (
            <p className="add-data__hint">
              Nothing yet. Upload data above, copy it into the workspace’s <code>data/</code> folder, or start Netwright with <code>{web} --data-dir DIR</code>.
            </p>
          ) : null}
          <ul className="file-list" data-testid="add-data-list">
            {list?.map((d) => (
              <li key={d.path}>
                <button type="button" data-testid={`add-data-entry-${d.name}`} title={d.path} onClick={() => void scan(d.path, d.kind)}>
                  <b>
                    <DataIcon folder={getDataFormat(d.kind)?.holds === 'folder'} />{' '}
                    {d.name}
                  </b>
                  <span>
                    {kindLabel(d.kind)} · {d.where === 'data-dir' ? 'data folder' : 'workspace data/'}
                  </span>
                </button>
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </div>
  );
}

/** Web mode's uploads: a folder (the browser's folder picker) or one table/array file, copied into the workspace's data/. */
function UploadButtons() {
  const upload = useAddData((s) => s.uploadAndScan);
  const folder = useRef<HTMLInputElement>(null);
  const file = useRef<HTMLInputElement>(null);
  useEffect(() => {
    // Not a React prop: the browser's folder picker is asked for on the element itself.
    folder.current?.setAttribute('webkitdirectory', '');
  }, []);
  /** What an upload gets from the browser's choice: its name (the folder's, or the file's) and each file with its path inside it. */
  const filesOf = (list: FileList, kind: 'file' | 'folder'): [string, 'file' | 'folder', UploadFile[]] => {
    const all = Array.from(list);
    const inFolder = kind === 'folder';
    const top = inFolder ? (all[0]?.webkitRelativePath.split('/')[0] ?? '') : (all[0]?.name ?? '');
    const files = all.map((f) => ({ path: inFolder ? f.webkitRelativePath.split('/').slice(1).join('/') || f.name : f.name, size: f.size, read: async () => new Uint8Array(await f.arrayBuffer()) }));
    return [top || 'data', kind, files];
  };
  return (
    <div className="add-data__actions">
      <button type="button" className="primary" data-testid="add-data-upload-folder" onClick={() => folder.current?.click()}>
        Upload a folder…
      </button>
      <button type="button" data-testid="add-data-upload-file" onClick={() => file.current?.click()}>
        Upload a table or arrays…
      </button>
      <PickerInput inputRef={folder} testId="add-data-folder-input" multiple onFiles={(list) => void upload(...filesOf(list, 'folder'))} />
      <PickerInput inputRef={file} testId="add-data-file-input" accept=".csv,.tsv,.txt,.npz,.npy" multiple onFiles={(list) => void upload(...filesOf(list, 'file'))} />
      <span className="add-data__hint">copied into the workspace’s data/ folder (images up to 48 MB each, 2 GB a folder)</span>
    </div>
  );
}

/** The upload's and then the scan's progress bar, with Cancel. */
function ScanProgressView() {
  const phase = useAddData((s) => s.phase);
  const upload = useAddData((s) => s.upload);
  const progress = useAddData((s) => s.progress);
  const source = useAddData((s) => s.source);
  const cancel = useAddData((s) => s.cancel);
  const uploading = phase === 'uploading';
  const done = uploading ? (upload?.done ?? 0) : (progress?.done ?? 0);
  const total = uploading ? (upload?.total ?? 0) : (progress?.files ?? 0);
  const fraction = total > 0 ? done / total : 0;
  const line = uploading
    ? `Uploading ${done.toLocaleString()} of ${plural(total, 'file')} (${fmtBytes(upload?.bytes ?? 0)})`
    : !progress || progress.phase === 'listing'
      ? `Listing ${source?.path ?? ''}…${progress ? ` ${plural(progress.files, 'file')} in ${plural(progress.classes, 'class')}` : ''}`
      : `Reading ${done.toLocaleString()} of ${plural(total, 'file')} · ${plural(progress.classes, 'class')} · ${fmtBytes(progress.bytes)}${progress.skipped ? ` · ${progress.skipped} skipped so far` : ''}`;
  return (
    <div className="add-data" data-testid="add-data-progress" data-phase={phase}>
      <div className="add-data__bar" role="progressbar" aria-valuemin={0} aria-valuemax={total} aria-valuenow={done} data-testid="add-data-bar">
        <span style={{ width: `${(fraction * 100).toFixed(1)}%` }} />
      </div>
      <p data-testid="add-data-progress-text">{line}</p>
      <div className="modal__actions">
        <button type="button" data-testid="add-data-cancel" onClick={cancel}>
          {uploading ? 'Stop the upload' : 'Cancel'}
        </button>
      </div>
    </div>
  );
}

/** What the scan found, and "Use this data". */
function ScanPreview() {
  const r = useAddData((s) => s.result)!;
  const uploadSkipped = useAddData((s) => s.uploadSkipped);
  const use = useAddData((s) => s.use);
  const again = useAddData((s) => s.open);
  const intent = useAddData((s) => s.intent);
  const input = useEditor((s) => featureInput(s.history.present.graph)?.attrs.shape as number[] | undefined);
  const graph = useEditor((s) => s.history.present.graph);
  const shapes = useEditor((s) => s.analysis.shapes);
  const shape = dataShapeOf(r);
  const fit = shape ? fitToData(graph, shape, shapes) : undefined;
  const skipped = [...uploadSkipped, ...r.skipped];
  const skippedTotal = uploadSkipped.length + r.skippedTotal;
  const format = getDataFormat(r.kind);
  const changed = intent.kind === 'locate' && intent.saved.options?.fingerprint !== undefined && intent.saved.options.fingerprint !== r.fingerprint;
  return (
    <div className="add-data" data-testid="add-data-preview" data-kind={r.kind} data-files={r.files} data-skipped={skippedTotal} data-fingerprint={r.fingerprint}>
      <p className="add-data__summary">
        <b>{r.name}</b> · {kindLabel(r.kind)} · {plural(r.files, 'file')} · {fmtBytes(r.bytes)}
        {format?.reads === 'images' || (r.labelled && r.classes.length) ? ` · ${plural(r.classes.length, 'class')}` : ''} · <span title={`content fingerprint ${r.fingerprint}`}>fingerprint {r.fingerprint.slice(0, 10)}…</span>
      </p>
      {changed ? <p className="add-data__warn" data-testid="add-data-changed">Its contents differ from what the project saved: using it trains on what it holds now.</p> : null}
      {format?.reads === 'images' ? <ImageFolderPreview r={r} input={input} /> : null}
      {r.table ? <TablePreview r={r} input={input} /> : null}
      {format?.reads === 'arrays' ? <ArraysPreview r={r} input={input} /> : null}
      {r.text ? <TextPreview r={r} text={r.text} input={input} /> : null}
      {format?.reads === 'labelled-texts' ? <LabelledTextPreview r={r} input={input} /> : null}
      {r.timeSeries ? <SeriesPreview series={r.timeSeries} path={r.path} /> : null}
      {r.table && r.table.columns.length >= 2 ? <AsSeries path={r.path} /> : null}
      {r.notes.length ? (
        <ul className="add-data__notes">
          {r.notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      ) : null}
      {skippedTotal > 0 ? (
        <details className="add-data__skipped" data-testid="add-data-skipped" open={skippedTotal <= 8}>
          <summary>
            {plural(skippedTotal, 'file')} skipped, each with the reason{skippedTotal > skipped.length ? ` (the first ${skipped.length} listed)` : ''}
          </summary>
          <ul>
            {skipped.map((s) => (
              <li key={s.path}>
                <code>{s.path}</code> — {s.reason}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
      {fit ? <DesignFit fit={fit} /> : null}
      {r.problem ? (
        <p className="modal__error" data-testid="add-data-problem" data-code={r.problem.code}>
          {r.problem.message} <small title={explainCode(r.problem.code)}>({r.problem.code})</small>
        </p>
      ) : null}
      <div className="modal__actions">
        <button type="button" data-testid="add-data-back" onClick={() => again(intent)}>
          Choose other data
        </button>
        <button type="button" className="primary" data-testid="add-data-use" disabled={!!r.problem} title={r.problem ? 'Fix the problem above first' : 'Train this design on it; the project keeps its path and fingerprint'} onClick={use}>
          Use this data
        </button>
      </div>
    </div>
  );
}

/**
 * Every way the design does not take the data, listed before it is used (issue #44): what "Use
 * this data" changes (the Input's width, the head's classes; one undo puts them back), and what
 * it cannot (Problems keeps listing those, and Start waits for them).
 */
function DesignFit({ fit }: { fit: DataFit }) {
  if (fit.edits.length === 0 && fit.mismatches.length === 0 && !fit.metrics) return null;
  const value = (v: unknown) => (Array.isArray(v) ? formatShape(v as number[]) : String(v));
  const sets = (e: DataFit['edits'][number]) => [...(e.op !== undefined ? [`${e.nodeId} to ${e.op}`] : []), ...Object.entries(e.attrs).map(([k, v]) => `${e.nodeId}.${k} to ${value(v)}`)].join(', ');
  return (
    <div className="add-data__fit" data-testid="add-data-fit" data-edits={fit.edits.length} data-mismatches={fit.mismatches.length}>
      <p>Your design does not take this data as it is:</p>
      <ul>
        {fit.edits.map((e) => (
          <li key={e.nodeId} data-testid="add-data-fit-edit" data-node={e.nodeId}>
            {e.problem} <b>Use this data</b> sets {sets(e)}.
          </li>
        ))}
        {fit.metrics ? (
          <li data-testid="add-data-fit-metrics">
            {fit.metrics.problem} <b>Use this data</b> sets them to {fit.metrics.to.join(', ')}.
          </li>
        ) : null}
        {fit.mismatches.map((m) => (
          <li key={m} className="add-data__warn" data-testid="add-data-mismatch">
            {m}
          </li>
        ))}
      </ul>
      {fit.edits.length || fit.metrics ? <p className="add-data__hint">One undo puts the design back as it was.</p> : null}
    </div>
  );
}

/** How the design's features Input meets the data: fed as it is, converted, or (listed by `DesignFit`) not. */
function InputHint({ data, input, convert }: { data?: readonly number[]; input?: readonly number[]; convert: boolean }) {
  if (!data || !input) return null;
  const same = formatShape(data) === formatShape(input);
  const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
  if (!same && !convert && size(data) !== size(input)) return null;
  const text = same
    ? `Your design's Input ${formatShape(input)} takes it as it is.`
    : convert
      ? `Your design's Input is ${formatShape(input)}: each image is converted to it (${input[0] === 1 ? 'grey' : 'colour'}, resized to ${input[2]}×${input[1]}).`
      : `Your design's Input ${formatShape(input)} takes its ${size(data)} values.`;
  return (
    <p className="add-data__input" data-testid="add-data-input-hint">
      {text}
    </p>
  );
}

function ImageFolderPreview({ r, input }: { r: DataScanResult; input?: number[] }) {
  const sizes = r.sizes.slice(0, 4).map((s) => `${s.width}×${s.height} ${s.colour ? 'colour' : 'grey'} (${s.count.toLocaleString()})`);
  return (
    <>
      <p className="add-data__sizes" data-testid="add-data-sizes">
        Image sizes: {sizes.join(', ')}
        {r.sizes.length > 4 ? ', …' : ''}
      </p>
      <InputHint data={r.featureShape} input={input?.length === 3 ? input : undefined} convert />
      <div className="add-data__classes" data-testid="add-data-classes">
        {r.classes.map((c) => (
          <div key={c.name} className="add-data__class" data-testid="add-data-class" data-name={c.name} data-count={c.count}>
            <div className="add-data__class-name">
              <b>{c.name}</b>
              <small>
                {c.count.toLocaleString()}
                {c.splits.val || c.splits.test ? ` (train ${c.splits.train}, val ${c.splits.val}, test ${c.splits.test})` : ''}
              </small>
            </div>
            <div className="add-data__thumbs">
              {c.thumbnails.map((t) => (
                <Thumbnail key={t.path} t={t} />
              ))}
            </div>
          </div>
        ))}
      </div>
    </>
  );
}

/** One thumbnail, its aspect kept in a 40 px box. */
const Thumbnail = memo(function Thumbnail({ t }: { t: DataThumbnail }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const img = imagePixels(t.rgb, [3, t.height, t.width], [0, 255]);
    const el = ref.current;
    if (!img || !el) return;
    el.width = img.width;
    el.height = img.height;
    el.getContext('2d')?.putImageData(new ImageData(img.data as Uint8ClampedArray<ArrayBuffer>, img.width, img.height), 0, 0);
  }, [t]);
  const scale = 40 / Math.max(t.width, t.height);
  return <canvas ref={ref} className="add-data__thumb" style={{ width: Math.round(t.width * scale), height: Math.round(t.height * scale) }} title={t.path} data-testid="add-data-thumb" />;
});

function TablePreview({ r, input }: { r: DataScanResult; input?: number[] }) {
  const scan = useAddData((s) => s.scan);
  const options = useAddData((s) => s.tableOptions);
  const setOptions = useAddData((s) => s.setTableOptions);
  const table = r.table!;
  const standardized = useEditor((s) => (s.history.present.graph.training?.dataset.targetNormalization ?? 'standard') === 'standard');
  const setRole = (c: DataColumn, role: DataColumn['role']) => {
    const roles: Record<string, string> = { ...((options.roles as Record<string, string> | undefined) ?? {}) };
    // One target: choosing another makes the old one a feature.
    if (role === 'target') for (const other of table.columns) if (other.role === 'target' && other.name !== c.name) roles[other.name] = 'feature';
    roles[c.name] = role;
    setOptions({ roles, targetColumn: undefined });
  };
  const missing = table.columns.reduce((a, c) => a + (c.role === 'feature' ? c.missing : 0), 0);
  return (
    <>
      <p className="add-data__sizes">
        {plural(table.rows, 'row')} · {plural(table.columns.length, 'column')}
        {table.task ? ` · ${table.task}` : ''}
        {table.encodedWidth !== undefined ? ` · ${table.encodedWidth} input values after encoding` : ''}
      </p>
      <TargetLine table={table} />
      <TargetScale table={table} standardized={standardized} />
      {table.columns.some((c) => c.kind === 'categorical') ? (
        <p className="add-data__hint">
          A column of sentences or reviews to classify?{' '}
        <button type="button" className="linkish" data-testid="add-data-as-texts" onClick={() => void scan(r.path, dataFormatReading('labelled-texts').kind, true)}>
            Read it as texts with labels
          </button>
        </p>
      ) : null}
      <InputHint data={table.encodedWidth !== undefined ? [table.encodedWidth] : undefined} input={input} convert={false} />
      <div className="add-data__table-wrap">
        <table className="add-data__table" data-testid="add-data-columns">
          <thead>
            <tr>
              <th>Column</th>
              <th>Type</th>
              <th>Missing</th>
              <th>Values</th>
              <th>Role</th>
            </tr>
          </thead>
          <tbody>
            {table.columns.map((c) => (
              <tr key={c.name} data-testid="add-data-column" data-name={c.name} data-role={c.role}>
                <td>{c.name}</td>
                <td>{c.kind === 'numeric' ? 'number' : 'category'}</td>
                <td className={c.missing ? 'add-data__missing' : ''}>{c.missing || '–'}</td>
                <td>{c.distinct.toLocaleString()}</td>
                <td>
                  <select data-testid={`add-data-role-${c.name}`} value={c.role} onChange={(e) => setRole(c, e.target.value as DataColumn['role'])}>
                    <option value="feature">feature</option>
                    <option value="target">target</option>
                    <option value="ignore">ignore</option>
                  </select>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <label className="train-field add-data__policy">
        <span>Missing values{missing ? ` (${missing} cells in features)` : ''}</span>
        <select data-testid="add-data-missing" value={String(options.missing ?? 'error')} onChange={(e) => setOptions({ missing: e.target.value })}>
          {MISSING_CHOICES.map((m) => (
            <option key={m.value} value={m.value}>
              {m.label}
            </option>
          ))}
        </select>
      </label>
    </>
  );
}

/** Which column the network learns to predict and why; when no column is named like a target, the question. */
function TargetLine({ table }: { table: NonNullable<DataScanResult['table']> }) {
  const target = table.columns.find((c) => c.role === 'target')?.name;
  if (target === undefined) return null;
  const by = table.targetBy ?? 'user';
  return (
    <p className={`add-data__input${by === 'last' ? ' add-data__warn' : ''}`} data-testid="add-data-target" data-target={target} data-by={by}>
      {by === 'last' ? (
        <>
          Which column should the network predict? None is named like a target (label, target, class, y, survived…), so the last one, <b>{target}</b>, is used for now: choose the target in the Role column.
        </>
      ) : (
        <>
          The network learns to predict <b>{target}</b>
          {by === 'name' ? ' (chosen by its name)' : ''}; another column’s Role makes it the target.
        </>
      )}
    </p>
  );
}

/**
 * Values to predict far from 1 (prices in dollars): the network learns them standardised (the
 * design's `targetNormalization`, standard by default) and shows them in their units; with it set
 * to none they train slowly from a network's first outputs near 0, which is said, with the fixes.
 */
export function TargetScale({ table, standardized = true }: { table: NonNullable<DataScanResult['table']>; standardized?: boolean }) {
  const target = table.columns.find((c) => c.role === 'target')?.name;
  const [lo, hi] = table.targetRange ?? [0, 0];
  const largest = Math.max(Math.abs(lo), Math.abs(hi));
  if (target === undefined || largest < LARGE_TARGET) return null;
  const scale = 10 ** Math.floor(Math.log10(largest));
  const fmt = (v: number) => v.toLocaleString('en-US', { maximumFractionDigits: 4 });
  if (standardized) {
    return (
      <p className="add-data__input" data-testid="add-data-target-scale" data-standardized="true">
        {target} runs from {fmt(lo)} to {fmt(hi)}. The network learns it standardised (mean 0, std 1 on the training split); its predictions, samples, metrics and exports read in {target}’s own units.
      </p>
    );
  }
  return (
    <p className="add-data__input add-data__warn" data-testid="add-data-target-scale">
      {target} runs from {fmt(lo)} to {fmt(hi)}, and the design trains it in its own units (its target standardisation is off). A network’s outputs start near 0 and move a little each step, so values this large take many epochs to reach. Standardised (the setting’s default), or divided by {fmt(scale)} in the file ({fmt(lo / scale)} to {fmt(hi / scale)}), it trains in a few epochs.
    </p>
  );
}

/** The choices of what a series does with its gaps (catalog/datasets/options.ts SERIES_GAP_POLICIES), as the Gaps select lists them. */
const GAP_CHOICES: readonly { value: NonNullable<DataScanResult['timeSeries']>['policy']; label: string }[] = [
  { value: 'refuse', label: 'refuse (say where they are)' },
  { value: 'interpolate', label: 'interpolate (fill on the line between neighbours)' },
  { value: 'drop', label: 'drop the rows without a value' },
];

/**
 * A time series (#83): the column read and its time, the gaps found, and the three choices that
 * make its samples — the window (steps the network reads), the horizon (steps ahead it predicts)
 * and what gaps get; each change scans again (the dataset's options).
 */
export function SeriesPreview({ series, path }: { series: NonNullable<DataScanResult['timeSeries']>; path: string }) {
  const setOptions = useAddData((s) => s.setTableOptions);
  const scan = useAddData((s) => s.scan);
  const gaps = series.gaps.cells + series.gaps.steps;
  const whole = (v: string, min: number) => {
    const n = Number(v);
    return Number.isInteger(n) && n >= min && n <= 1000 ? n : undefined;
  };
  return (
    <>
      <p className="add-data__sizes" data-testid="add-data-series" data-values={series.values} data-gaps={gaps}>
        {plural(series.values, 'value')} of <b>{series.column}</b>
        {series.time ? ` by ${series.time.column}, ${series.time.first} to ${series.time.last}, a step of ${series.time.step}` : ', in row order'}
        {series.windows ? ` · windows: train ${series.windows.train}, validation ${series.windows.val}, test ${series.windows.test}` : ''}
      </p>
      {gaps ? (
        <p className={`add-data__input${series.policy === 'refuse' ? ' add-data__warn' : ''}`} data-testid="add-data-series-gaps">
          {[series.gaps.cells ? plural(series.gaps.cells, 'row') + ' without a value' : '', series.gaps.steps ? plural(series.gaps.steps, 'missing time step') : ''].filter(Boolean).join(' and ')}: {series.policy === 'refuse' ? 'choose what to do with them below.' : series.policy === 'interpolate' ? 'filled on the line between the values either side.' : 'left out.'}
        </p>
      ) : null}
      <div className="add-data__series-fields">
        {series.columns.length > 2 ? (
          <label className="train-field">
            <span>Values</span>
            <select data-testid="add-data-series-column" value={series.column} onChange={(e) => setOptions({ column: e.target.value })}>
              {series.columns.filter((c) => c !== series.time?.column).map((c) => (
                <option key={c} value={c}>
                  {c}
                </option>
              ))}
            </select>
          </label>
        ) : null}
        <label className="train-field">
          <span>Window (steps read)</span>
          <input type="number" min={2} max={1000} data-testid="add-data-series-window" defaultValue={series.window} onBlur={(e) => { const n = whole(e.target.value, 2); if (n !== undefined && n !== series.window) setOptions({ window: n }); }} />
        </label>
        <label className="train-field">
          <span>Horizon (steps ahead)</span>
          <input type="number" min={1} max={1000} data-testid="add-data-series-horizon" defaultValue={series.horizon} onBlur={(e) => { const n = whole(e.target.value, 1); if (n !== undefined && n !== series.horizon) setOptions({ horizon: n }); }} />
        </label>
        <label className="train-field add-data__policy">
          <span>Gaps</span>
          <select data-testid="add-data-series-gaps-policy" value={series.policy} onChange={(e) => setOptions({ gaps: e.target.value })}>
            {GAP_CHOICES.map((g) => (
              <option key={g.value} value={g.value}>
                {g.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      {series.columns.length > 1 ? (
        <p className="add-data__hint">
          Rows of features and a target instead?{' '}
          <button type="button" className="linkish" data-testid="add-data-as-table" onClick={() => void scan(path, dataFormatReading('table').kind, true)}>
            Read it as a table
          </button>
        </p>
      ) : null}
    </>
  );
}

/** A table of several columns read as a table: the offer to read it as a time series instead (a column of values in time order). */
function AsSeries({ path }: { path: string }) {
  const scan = useAddData((s) => s.scan);
  return (
    <p className="add-data__hint">
      Values over time, one row a step?{' '}
      <button type="button" className="linkish" data-testid="add-data-as-series" onClick={() => void scan(path, dataFormatReading('time series').kind, true)}>
        Read it as a time series
      </button>
    </p>
  );
}

/** A regression target this large (in absolute value) gets the TargetScale note. */
const LARGE_TARGET = 1000;

function ArraysPreview({ r, input }: { r: DataScanResult; input?: number[] }) {
  return (
    <>
      <p className="add-data__sizes">
        {r.featureShape ? `Samples of ${formatShape(r.featureShape)}` : ''}
        {r.classes.length ? ` · ${plural(r.classes.length, 'class')}: ${r.classes.map((c) => `${c.name} (${c.count})`).slice(0, 12).join(', ')}` : ''}
      </p>
      <InputHint data={r.featureShape} input={input} convert={false} />
    </>
  );
}

/** A text to learn from: how much, its vocabulary, the windows it makes, and how it starts. */
function TextPreview({ r, text, input }: { r: DataScanResult; text: NonNullable<DataScanResult['text']>; input?: number[] }) {
  return (
    <>
      <p className="add-data__sizes" data-testid="add-data-text" data-characters={text.characters} data-distinct={text.distinct} data-vocabulary={text.vocabulary}>
        {text.characters.toLocaleString()} characters · {text.distinct} distinct
        {text.distinct === text.vocabulary ? '' : ` (the design's vocabulary: ${text.vocabulary}, tab, newline and printable ASCII)`} · {plural(text.windows, 'window')} of {r.featureShape?.[0] ?? '?'} characters (the last 10 % held out for validation and test)
      </p>
      <pre className="add-data__text" title="How the text starts">{text.start}</pre>
      <InputHint data={r.featureShape} input={input} convert={false} />
    </>
  );
}

/**
 * Labelled texts (a folder per class, or a table's text and label columns): the texts per class
 * and split, a few texts with their labels, the vocabulary, and for a table the two columns to choose.
 */
function LabelledTextPreview({ r, input }: { r: DataScanResult; input?: number[] }) {
  const options = useAddData((s) => s.tableOptions);
  const setOptions = useAddData((s) => s.setTableOptions);
  const scan = useAddData((s) => s.scan);
  const l = r.labelled;
  const column = (key: 'textColumn' | 'labelColumn', label: string, chosen: string | undefined) => (
    <label className="train-field">
      <span>{label}</span>
      <select data-testid={`add-data-${key}`} value={String(options[key] ?? chosen ?? '')} onChange={(e) => setOptions({ [key]: e.target.value })}>
        {chosen === undefined && options[key] === undefined ? <option value="">choose…</option> : null}
        {l?.columns?.map((c) => (
          <option key={c} value={c}>
            {c}
          </option>
        ))}
      </select>
    </label>
  );
  return (
    <>
      {l?.columns ? (
        <div className="add-data__columns" data-testid="add-data-text-columns">
          {column('textColumn', 'Text column', l.textColumn)}
          {column('labelColumn', 'Label column', l.labelColumn)}
          <button type="button" className="linkish" data-testid="add-data-as-table" onClick={() => void scan(r.path, dataFormatReading('table').kind, true)}>
            Read it as a table of values instead
          </button>
        </div>
      ) : null}
      {l && l.texts > 0 ? (
        <>
          <p className="add-data__sizes" data-testid="add-data-labelled" data-texts={l.texts} data-vocabulary={l.vocabulary}>
            {plural(l.texts, 'text')} · a vocabulary of {l.vocabulary.toLocaleString()} {l.tokens === 'chars' ? 'characters' : 'words'} from the training split · each sample {formatShape(r.featureShape ?? [])}
          </p>
          <div className="add-data__class-counts" data-testid="add-data-classes">
            {r.classes.map((c) => (
              <span key={c.name} className="add-data__class-count" data-testid="add-data-class" data-name={c.name} data-count={c.count} title={`train ${c.splits.train}, test ${c.splits.test}`}>
                <b>{c.name}</b> {c.count.toLocaleString()}
              </span>
            ))}
          </div>
          <ul className="add-data__texts" data-testid="add-data-texts">
            {l.samples.map((t, i) => (
              <li key={i} data-testid="add-data-text-sample" data-label={t.label}>
                <span className="add-data__text-label">{t.label}</span>
                <span className="add-data__text-body">{t.text}</span>
              </li>
            ))}
          </ul>
          <InputHint data={r.featureShape} input={input} convert={false} />
        </>
      ) : null}
    </>
  );
}

function ScanFailed() {
  const error = useAddData((s) => s.error);
  const intent = useAddData((s) => s.intent);
  const again = useAddData((s) => s.open);
  return (
    <div className="add-data" data-testid="add-data-failed" data-code={error?.code}>
      <p className="modal__error">
        {error?.message} <small title={explainCode(error?.code)}>({error?.code})</small>
      </p>
      <div className="modal__actions">
        <button type="button" className="primary" data-testid="add-data-back" onClick={() => again(intent)}>
          Choose other data
        </button>
      </div>
    </div>
  );
}
