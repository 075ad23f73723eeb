import { SweepForm } from './SweepForm';
import { baselineLine, baselinesTitle } from '../../training/baseline-line';
import { StartFromSelect } from './StartFromSelect';
import { memo, useEffect, useState } from 'react';
import { type GraphIR, type OptimizerConfig, type ScheduleConfig, type TrainingConfig, DATASETS, DEFAULT_SCHEDULE, OPTIMIZERS, SCHEDULES, describeStartFrom, getOp, startFromOf, withInputShape, type AttrSpec, type AttrValue, explainCode, ComputeChoice } from '../../../../src-engine/facade';
import { ErrorCodes, TRAIN_PACES, type DatasetPreview } from '../../../../src-engine/protocol';
import { defaultTraining, withSchedule } from '../../editor/training-defaults';
import { addTrainingSettings } from '../../editor/add-settings';
import { endedIn, isLive, type RunView } from '../../training/model';
import { previewContent } from '../../training/preview';
import { probeOptions } from '../../state/train-ui';
import { handleMenuCommand } from '../../state/menu-commands';
import { forgetPreviewCrash, previewDataset } from '../../training/data-client';
import { useRunElsewhere } from './ElsewhereRun';
import { PixelImage } from './PixelImage';
import { NumberField } from './NumberField';
import { TRAINING_NUMBERS } from '../../editor/setting-fields';
import { DatasetFields } from './DatasetFields';
import { DataSourceProblem, isUserData, userDataPath } from './DataSourceProblem';
import { MetricReport } from './MetricReport';
import { EvaluateModel } from './EvaluateModel';
import { LrFinder } from './LrFinder';
import { WhereField } from './WhereField';
import { checkWhere, launchRun, rememberWhere, rememberedWhere, type WhereChoice } from '../../training/where';
import { EarlyStoppingFields } from './EarlyStoppingFields';
import { startBlock, useSettingProblems } from '../../state/setting-problems';
import { useEditor, useEngine, useRun, useTrainUi, useWindow } from '../../state/window';
import type { RunViewStore } from '../../state/training-store';



/**
 * Fields for a setting's parameters, generated from its specs (the engine's registries), as the
 * Inspector's are from an op's attribute specs. `values` holds what the design sets; a parameter
 * it leaves out shows its default.
 */
function SpecFields({ specs, values, testPrefix, disabled, onCommit }: { specs: Readonly<Record<string, AttrSpec>>; values: Record<string, unknown>; testPrefix: string; disabled: boolean; onCommit: (name: string, value: AttrValue) => void }) {
  return (
    <>
      {Object.entries(specs).map(([name, spec]) => {
        const value = (values[name] ?? spec.default) as AttrValue;
        const testId = `${testPrefix}-${name}`;
        if (spec.kind === 'bool') {
          return (
            <label key={name} className="train-field train-field--check" title={spec.doc}>
              <input type="checkbox" data-testid={testId} checked={value === true} disabled={disabled} onChange={(e) => onCommit(name, e.target.checked)} />
              <span>{name}</span>
            </label>
          );
        }
        if (spec.kind === 'enum') {
          return (
            <label key={name} className="train-field" title={spec.doc}>
              <span>{name}</span>
              <select data-testid={testId} value={String(value)} disabled={disabled} onChange={(e) => onCommit(name, e.target.value)}>
                {spec.values.map((v) => (
                  <option key={v}>{v}</option>
                ))}
              </select>
            </label>
          );
        }
        if (spec.kind !== 'int' && spec.kind !== 'float') return null;
        return <NumberField key={name} label={name} testId={testId} value={value as number} min={spec.min} max={spec.max} integer={spec.kind === 'int'} disabled={disabled} title={spec.doc} onCommit={(v) => onCommit(name, v)} />;
      })}
    </>
  );
}

/** The dataset select's entries for the user's own data (shown by its folder or file name) and for "Add data…". */
const USER_DATA = '\u0000user-data';
const ADD_DATA = '\u0000add-data';

const fmtTime = (s: number) => (!Number.isFinite(s) ? '–' : s >= 90 ? `${Math.floor(s / 60)} min ${Math.round(s % 60)} s` : `${s.toFixed(s < 10 ? 1 : 0)} s`);

const fmtValue = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));

/** A few samples and the class balance of the chosen dataset (images, or a scatter plot for 2-D sets); memoised: run progress does not redraw it. */
const DatasetPreviewView = memo(function DatasetPreviewView({ dataset }: { dataset: TrainingConfig['dataset'] }) {
  const w = useWindow();
  const client = useEngine((s) => (s.state === 'ready' ? s.client : undefined));
  const key = JSON.stringify(dataset);
  const [preview, setPreview] = useState<{ key: string; data?: DatasetPreview; error?: string; code?: string }>();
  // Asked again after an engine restart only if it was not what the engine crashed on (then the user asks).
  const [asked, setAsked] = useState(0);
  useEffect(() => {
    if (!client) return;
    let live = true;
    previewDataset(w.engine, client, key)
      .then((data) => {
        if (!live) return;
        setPreview({ key, data });
        w.trainUi.getState().set({ preview: data, previewKey: key });
      })
      .catch((err: Error & { code?: string }) => live && setPreview({ key, error: err.message, ...(err.code ? { code: err.code } : {}) }));
    return () => {
      live = false;
    };
  }, [client, key, asked, w.engine, w.trainUi]);
  if (!preview || preview.key !== key) return <div className="ds-preview ds-preview--loading">Loading a preview…</div>;
  if (preview.code === ErrorCodes.crashedOnRequest) {
    const again = () => {
      forgetPreviewCrash(w.engine, key);
      setPreview(undefined);
      setAsked((n) => n + 1);
    };
    return (
      <div className="ds-preview ds-preview--error" role="alert" data-testid="dataset-preview-crashed">
        <p>
          <code>{preview.code}</code> {preview.error} Change the dataset or the Input&apos;s shape, or ask once more.
        </p>
        <button type="button" data-testid="dataset-preview-again" onClick={again}>
          Preview again
        </button>
      </div>
    );
  }
  if (preview.error || !preview.data) {
    // The user's own data that moved, changed or is not granted: said, with a way to find it again.
    if (isUserData(dataset) && preview.code) return <DataSourceProblem dataset={dataset} code={preview.code} message={preview.error ?? ''} />;
    return <div className="ds-preview ds-preview--error">{preview.error}</div>;
  }
  const p = preview.data;
  const content = previewContent(p, dataset);
  const peak = Math.max(1, ...p.classBalance);
  return (
    <div className="ds-preview" data-testid="dataset-preview" data-train={p.counts.train} data-task={content.task}>
      <div className="ds-preview__counts">
        {p.counts.train.toLocaleString()} train · {p.counts.val.toLocaleString()} val · {p.counts.test.toLocaleString()} test · <span data-testid="dataset-task">{content.task}</span>
        {p.range ? (
          <span className="ds-preview__range" data-testid="dataset-range" data-min={p.range[0]} data-max={p.range[1]}>
            · fed values {fmtValue(p.range[0])} … {fmtValue(p.range[1])}
          </span>
        ) : null}
      </div>
      {p.points ? (
        <svg className="ds-preview__scatter" viewBox="0 0 100 100" preserveAspectRatio="none" data-testid="dataset-scatter">
          {(() => {
            const xs = p.points.map((q) => q[0]);
            const ys = p.points.map((q) => q[1]);
            const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
            return p.points.map((q, i) => <circle key={i} cx={((q[0] - x0) / (x1 - x0 || 1)) * 96 + 2} cy={98 - ((q[1] - y0) / (y1 - y0 || 1)) * 96} r={0.9} className={`cls-${q[2] % 5}`} />);
          })()}
        </svg>
      ) : (
        <div className="ds-preview__samples">
          {p.samples.map((s, i) => (
            <span key={i} className="ds-preview__sample" title={content.classLabels && typeof s.target === 'number' ? (p.classNames[s.target] ?? String(s.target)) : ''}>
              <PixelImage values={s.features} shape={p.featureShape} size={34} range={p.range} title="as fed to the network" data-testid="dataset-fed" />
              {s.clean ? <PixelImage values={s.clean} shape={p.featureShape} size={34} range={p.range} title="before corruption and augmentation" data-testid="dataset-clean" /> : null}
              {content.classLabels && typeof s.target === 'number' ? <small>{p.classNames[s.target] ?? s.target}</small> : null}
            </span>
          ))}
        </div>
      )}
      {content.classBalance && p.splitBalance ? <SplitClasses preview={p} /> : null}
      {content.classBalance ? (
        <div className="ds-preview__balance" data-testid="dataset-balance" title="Training samples per class">
          {p.classBalance.map((n, i) => (
            <span key={i} className="ds-preview__bar" style={{ height: `${(n / peak) * 100}%` }} title={`${p.classNames[i] ?? i}: ${n}`} />
          ))}
        </div>
      ) : null}
    </div>
  );
});

/** The most classes the split table lists (the balance bars show every class). */
const SPLIT_TABLE_CLASSES = 12;

/** Each split's samples per class (#83): train, val and test side by side, so a split short of a class is seen before training. */
export function SplitClasses({ preview: p }: { preview: DatasetPreview }) {
  const b = p.splitBalance!;
  const rows = p.classNames.slice(0, SPLIT_TABLE_CLASSES);
  return (
    <table className="ds-preview__splits" data-testid="dataset-splits" title="Samples per class in each split (each class is split in the same shares)">
      <thead>
        <tr>
          <th />
          <th>train</th>
          <th>val</th>
          <th>test</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((name, i) => (
          <tr key={i} data-class={name}>
            <th>{name}</th>
            <td>{(p.classBalance[i] ?? 0).toLocaleString()}</td>
            <td>{(b.val[i] ?? 0).toLocaleString()}</td>
            <td>{(b.test[i] ?? 0).toLocaleString()}</td>
          </tr>
        ))}
        {p.classNames.length > rows.length ? (
          <tr>
            <th colSpan={4}>… {p.classNames.length - rows.length} more classes</th>
          </tr>
        ) : null}
      </tbody>
    </table>
  );
}

/** An epoch's time as the feature-cache line gives it: a head alone on cached features takes milliseconds ("0.0 s" read as a stalled run). */
const epochTime = (s: number): string => (s < 0.1 ? `${Math.max(1, Math.round(s * 1000))} ms` : `${s.toFixed(1)} s`);

/** Run progress: state, epoch, step, samples/s, ETA and the backend doing the work. */
function ProgressView() {
  const phase = useRun((s) => s.phase);
  const p = useRun((s) => s.progress);
  const backend = useRun((s) => s.info?.backend);
  const epochs = useRun((s) => s.info?.epochs);
  const stepsPerEpoch = useRun((s) => s.info?.stepsPerEpoch);
  const test = useRun((s) => s.done?.test);
  const classNames = useRun((s) => s.info?.classNames);
  const doneReason = useRun((s) => s.done?.reason);
  const error = useRun((s) => s.error);
  const done = useRun((s) => s.done);
  const batchSize = useRun((s) => s.info?.batchSize);
  const loaded = useRun((s) => s.loaded);
  const warm = useRun((s) => s.info?.warmStart);
  const warmFrom = useRun((s) => s.graph?.training);
  const features = useRun((s) => s.features);
  const residentData = useRun((s) => s.residentData);
  const epochSeconds = useRun((s) => s.lastEpoch?.seconds);
  // A stored run on screen: its recorded frames, not the ones received live.
  const frames = useRun((s) => s.stored?.frameSteps.length ?? s.frames);
  // A stored run without a summary (killed mid-run): its step is in the error line, not a 0 here.
  const storedOnly = useRun((s) => s.stored !== undefined);
  const probeMs = useRun((s) => (s.phase === 'done' ? s.probeMs : undefined));
  // Whole-run throughput (the steps this run trained over its seconds, evaluation included), for
  // comparing runs: a resumed run's count starts at its checkpoint's step, its seconds are its own.
  const trainedSteps = done ? done.steps - (done.fromStep ?? 0) : 0;
  const runRate = done && batchSize && done.seconds > 0 ? (trainedSteps * batchSize) / done.seconds : undefined;
  const acc = typeof test?.accuracy === 'number' ? test.accuracy : undefined;
  // A finished run shown without its progress events (a stored run opened): the epoch it ended in, as the live counter read it.
  const ended = !p && done && stepsPerEpoch ? endedIn(done, stepsPerEpoch) : null;
  return (
    <div className="train-progress">
      <div>
        <span className={`run-state run-state--${phase}`} data-testid="run-state" data-state={phase} data-run-samples-per-sec={runRate?.toFixed(0)} data-frames={frames} data-probe-ms={probeMs?.toFixed(1)}>
          {loaded ? 'loaded' : phase}
          {doneReason && doneReason !== 'completed' ? ` (${doneReason})` : ''}
        </span>{' '}
        {backend ? (
          <span className="train-backend" data-testid="train-backend" title="What trains this run">
            {backend}
          </span>
        ) : null}
      </div>
      {loaded ? (
        <div className="train-progress__loaded" data-testid="loaded-model">
          Trained weights from {loaded.source}
          {loaded.origin?.step !== undefined ? ` (step ${loaded.origin.step}${loaded.origin.epoch !== undefined ? `, epoch ${loaded.origin.epoch}` : ''})` : ''}: the Playground uses them and Export exports them.
        </div>
      ) : null}
      {warm ? (
        <div className="train-progress__loaded" data-testid="warm-start" data-taken={warm.taken} data-fresh={warm.fresh.length}>
          Fine-tuning: {warm.taken} tensors start from {describeStartFrom(startFromOf(warmFrom))}
          {warm.fresh.length ? `; new: ${warm.fresh.slice(0, 4).join(', ')}${warm.fresh.length > 4 ? ` and ${warm.fresh.length - 4} more` : ''}` : ''}.
        </div>
      ) : null}
      {features ? (
        <div className="train-progress__loaded" data-testid="feature-cache" data-state={features.state} data-code={features.code} title={features.reason}>
          {features.message}
          {features.state === 'ready' && epochSeconds !== undefined ? `; ${epochTime(epochSeconds)} per epoch` : ''}
        </div>
      ) : null}
      {residentData ? (
        <div className="train-progress__loaded" data-testid="resident-data" data-state={residentData.state} data-code={residentData.code} title={residentData.reason}>
          {residentData.message}
        </div>
      ) : null}
      <div className="train-progress__nums" style={loaded !== undefined && loaded.origin?.step === undefined ? { display: 'none' } : undefined}>
        <span>
          epoch <b data-testid="epoch-counter">{p ? `${p.epoch}/${p.epochs}` : done ? `${ended?.epoch ?? done.epochs}/${epochs ?? done.epochs}` : `–/${epochs ?? '–'}`}</b>
        </span>
        <span>
          step <b data-testid="step-counter" data-step={p?.step ?? done?.steps ?? 0}>{p?.step ?? done?.steps ?? (storedOnly ? '–' : 0)}</b>
          {p ? <small> ({p.stepInEpoch}/{p.stepsPerEpoch})</small> : ended && stepsPerEpoch ? <small> ({ended.stepInEpoch}/{stepsPerEpoch})</small> : null}
        </span>
        {/* The rate since the last progress, while the run goes on: a finished run's is its last interval's
            (resnet18's last step with its partial batch's new plan read 4 samples/s beside the run's 12);
            the line below gives the whole run's. */}
        <span data-testid="samples-per-sec">{p && isLive(phase) ? `${Math.round(p.samplesPerSec).toLocaleString()} samples/s` : ''}</span>
        <span data-testid="eta">{p && phase === 'running' ? `ETA ${fmtTime(p.etaSeconds)}` : ''}</span>
      </div>
      {p ? (
        <div className="train-progress__bar">
          {/* Scaled, not resized: a progress tick repaints the bar without a layout. */}
          <span data-testid="progress-bar" style={{ transform: `scaleX(${Math.min(1, (p.epoch - 1 + p.stepInEpoch / Math.max(1, p.stepsPerEpoch)) / Math.max(1, p.epochs)).toFixed(4)})` }} />
        </div>
      ) : null}
      {runRate !== undefined ? (
        <div className="train-progress__nums" title="All steps over the run's wall-clock seconds, evaluation included">
          {trainedSteps.toLocaleString()} steps{done!.fromStep ? ` (${(done!.fromStep + 1).toLocaleString()}–${done!.steps.toLocaleString()}, resumed)` : ''} in {fmtTime(done!.seconds)} (wall clock) · {Math.round(runRate).toLocaleString()} samples/s · {frames} probe frames
        </div>
      ) : null}
      {acc !== undefined ? (
        <div className="train-result" data-testid="test-accuracy" data-value={acc.toFixed(4)}>
          Test accuracy <b>{(acc * 100).toFixed(2)}%</b>
          {done?.reason === 'stopped' ? <span className="train-result__note"> (at the stop, step {done.steps})</span> : null}
        </div>
      ) : test ? (
        <div className="train-result" data-testid="test-metrics">
          Test {Object.entries(test).filter(([, v]) => typeof v === 'number').map(([k, v]) => `${k} ${(v as number).toPrecision(4)}`).join(' · ')}
        </div>
      ) : null}
      {done?.baselines && baselineLine(test, done.baselines) ? (
        <div className="train-result train-result--baselines" data-testid="test-baselines" title={baselinesTitle(done.baselines)}>
          Beside: {baselineLine(test, done.baselines)}
        </div>
      ) : null}
      {done?.baselineVerdict ? (
        <div className="train-result train-result--verdict" data-testid="test-baseline-verdict" title={baselinesTitle(done.baselines)}>
          {done.baselineVerdict}
        </div>
      ) : null}
      {test ? <MetricReport metrics={test} classNames={classNames ?? []} /> : null}
      {error ? (
        <div className="train-error" data-testid="train-error" data-code={error.code} title={explainCode(error.code)}>
          {error.message}
        </div>
      ) : null}
    </div>
  );
}

const DEVICE_LABEL: Record<ComputeChoice, string> = { auto: 'Auto', cpu: 'CPU', gpu: 'GPU' };

/**
 * Where the project's runs train: Auto (the GPU when the engine has a real one and the model runs
 * on it entirely, else the CPU), or CPU / GPU forced. Saved with the project; the run header and
 * the status bar say what a run actually uses.
 */
function DeviceSelect({ device, disabled }: { device: ComputeChoice; disabled: boolean }) {
  const w = useWindow();
  return (
    <label className="train-field" title="Auto: the GPU when this engine has a real one (WebGPU) and every layer of the model has a GPU kernel, else the CPU. GPU: always the GPU (a software adapter too); refused, with the reason, when it cannot. CPU: always the CPU.">
        <span>Device</span>
        <select data-testid="train-device" data-value={device} value={device} disabled={disabled} onChange={(e) => w.editor.getState().setDevice(e.target.value as ComputeChoice)}>
          {ComputeChoice.options.map((c) => (
            <option key={c} value={c}>
              {DEVICE_LABEL[c]}
            </option>
          ))}
        </select>
      </label>
  );
}

/** Sanity check: can the design overfit 64 examples? */
function SanityCheck({ graph, disabled }: { graph: GraphIR; disabled: boolean }) {
  const w = useWindow();
  // A verdict belongs to the design it checked: an edit (or another design) hides it.
  const sanity = useRun((s) => (s.sanityGraph === graph ? s.sanity : undefined));
  return (
    <div className="sanity">
      <button type="button" data-testid="sanity-check" disabled={disabled || sanity === 'running'} onClick={() => void w.runs.sanityCheck(graph)} title="Train a fresh copy on 64 examples: a healthy model drives the loss to ~0">
        {sanity === 'running' ? 'Checking…' : 'Sanity check'}
      </button>
      {sanity && sanity !== 'running' ? (
        'error' in sanity ? (
          <span className="sanity__verdict sanity__verdict--fail" data-testid="sanity-verdict" data-passed="false">{sanity.error}</span>
        ) : (
          <span className={`sanity__verdict sanity__verdict--${sanity.passed ? 'pass' : 'fail'}`} data-testid="sanity-verdict" data-passed={String(sanity.passed)}>
            {sanity.passed ? '✓ ' : '✗ '}
            {sanity.verdict}
          </span>
        )
      ) : null}
    </div>
  );
}

/** The run's speed: as fast as possible, or a few steps a second to watch a toy set learn (applies at once to a live run). */
function PaceSelect() {
  const w = useWindow();
  const pace = useTrainUi((s) => s.pace);
  return (
    <select
      className="train-pace"
      data-testid="train-pace"
      data-value={pace}
      value={pace}
      aria-label="Speed"
      title="Training speed: as fast as the machine goes, or a few steps a second to watch the curves and the decision boundary form (changes a running run at once)"
      onChange={(e) => void w.runs.setPace(Number(e.target.value))}
    >
      {TRAIN_PACES.map((p) => (
        <option key={p} value={p}>
          {p === 0 ? 'max speed' : `${p} steps/s`}
        </option>
      ))}
    </select>
  );
}

/** Start, Pause, Resume, Step and Stop, each shown when it applies to this design's run. */
function RunButtons({ live, elsewhere, phase, startDisabled, blocked, onStart }: { live: boolean; elsewhere: boolean; phase: RunView['phase']; startDisabled: boolean; blocked: string | undefined; onStart: () => void }) {
  const w = useWindow();
  return (
    <>
      {!live ? (
        <button type="button" className="primary" data-testid="train-start" disabled={startDisabled} title={blocked ?? 'Start training'} data-blocked={blocked} onClick={onStart}>
          ▶ Start
        </button>
      ) : null}
      {phase === 'running' && !elsewhere ? (
        <button type="button" data-testid="train-pause" onClick={() => void w.runs.control('pause')}>
          ❚❚ Pause
        </button>
      ) : null}
      {phase === 'paused' && !elsewhere ? (
        <button type="button" className="primary" data-testid="train-resume" onClick={() => void w.runs.control('resume')}>
          ▶ Resume
        </button>
      ) : null}
      {(phase === 'paused' || phase === 'diverged') && !elsewhere ? (
        <button type="button" data-testid="train-step" onClick={() => void w.runs.control('step')} title="Train exactly one batch">
          Step
        </button>
      ) : null}
      {isLive(phase) && !elsewhere ? (
        <button type="button" data-testid="train-stop" onClick={() => void w.runs.control('stop')}>
          ■ Stop
        </button>
      ) : null}
    </>
  );
}

/** The dataset select (the built-in sets, the user's data, "Add data…") with the set's hint. */
function DatasetField({ training: t, disabled, onChange }: { training: TrainingConfig; disabled: boolean; onChange: (dataset: TrainingConfig['dataset']) => void }) {
  const w = useWindow();
  const userPath = userDataPath(t.dataset);
  const datasetHint = !userPath ? DATASETS.find((d) => d.name === t.dataset.name)?.hint : undefined;
  return (
    <label className="train-field train-field--wide">
      <span>Dataset</span>
      <span className="train-field__row">
        <select
          data-testid="train-dataset"
          value={userPath ? USER_DATA : t.dataset.name}
          disabled={disabled}
          onChange={(e) => (e.target.value === ADD_DATA ? w.addData.getState().open() : e.target.value !== USER_DATA && onChange({ ...t.dataset, name: e.target.value, options: undefined }))}
        >
          {userPath ? (
            <option value={USER_DATA} title={userPath}>
              {t.dataset.name}: {userPath.split(/[\\/]/).filter(Boolean).pop()}
            </option>
          ) : null}
          {userPath || DATASETS.some((d) => d.name === t.dataset.name) ? null : <option value={t.dataset.name}>{t.dataset.name}</option>}
          {DATASETS.map((d) => (
            <option key={d.name} value={d.name} title={d.doc}>
              {d.name}
            </option>
          ))}
          <option value={ADD_DATA}>Add data…</option>
        </select>
        <button type="button" className="train-field__add" data-testid="train-add-data" disabled={disabled} title="Train on your own data: a folder of images sorted by class, a table, NumPy arrays, or a text (.txt) for a design made for text" onClick={() => w.addData.getState().open()}>
          Add data…
        </button>
      </span>
      {datasetHint ? (
        <span className="train-field__hint" data-testid="dataset-hint">
          {datasetHint}
        </span>
      ) : null}
    </label>
  );
}

/** The loss the run minimises, or, with optimizer groups (a GAN), each group's loss as the project file sets it. */
function LossField({ training: t, losses, disabled, onChange }: { training: TrainingConfig; losses: readonly string[]; disabled: boolean; onChange: (loss: string) => void }) {
  if (t.groups?.length) {
    // Several optimizer groups (a GAN): each minimises its own loss, so one Loss select
    // would silently break the pairing; the groups are shown, edited in the project file.
    return (
      <div className="train-field" data-testid="train-groups" title="Optimizer groups, stepped in this order on every batch (docs/ir.md). The optimizer below applies to a group that names none.">
        <span>Loss per group</span>
        <div className="train-field__groups">
          {t.groups.map((g) => (
            <div key={g.name}>
              {g.name}: {Array.isArray(g.loss) ? g.loss.join(' + ') : g.loss}
              {g.optimizer ? ` · ${g.optimizer.kind} ${g.optimizer.lr}` : ''}
            </div>
          ))}
        </div>
      </div>
    );
  }
  return (
    <label className="train-field">
      <span>Loss</span>
      <select data-testid="train-loss" value={Array.isArray(t.loss) ? t.loss[0] : t.loss} disabled={disabled} onChange={(e) => onChange(e.target.value)}>
        {[...new Set([...(Array.isArray(t.loss) ? t.loss : [t.loss]), ...losses])].map((l) => (
          <option key={l}>{l}</option>
        ))}
      </select>
    </label>
  );
}

/** Every parameter of the chosen dataset, optimizer and schedule, generated from the engine's registries (scale is in the dataset panel). */
function MoreSettings({ training: t, disabled, set }: { training: TrainingConfig; disabled: boolean; set: (patch: Partial<TrainingConfig>) => void }) {
  const w = useWindow();
  const datasetSpec = DATASETS.find((d) => d.name === t.dataset.name);
  const optimizer = OPTIMIZERS.find((o) => o.kind === t.optimizer.kind);
  const schedule = SCHEDULES.find((k) => k.kind === (t.schedule ?? DEFAULT_SCHEDULE).kind);
  return (
    <details className="train-more" data-testid="train-more">
      <summary>More settings</summary>
      <div className="train-form">
        {datasetSpec ? (
          <SpecFields
            // (The test share is the dataset panel's, as a share of the data: `split`.)
            specs={Object.fromEntries(Object.entries(datasetSpec.options).filter(([k]) => k !== 'normalize' && k !== 'testSplit'))}
            values={t.dataset.options ?? {}}
            testPrefix="train-dataset"
            disabled={disabled}
            // Labelled texts: a tokenizer option changes what a sample is, so the Input (and the data's summary) follow in the same undo step.
            onCommit={(k, v) => (datasetSpec.labelled ? void w.addData.getState().retokenize({ [k]: v }) : set({ dataset: { ...t.dataset, options: { ...t.dataset.options, [k]: v } } }))}
          />
        ) : null}
        {optimizer ? (
          <SpecFields specs={optimizer.params} values={t.optimizer as unknown as Record<string, unknown>} testPrefix="train-optimizer" disabled={disabled} onCommit={(k, v) => set({ optimizer: { ...t.optimizer, [k]: v } as OptimizerConfig })} />
        ) : null}
        {schedule && t.schedule ? (
          <SpecFields specs={schedule.params} values={t.schedule as unknown as Record<string, unknown>} testPrefix="train-schedule" disabled={disabled} onCommit={(k, v) => set({ schedule: { ...t.schedule!, [k]: v } as ScheduleConfig })} />
        ) : null}
      </div>
    </details>
  );
}

/**
 * The app menu's Train commands (Electron: src-contracts/app-menu.ts), doing what this panel's
 * buttons do, when they would be offered; otherwise a notice says why not.
 */
function useTrainMenu(m: { canStart: boolean; why: string | undefined; phase: RunViewStore['phase']; elsewhere: boolean; start: () => Promise<void>; sanity: () => void }) {
  const w = useWindow();
  const { canStart, why, phase, elsewhere, start, sanity } = m;
  useEffect(() => {
    const unable = (what: string, reason: string) => w.session.getState().notify('info', `${what}: ${reason}.`);
    const offs = [
      handleMenuCommand('train-start', () => (canStart ? void start() : unable('Cannot start', why ?? 'a run is training'))),
      handleMenuCommand('train-pause', () => (phase === 'running' && !elsewhere ? void w.runs.control('pause') : unable('Nothing to pause', 'this design is not training'))),
      handleMenuCommand('train-stop', () => (isLive(phase) && !elsewhere ? void w.runs.control('stop') : unable('Nothing to stop', 'this design is not training'))),
      handleMenuCommand('sanity-check', () => (canStart ? sanity() : unable('Cannot run the sanity check', why ?? 'a run is training'))),
    ];
    return () => offs.forEach((off) => off());
  }, [canStart, why, phase, elsewhere, start, sanity, w.session, w.runs]);
}

/**
 * The train panel: the design's training settings (dataset with a preview, loss, optimizer,
 * schedule, batch size, epochs, seed — edits are undoable design edits), the run controls and
 * its progress.
 */
export function TrainPanel() {
  const w = useWindow();
  const graph = useEditor((s) => s.history.present.graph);
  const designErrors = useEditor((s) => s.analysis.diagnostics.some((d) => d.severity === 'error'));
  // A field that says no, or data the design does not take, blocks Start as a graph error does, with the reason.
  const settingProblems = useSettingProblems();
  // Where the run trains (the workspace remembers it): a target the registry cannot read blocks Start with its words.
  const [where, setWhere] = useState<WhereChoice>(rememberedWhere);
  const target = checkWhere(where);
  const blocked = startBlock(designErrors, settingProblems) ?? ('error' in target ? `Where: ${target.error}` : undefined);
  const errors = blocked !== undefined;
  const ready = useEngine((s) => s.state === 'ready');
  const phase = useRun((s) => s.phase);
  const t = graph.training;
  // Another project's run (it trains on while this design is open): this design is not training.
  const elsewhere = useRunElsewhere();
  const running = isLive(phase) || phase === 'starting';
  const live = running && !elsewhere;
  const set = (patch: Partial<TrainingConfig>) => w.editor.getState().edit({ kind: 'set-training', training: { ...(t ?? defaultTraining(graph)), ...patch } });
  const losses = graph.nodes.filter((n) => getOp(n.op)?.category === 'losses').map((n) => n.id);
  const scheduleKind = (t?.schedule ?? DEFAULT_SCHEDULE).kind as string;
  const optimizer = OPTIMIZERS.find((o) => o.kind === t?.optimizer.kind);
  const schedule = SCHEDULES.find((k) => k.kind === scheduleKind);
  const device = useEditor((s) => s.ui.device ?? 'auto');
  const client = useEngine((s) => s.client);
  const start = async () => {
    if (!('error' in target) && !target.here) return launchElsewhere(target.spec);
    // One run trains at a time: ending the other project's run is the user's call, asked here.
    if (running && elsewhere) {
      const s = w.run.getState();
      const name = w.editor.getState().file.name;
      const ok = await w.confirm.getState().ask(
        'Stop the other run?',
        `“${s.owner?.name ?? 'Another design'}” is still training (step ${s.progress?.step ?? 0}). One run trains at a time: training “${name}” stops that run. It stays in the Runs list with its curves and checkpoint, and can be resumed.`,
        'Stop it and train this design',
      );
      if (!ok) return;
    }
    void w.runs.start(graph, undefined, { probes: probeOptions(w.trainUi.getState()), pace: w.trainUi.getState().pace, backend: device });
  };
  /** Start on a target elsewhere (`runs.launch`): the run is the run store's, shown in Runs with its target and job id, where its row cancels it. */
  const launchElsewhere = async (spec: string) => {
    const notify = w.session.getState().notify;
    if (!client) return notify('error', 'The engine is not connected yet.');
    try {
      const r = await launchRun(client, graph, spec, w.editor.getState().file, device);
      notify('info', `Training on ${r.target} (job ${r.jobId}): it is listed in Runs while it trains.`);
      w.trainUi.getState().set({ tab: 'runs', open: true });
    } catch (e) {
      const err = e as Error & { code?: string };
      notify('error', `Could not train on ${spec}: ${err.message}`, err.code ? { code: err.code } : undefined);
    }
  };
  useTrainMenu({ canStart: ready && !!t && !errors && !live, why: !ready ? 'the engine is not ready' : !t ? 'the design has no training settings' : blocked, phase, elsewhere, start, sanity: () => void w.runs.sanityCheck(graph) });
  return (
    <div className="train-panel" data-testid="train-panel">
      <div className="train-controls">
        <RunButtons live={live} elsewhere={elsewhere} phase={phase} startDisabled={!ready || !t || errors} blocked={blocked} onStart={() => void start()} />
        <WhereField
          choice={where}
          disabled={live}
          onChange={(c) => {
            setWhere(c);
            rememberWhere(c);
          }}
        />
        <PaceSelect />
        {t ? <SanityCheck graph={graph} disabled={!ready || errors} /> : null}
      </div>
      {settingProblems.length && !live ? (
        <div className="train-blocked field__error" role="alert" data-testid="train-blocked">
          Start waits: {blocked}
        </div>
      ) : null}
      {elsewhere ? null : <ProgressView />}
      {t && !elsewhere && !live ? <EvaluateModel graph={graph} disabled={!ready || errors} /> : null}
      {/* Kept mounted while a run trains (disabled), so the range the user set stays. */}
      {t && !elsewhere ? <LrFinder graph={graph} disabled={!ready || errors || running} /> : null}
      {t ? <SweepForm graph={graph} disabled={!ready || errors || running} /> : null}
      {!t ? (
        <div className="train-panel__empty">
          This design has no training settings.{' '}
          <button type="button" data-testid="train-add-settings" onClick={() => addTrainingSettings(w)}>
            Add settings
          </button>
        </div>
      ) : (
        <>
          <div className="train-form">
            <DatasetField training={t} disabled={live} onChange={(dataset) => set({ dataset })} />
            <StartFromSelect training={t} disabled={live} onChange={(startFrom) => set({ startFrom })} />
            <LossField training={t} losses={losses} disabled={live} onChange={(loss) => set({ loss })} />
            <label className="train-field" title={optimizer?.doc}>
              <span>Optimizer</span>
              <select data-testid="train-optimizer" data-value={t.optimizer.kind} value={t.optimizer.kind} disabled={live} onChange={(e) => set({ optimizer: { kind: e.target.value, lr: t.optimizer.lr } as OptimizerConfig })}>
                {OPTIMIZERS.map((o) => (
                  <option key={o.kind} value={o.kind} title={o.doc}>
                    {o.kind}
                  </option>
                ))}
              </select>
            </label>
            <NumberField label="Learning rate" testId="train-lr" value={t.optimizer.lr} setting={TRAINING_NUMBERS.lr} disabled={live} onCommit={(lr) => set({ optimizer: { ...t.optimizer, lr } })} />
            <label className="train-field" title={schedule?.doc}>
              <span>LR schedule</span>
              <select data-testid="train-schedule" value={scheduleKind} disabled={live} onChange={(e) => w.editor.getState().edit({ kind: 'set-training', training: withSchedule(t, e.target.value as ScheduleConfig['kind']) })}>
                {SCHEDULES.map((k) => (
                  <option key={k.kind} value={k.kind} title={k.doc}>
                    {k.kind}
                  </option>
                ))}
              </select>
            </label>
            <NumberField label="Batch size" testId="train-batch" value={t.batchSize} setting={TRAINING_NUMBERS.batchSize} disabled={live} onCommit={(batchSize) => set({ batchSize })} />
            <NumberField label="Epochs" testId="train-epochs" value={t.epochs} setting={TRAINING_NUMBERS.epochs} disabled={live} onCommit={(epochs) => set({ epochs })} />
            <NumberField label="Seed" testId="train-seed" value={t.seed} setting={TRAINING_NUMBERS.seed} disabled={live} onCommit={(seed) => set({ seed })} />
            <label className="train-field" title="How validation and test run. eval(): Dropout off, BatchNorm on its running statistics (what PyTorch's model.eval() does). Forgotten: both stay in training mode, as when model.eval() is left out.">
              <span>Evaluate</span>
              <select data-testid="train-evaluation" data-value={t.evaluation ?? 'eval'} value={t.evaluation ?? 'eval'} disabled={live} onChange={(e) => set({ evaluation: e.target.value === 'train' ? 'train' : undefined })}>
                <option value="eval">in eval() mode</option>
                <option value="train">eval() forgotten</option>
              </select>
            </label>
            {graph.nodes.some((n) => n.frozen === true && getOp(n.op)?.buffers) && (
              <label
                className="train-field"
                title="How a frozen BatchNorm runs in training steps. eval(): with its running statistics, left unchanged (Keras runs a layer with trainable = False so; the PyTorch export calls .eval() on it after model.train()). Training mode: with each batch's statistics, updating its running ones. Its weight and bias stay frozen either way."
              >
                <span>Frozen BatchNorm</span>
                <select data-testid="train-frozen-batchnorm" data-value={t.frozenBatchNorm ?? 'eval'} value={t.frozenBatchNorm ?? 'eval'} disabled={live} onChange={(e) => set({ frozenBatchNorm: e.target.value === 'train' ? 'train' : undefined })}>
                  <option value="eval">in eval() mode</option>
                  <option value="train">in training mode</option>
                </select>
              </label>
            )}
            <DeviceSelect device={device} disabled={live} />
          </div>
          <DatasetFields dataset={t.dataset} disabled={live} onChange={(dataset) => set({ dataset })} />
          <EarlyStoppingFields training={t} disabled={live} onChange={(earlyStopping) => set({ earlyStopping })} />
          <MoreSettings training={t} disabled={live} set={set} />
          <DatasetPreviewView dataset={withInputShape(t.dataset, graph)} />
        </>
      )}
    </div>
  );
}
