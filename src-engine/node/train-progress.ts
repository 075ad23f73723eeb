/**
 * What `netwright train` prints: what the user's data held, and the run's events — progress lines
 * (at most one a second), each epoch, the end, failures — or one JSON line each under `--json`.
 */
import type { SourceReport } from '../core/data';
import type { MetricValues } from '../core/metrics';
import { baselineVerdict, type Baselines } from '../core/metrics/baselines';
import type { DataSkipped, TrainerEvent } from '../core/train';
import { cliErrorText } from '../base/errors';
import { metricReportText } from './metric-report';

/** Where the CLI prints: progress on `out`, problems on `err`; every line JSON under `--json`. */
export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  json: boolean;
}

/** Print what the user's data held: counts, skipped files with why, notes (`--json`: one `data` event). */
export function reportData(r: SourceReport, json: boolean, out: (s: string) => void, err: (s: string) => void): void {
  if (json) {
    out(JSON.stringify({ type: 'data', ...r }) + '\n');
    return;
  }
  const classes = r.classCounts ? Object.entries(r.classCounts) : [];
  out(`data: ${r.kind}, ${r.files} file${r.files === 1 ? '' : 's'}${classes.length ? `, ${classes.length} classes (${classes.slice(0, 10).map(([k, v]) => `${k} ${v}`).join(', ')}${classes.length > 10 ? ', …' : ''})` : ''}, fingerprint ${r.fingerprint.slice(0, 12)}\n`);
  for (const n of r.notes) out(`  ${n}\n`);
  if (r.skipped.length) {
    err(`skipped ${r.skipped.length} file${r.skipped.length === 1 ? '' : 's'}:\n`);
    for (const s of r.skipped.slice(0, 20)) err(`  ${s.path}: ${s.reason}\n`);
    if (r.skipped.length > 20) err(`  … and ${r.skipped.length - 20} more (--json lists them all)\n`);
  }
}

/**
 * The trainer's events as the CLI prints them: one JSON line each under `--json`, else progress
 * lines (at most one a second), the test split's report (`classNames` name a classifier's rows). `baselines`, asked at the end: the done record carries them
 * (`baselines: { name: { metric: test value } }`, with their validation figures and notes in
 * `baselineDetails`), and the summary lists them with a sentence when the network does worse (#83).
 */
export function progressPrinter(io: Io, started: number, baselines?: () => (Baselines & { metrics: readonly string[] }) | undefined, classNames?: readonly string[]): (e: TrainerEvent) => void {
  let lastLine = 0;
  const warnSkipped = (s: DataSkipped | undefined, when: string) => {
    if (s) io.err(`warning DATA_IMAGE_UNREADABLE: ${s.count} image${s.count === 1 ? '' : 's'} could not be read ${when} and ${s.count === 1 ? 'was' : 'were'} fed as zeros: ${s.files.slice(0, 3).map((f) => `${f.path} (${f.reason})`).join('; ')}${s.count > 3 ? '; …' : ''}\n`);
  };
  return (e) => {
    if (e.type === 'done' && baselines) return printDone(io, e, started, baselines(), warnSkipped, classNames);
    if (io.json) return io.out(JSON.stringify(e) + '\n');
    if (e.type === 'progress') {
      const now = Date.now();
      if (now - lastLine < 1000 && e.stepInEpoch !== e.stepsPerEpoch) return;
      lastLine = now;
      io.out(`epoch ${e.epoch}/${e.epochs}  step ${e.stepInEpoch}/${e.stepsPerEpoch}  loss ${e.loss.toFixed(4)}${groupLosses(e.groupLosses)}  lr ${e.lr.toPrecision(3)}  ${Math.round(e.samplesPerSec)} samples/s  ETA ${formatSeconds(e.etaSeconds)}\n`);
    } else if (e.type === 'epoch') {
      io.out(`epoch ${e.epoch}/${e.epochs} done in ${e.seconds.toFixed(1)} s  train ${metricSummary(e.train)}${e.val ? `  val ${metricSummary(e.val)}` : ''}${e.best ? '  (best)' : ''}\n`);
      warnSkipped(e.dataSkipped, 'this epoch');
    } else if (e.type === 'done') {
      io.out(`\n${e.reason} after ${e.epochs} epoch${e.epochs === 1 ? '' : 's'}, ${e.steps} steps, ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
      if (e.test) io.out(`test (epoch ${e.evaluatedEpoch} weights): ${metricSummary(e.test)}\n${metricReportText(e.test, classNames ?? [])}`);
      warnSkipped(e.dataSkipped, 'since the last epoch');
    } else if (e.type === 'error') {
      io.err(cliErrorText(e.code, e.message));
    } else if ((e.type === 'features' && e.state !== 'computing') || e.type === 'resident-data') {
      io.out(`${e.message}\n`);
    }
  };
}

/** The done event with the run's baselines beside its test figures (JSON: one `done` line; else the summary, each baseline, the verdict). */
function printDone(io: Io, e: Extract<TrainerEvent, { type: 'done' }>, started: number, b: (Baselines & { metrics: readonly string[] }) | undefined, warnSkipped: (s: DataSkipped | undefined, when: string) => void, classNames?: readonly string[]): void {
  const verdict = b ? baselineVerdict(e.test, b, b.metrics) : undefined;
  if (io.json) {
    io.out(JSON.stringify({ ...e, ...baselineFields(b, verdict) }) + '\n');
    return;
  }
  io.out(`\n${e.reason} after ${e.epochs} epoch${e.epochs === 1 ? '' : 's'}, ${e.steps} steps, ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  if (e.test) io.out(`test (epoch ${e.evaluatedEpoch} weights): ${metricSummary(e.test)}\n${metricReportText(e.test, classNames ?? [])}`);
  printBaselines(io, b, verdict);
  warnSkipped(e.dataSkipped, 'since the last epoch');
}

/** A done record's baselines (`--json`): their test figures by name, all they measured, the verdict. */
export function baselineFields(b: (Baselines & { metrics: readonly string[] }) | undefined, verdict: string | undefined) {
  return b ? { baselines: Object.fromEntries(Object.entries(b.scores).map(([k, v]) => [k, v.test])), baselineDetails: b, ...(verdict ? { verdict } : {}) } : {};
}

/** The summary's baselines, each on a line beside the run's test figures, and the verdict. */
export function printBaselines(io: Io, b: (Baselines & { metrics: readonly string[] }) | undefined, verdict: string | undefined): void {
  if (b && Object.keys(b.scores).length) {
    io.out('baselines on the same test split:\n');
    for (const [name, s] of Object.entries(b.scores)) io.out(`  ${name.padEnd(15)} ${metricSummary(s.test, false)}${s.note ? `  (${s.note})` : ''}\n`);
    for (const s of b.skipped) io.out(`  ${s.name.padEnd(15)} left out: ${s.reason}\n`);
  }
  if (verdict) io.out(`${verdict}\n`);
}

/** One line of metrics: `loss 0.0712  acc 97.90%  F1 0.979` (the evaluate CLI prints the same); `withLoss` false for a baseline's (it has none). */
export function metricSummary(m: Partial<MetricValues>, withLoss = true): string {
  const parts = withLoss && m.loss !== undefined ? [`loss ${m.loss.toFixed(4)}`] : [];
  if (m.accuracy !== undefined) parts.push(`acc ${(100 * m.accuracy).toFixed(2)}%`);
  if (m['pixel-accuracy'] !== undefined) parts.push(`pixel acc ${(100 * m['pixel-accuracy']).toFixed(2)}%`);
  if (m['mean-iou'] !== undefined) parts.push(`mIoU ${m['mean-iou'].toFixed(3)}`);
  if (m.f1 !== undefined) parts.push(`F1 ${m.f1.toFixed(3)}`);
  if (m['roc-auc'] !== undefined) parts.push(`AUC ${m['roc-auc'].toFixed(3)}`);
  if (m.mse !== undefined) parts.push(`MSE ${m.mse.toFixed(5)}`);
  if (m.mae !== undefined) parts.push(`MAE ${m.mae.toFixed(5)}`);
  if (m.r2 !== undefined) parts.push(`R² ${m.r2.toFixed(3)}`);
  if (m.psnr !== undefined) parts.push(`PSNR ${m.psnr.toFixed(2)} dB`);
  return parts.join('  ');
}

/** `  (discriminator 0.693, generator 0.701)` for runs with optimizer groups. */
function groupLosses(g: Record<string, number> | undefined): string {
  return g ? `  (${Object.entries(g).map(([k, v]) => `${k} ${v.toPrecision(3)}`).join(', ')})` : '';
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`;
}
