import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { metricsBySplit } from '../core/metrics/by-split';
import { join } from 'node:path';
import { frameRecord, readRecords } from '../app/runs/records';
import { afterRewinds, recordReplacer, type CheckpointExtras, type CheckpointKind, type RunSink } from '../app/runs/recorder';
import { checkpointFromJSON, checkpointToJSON, type CheckpointJSON } from '../core/train/checkpoint';
import type { Checkpoint } from '../core/train/types';
import { modelFromCheckpoint, type TrainedModel } from '../core/export/model';
import type { RunMeta, RunRecord, RunStatus, RunSummary, RunSettings } from '../app/runs/types';
import type { GraphIR } from '../base/ir/types';

export interface RunStoreOptions {
  /** Write buffered records at least this often (ms, default 250): a kill -9 loses at most that much. */
  flushMs?: number;
  /** Whether a process is alive (injected by tests). */
  isAlive?: (pid: number) => boolean;
}

export interface OpenedRun {
  meta: RunMeta;
  graph: GraphIR;
  records: RunRecord[];
  /** Set when the log's tail was torn or damaged: what was kept and what was dropped. */
  note?: string;
}

const RUN_ID = /^\d{8}-\d{6}-[0-9a-z]{4}$/;

/**
 * Every run, kept in a folder the user can see and back up (docs/runs.md):
 * `<dir>/<runId>/run.json` (meta, rewritten atomically), `graph.json` (the exact IR trained) and
 * `log.nwr` (append-only framed records with CRC-32C: steps, epochs, probe frames, events).
 * A run whose writer died shows as `crashed`, with every record written before the crash.
 *
 * @example
 * ```ts
 * const store = new RunStore(join(dataDir, 'runs'));
 * const run = store.create({ graph, settings, name: 'adam lr 1e-3' });
 * run.append({ kind: 'step', step: 1, epoch: 1, loss: 2.3, lr: 1e-3, t: 0.01 });
 * run.finish('done', summary);
 * store.list(); // newest first
 * ```
 */
export class RunStore {
  private readonly isAlive: (pid: number) => boolean;

  constructor(
    readonly dir: string,
    private readonly options: RunStoreOptions = {},
  ) {
    this.isAlive = options.isAlive ?? processAlive;
  }

  /** Start recording a run: its meta (status `running`), its graph, and an empty log. */
  create(init: { graph: GraphIR; settings: RunSettings; name?: string; notes?: string; sweep?: RunMeta['sweep']; project?: string; resumedFrom?: RunMeta['resumedFrom']; now?: Date }): RunWriter {
    mkdirSync(this.dir, { recursive: true });
    const now = init.now ?? new Date();
    let id = runId(now);
    while (existsSync(join(this.dir, id))) id = runId(now);
    const folder = join(this.dir, id);
    mkdirSync(folder);
    const meta: RunMeta = {
      format: 'netwright.run',
      version: 1,
      id,
      name: init.name ?? init.graph.name ?? 'run',
      notes: init.notes ?? '',
      createdAt: now.toISOString(),
      status: 'running',
      pid: process.pid,
      settings: init.settings,
      ...(init.sweep ? { sweep: init.sweep } : {}),
      ...(init.project ? { project: init.project } : {}),
      ...(init.resumedFrom ? { resumedFrom: init.resumedFrom } : {}),
    };
    writeAtomic(join(folder, 'graph.json'), JSON.stringify(init.graph));
    writeAtomic(join(folder, 'run.json'), JSON.stringify(meta, null, 1));
    return new RunWriter(folder, meta, this.options.flushMs ?? 250);
  }

  /** Every stored run's meta, newest first. Runs whose writer is gone are marked `crashed`. */
  list(): RunMeta[] {
    if (!existsSync(this.dir)) return [];
    const out: RunMeta[] = [];
    for (const id of readdirSync(this.dir)) {
      if (!RUN_ID.test(id)) continue;
      const meta = this.readMeta(id);
      if (meta) out.push(meta);
    }
    return out.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? 1 : -1));
  }

  /** A run with its graph and every intact record (as they stand after the run's rewinds: `afterRewinds`). */
  open(id: string): OpenedRun {
    const meta = this.readMeta(id);
    if (!meta) throw runError('RUN_NOT_FOUND', `There is no stored run "${id}".`);
    const folder = join(this.dir, id);
    const graph = JSON.parse(readFileSync(join(folder, 'graph.json'), 'utf8')) as GraphIR;
    const log = join(folder, 'log.nwr');
    const bytes = existsSync(log) ? readFileSync(log) : new Uint8Array(0);
    const read = readRecords(bytes);
    const dec = new TextDecoder();
    const records: RunRecord[] = [];
    let bad = 0;
    for (const r of read.records) {
      try {
        records.push(isFrame(r) ? lazyFrame(r, dec) : (JSON.parse(dec.decode(r)) as RunRecord));
      } catch {
        bad++;
      }
    }
    const notes: string[] = [];
    if (read.problem) {
      notes.push(
        `The run's log ends in ${read.problem === 'truncated' ? 'a record cut short (the run was interrupted while writing)' : 'a damaged record'}; ` +
          `the ${records.length} records before it are shown and the last ${read.droppedBytes} bytes were left out.`,
      );
    }
    if (bad) notes.push(`${bad} records could not be read and were skipped.`);
    return { meta, graph, records: afterRewinds(records), ...(notes.length ? { note: notes.join(' ') } : {}) };
  }

  /** Rename a run or change its notes. */
  update(id: string, patch: { name?: string; notes?: string }): RunMeta {
    const meta = this.readMeta(id);
    if (!meta) throw runError('RUN_NOT_FOUND', `There is no stored run "${id}".`);
    const next = { ...meta, ...(patch.name !== undefined ? { name: patch.name } : {}), ...(patch.notes !== undefined ? { notes: patch.notes } : {}) };
    writeAtomic(join(this.dir, id, 'run.json'), JSON.stringify(next, null, 1));
    return next;
  }

  /**
   * A run's last or best checkpoint as a model: the stored graph, the checkpoint's weights and
   * buffers, the normalisation and class names, and the run's final metrics.
   *
   * @throws `RUN_NOT_FOUND`, or `E_RUN_NO_CHECKPOINT` when the run kept none (it stopped before
   *   its first epoch ended, or was recorded before checkpoints were kept).
   */
  model(id: string, which: CheckpointKind): TrainedModel {
    const meta = this.readMeta(id);
    if (!meta) throw runError('RUN_NOT_FOUND', `There is no stored run "${id}".`);
    const file = join(this.dir, id, `checkpoint-${which}.json`);
    if (!existsSync(file)) {
      throw runError('E_RUN_NO_CHECKPOINT', `Run "${meta.name}" has no ${which} checkpoint: it ended before its first epoch did, or was recorded by an older Netwright. Train it again to export it.`);
    }
    const json = JSON.parse(readFileSync(file, 'utf8')) as CheckpointJSON & Partial<CheckpointExtras>;
    const graph = JSON.parse(readFileSync(join(this.dir, id, 'graph.json'), 'utf8')) as GraphIR;
    const ck = checkpointFromJSON(json);
    return modelFromCheckpoint(graph, ck, {
      ...(json.normalization ? { normalization: json.normalization } : {}),
      ...(json.classNames?.length ? { classNames: json.classNames } : {}),
      metrics: { ...(meta.summary?.metrics ?? {}), ...(which === 'best' ? recordable(ck.metrics) : {}) },
      origin: { runId: id, which },
    });
  }

  /**
   * Where a run can be continued from: its graph, settings and last epoch-end checkpoint with the
   * optimizer and schedule state (docs/runs.md, "Resume and continue"). Feed it to the training
   * loop's `resumeFrom`.
   *
   * @throws `RUN_NOT_FOUND`; `E_RUN_NO_CHECKPOINT` when the run kept none (it ended before its
   *   first epoch did); `E_RUN_CHECKPOINT_CORRUPT` when the file is not a readable checkpoint
   *   (torn, edited, bad base64, tensors of a size that is not whole float32 values).
   */
  resumePoint(id: string): { meta: RunMeta; graph: GraphIR; checkpoint: Checkpoint } {
    const meta = this.readMeta(id);
    if (!meta) throw runError('RUN_NOT_FOUND', `There is no stored run "${id}".`);
    const file = join(this.dir, id, 'checkpoint-last.json');
    if (!existsSync(file)) {
      throw runError('E_RUN_NO_CHECKPOINT', `Run "${meta.name}" has no checkpoint to resume from: it ended before its first epoch did. Train it again instead.`);
    }
    let checkpoint: Checkpoint;
    try {
      const json = JSON.parse(readFileSync(file, 'utf8')) as CheckpointJSON;
      checkpoint = checkpointFromJSON(json);
      if (!Number.isInteger(checkpoint.epoch) || !Number.isInteger(checkpoint.step) || !checkpoint.optimizer || typeof checkpoint.optimizer.slots !== 'object') throw new Error('fields missing');
    } catch (err) {
      throw runError('E_RUN_CHECKPOINT_CORRUPT', `Run "${meta.name}"'s checkpoint cannot be read (${(err as Error).message.replace(/^[A-Z_]+: /, '')}); it cannot be resumed. Train it again instead.`);
    }
    const graph = JSON.parse(readFileSync(join(this.dir, id, 'graph.json'), 'utf8')) as GraphIR;
    return { meta, graph, checkpoint };
  }

  /** Delete a run's folder. */
  remove(id: string): void {
    if (!RUN_ID.test(id)) throw runError('RUN_NOT_FOUND', `There is no stored run "${id}".`);
    rmSync(join(this.dir, id), { recursive: true, force: true });
  }

  private readMeta(id: string): RunMeta | null {
    if (!RUN_ID.test(id)) return null;
    const file = join(this.dir, id, 'run.json');
    let meta: RunMeta;
    try {
      meta = JSON.parse(readFileSync(file, 'utf8')) as RunMeta;
    } catch {
      return null;
    }
    if (meta.format !== 'netwright.run' || meta.id !== id) return null;
    if (meta.summary) meta = { ...meta, summary: { ...meta.summary, metrics: metricsBySplit(meta.summary.metrics) ?? {} } };
    if (meta.status === 'running' && !this.isAlive(meta.pid)) {
      meta = { ...meta, status: 'crashed' };
      try {
        writeAtomic(file, JSON.stringify(meta, null, 1));
      } catch {
        // A read-only store still shows the run as crashed.
      }
    }
    return meta;
  }
}

/** Appends one run's records; buffered, written at least every `flushMs`. */
export class RunWriter implements RunSink {
  private fd: number | null;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly enc = new TextEncoder();

  constructor(
    readonly folder: string,
    private meta: RunMeta,
    private readonly flushMs: number,
  ) {
    this.fd = openSync(join(folder, 'log.nwr'), 'a');
  }

  get id(): string {
    return this.meta.id;
  }

  append(record: RunRecord): void {
    if (this.fd === null) return;
    const framed = frameRecord(this.enc.encode(JSON.stringify(record, recordReplacer)));
    this.pending.push(framed);
    this.pendingBytes += framed.length;
    this.timer ??= setTimeout(() => this.flush(), this.flushMs);
  }

  /** Write what is buffered (one write call). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.fd === null || this.pending.length === 0) return;
    const all = new Uint8Array(this.pendingBytes);
    let at = 0;
    for (const p of this.pending) {
      all.set(p, at);
      at += p.length;
    }
    this.pending = [];
    this.pendingBytes = 0;
    writeSync(this.fd, all);
  }

  /**
   * Keep the run's last or best checkpoint: `checkpoint-last.json` / `checkpoint-best.json`
   * (the training checkpoint format, base64 float32, plus normalisation and class names), written
   * to a temp file, synced and renamed: a crash leaves the previous one whole.
   */
  checkpoint(which: CheckpointKind, ck: Checkpoint, extras: CheckpointExtras): void {
    writeAtomic(join(this.folder, `checkpoint-${which}.json`), JSON.stringify({ ...checkpointToJSON(ck), normalization: extras.normalization, classNames: extras.classNames }));
  }

  /** End the run: flush, sync the log to disk, and record its status and summary. */
  finish(status: Exclude<RunStatus, 'running' | 'crashed'>, summary?: RunSummary): RunMeta {
    this.flush();
    if (this.fd !== null) {
      fsyncSync(this.fd);
      closeSync(this.fd);
      this.fd = null;
    }
    this.meta = { ...this.meta, status, endedAt: new Date().toISOString(), ...(summary ? { summary } : {}) };
    writeAtomic(join(this.folder, 'run.json'), JSON.stringify(this.meta, null, 1));
    return this.meta;
  }
}

const FRAME_PREFIX = new TextEncoder().encode('{"kind":"frame",');

function isFrame(r: Uint8Array): boolean {
  if (r.length < FRAME_PREFIX.length) return false;
  for (let i = 0; i < FRAME_PREFIX.length; i++) if (r[i] !== FRAME_PREFIX[i]) return false;
  return true;
}

/**
 * A frame record whose (large) `frame` is parsed when first read: opening a long run costs the
 * steps' parse, not the frames' (most of the bytes). `step` and `t` come from the record's head,
 * which `RunWriter.append` writes first.
 */
function lazyFrame(r: Uint8Array, dec: InstanceType<typeof TextDecoder>): RunRecord {
  const head = /^\{"kind":"frame","step":(-?\d+),"t":([-+.\deE]+),/.exec(dec.decode(r.subarray(0, 80)));
  if (!head) return JSON.parse(dec.decode(r)) as RunRecord;
  let frame: unknown;
  let parsed = false;
  return {
    kind: 'frame',
    step: Number(head[1]),
    t: Number(head[2]),
    get frame() {
      if (!parsed) {
        frame = (JSON.parse(dec.decode(r)) as { frame: unknown }).frame;
        parsed = true;
      }
      return frame;
    },
  };
}

/** Write to a temp file beside the target, sync it, then rename over the target. */
function writeAtomic(target: string, text: string): void {
  const tmp = `${target}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, target);
}

function runId(now: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const stamp = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  return `${stamp}-${Math.floor(Math.random() * 36 ** 4).toString(36).padStart(4, '0')}`;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Metric values with NaN/Inf as null, as run.json keeps them. */
function recordable(m: Checkpoint['metrics']): Record<string, Record<string, unknown>> {
  return JSON.parse(JSON.stringify(m, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))) as Record<string, Record<string, unknown>>;
}

function runError(code: string, message: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

export type { RunMeta, RunRecord, RunStatus, RunSummary, RunSettings };
