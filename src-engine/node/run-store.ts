import { randomUUID } from 'node:crypto';
import { closeSync, constants, existsSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { metricsBySplit } from '../core/metrics/by-split';
import { mib } from '../core/data/types';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describeIssues, ProbeSamples, RUN_NAME_MAX, RUN_PROJECT_MAX, RunMetaSchema, StoredFrame, type StartInfo } from '../protocol';
import { openRegularFile, readRegularFile, RegularFileError, type RegularFile } from './regular-file';
import { frameRecord, readRecords } from '../app/runs/records';
import { PNG } from 'pngjs';
import { fileVersionEvent, frameEvent, graphEvent, hparamsEndEvent, hparamsStartEvent, imagesEvent, recordScalars, scalarEvents, splitScalars, textsEvent, TF_IMAGE_EVERY_S, tfEventsFileName, type PngEncoder } from '../app/runs/tf-events';
import { frameImages, type TfImage } from '../app/runs/tf-images';
import { frameTexts, type TfText } from '../app/runs/tf-texts';
import { afterRewinds, recordReplacer, type CheckpointExtras, type CheckpointKind, type RunSink } from '../app/runs/recorder';
import { checkpointFromJSON, checkpointToJSON, type CheckpointJSON, type TensorRef } from '../core/train/checkpoint';
import type { Checkpoint } from '../core/train/types';
import { modelFromCheckpoint, type TrainedModel } from '../core/export/model';
import type { DamagedRun, RunListing, RunMeta, RunEnd, RunRecord, RunStatus, RunSummary, RunSettings } from '../app/runs/types';
import type { GraphIR } from '../base/ir/types';
import type { ErrorCode } from '../base/errors';
import { jobMayRun } from './job-files';
import { processAlive, processStartTime } from './process-info';

export { processAlive, processStartTime };

export interface RunStoreOptions {
  /** Write buffered records at least this often (ms, default 250): a kill -9 loses at most that much. */
  flushMs?: number;
  /** Whether a process is alive (injected by tests). */
  isAlive?: (pid: number) => boolean;
  /** When a process started (ms since 1970), where the OS says (injected by tests). */
  processStart?: (pid: number) => number | undefined;
}

/**
 * The most the store reads of each file of a run (bytes): anything larger is refused, not read.
 * A run's `run.json` is small (its notes are at most 100,000 characters); `graph.json` is held to
 * a project file's limit; a log to what Node's `readFileSync` read before (2 GiB); a checkpoint is
 * parsed as one string, which V8 keeps under 512 MiB.
 */
export const RUN_FILE_LIMITS = { meta: 4 * 2 ** 20, graph: 64 * 2 ** 20, log: 2 ** 31 - 1, checkpoint: 512 * 2 ** 20 } as const;

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
 * `log.nwr` (append-only framed records with CRC-32C: steps, epochs, probe frames, events), and
 * `events.out.tfevents.*` (the run's scalars and hyperparameters, for TensorBoard).
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
  private readonly processStart: (pid: number) => number | undefined;

  constructor(
    readonly dir: string,
    private readonly options: RunStoreOptions = {},
  ) {
    this.isAlive = options.isAlive ?? processAlive;
    this.processStart = options.processStart ?? processStartTime;
  }

  /** Start recording a run: its meta (status `running`), its graph, and an empty log. */
  create(init: { graph: GraphIR; settings: RunSettings; name?: string; notes?: string; sweep?: RunMeta['sweep']; project?: string; projectId?: string; resumedFrom?: RunMeta['resumedFrom']; target?: RunMeta['target']; now?: Date }): RunWriter {
    try {
      mkdirSync(this.dir, { recursive: true });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'error';
      // EEXIST, ENOTDIR: a file (or /dev/null) where the folder, or one on its way, would be.
      const why = code === 'EEXIST' || code === 'ENOTDIR' ? 'a file is in the way; name a folder for the runs (it is made if missing)' : "the run store's folder is read-only or the disk is full";
      throw runError('E_RUN_WRITE', `The run folder ${this.dir} could not be made (${code}): ${why}.`);
    }
    const now = init.now ?? new Date();
    let id = runId(now);
    while (existsSync(join(this.dir, id))) id = runId(now);
    const folder = join(this.dir, id);
    // Filled beside the store and renamed into place: a run folder always has its run.json.
    const filling = join(this.dir, `.${id}.${process.pid}.tmp`);
    mkdirSync(filling);
    const meta: RunMeta = {
      format: 'netwright.run',
      version: 1,
      id,
      // A design's name is as long as its author made it; a sweep's adds what it varied.
      name: capText(init.name ?? init.graph.name ?? 'run', RUN_NAME_MAX),
      notes: init.notes ?? '',
      createdAt: now.toISOString(),
      status: 'running',
      pid: process.pid,
      writer: thisWriter(),
      settings: init.settings,
      ...(init.sweep ? { sweep: init.sweep } : {}),
      ...(init.project ? { project: capText(init.project, RUN_PROJECT_MAX) } : {}),
      ...(init.projectId ? { projectId: init.projectId } : {}),
      ...(init.resumedFrom ? { resumedFrom: init.resumedFrom } : {}),
      ...(init.target ? { target: init.target } : {}),
    };
    try {
      writeAtomic(join(filling, 'graph.json'), JSON.stringify(init.graph));
      writeAtomic(join(filling, 'run.json'), JSON.stringify(meta, null, 1));
      renameSync(filling, folder);
    } catch (e) {
      rmSync(filling, { recursive: true, force: true });
      throw e;
    }
    return new RunWriter(folder, meta, init.graph, this.options.flushMs ?? 250);
  }

  /**
   * Take over recording a run trained elsewhere whose follower has gone (the app closed or the
   * engine restarted while its job ran on): `run.json` names this process as its writer again,
   * `running`, and records are appended after those already in its log, which come back with the
   * writer. Refused (`E_RUN_NOT_RUNNING`) for a run with no target, one that ended, or one whose
   * writer is still alive.
   */
  adopt(id: string): { writer: RunWriter; records: RunRecord[]; graph: GraphIR } {
    const run = this.open(id);
    const m = run.meta;
    if (!this.unfollowed(m)) throw runError('E_RUN_NOT_RUNNING', `Run ${id} is ${m.status}${m.target ? '' : ' and trained in the engine'}: there is no job to follow again.`);
    const { endedAt: _ended, ...rest } = m;
    const meta: RunMeta = { ...rest, status: 'running', pid: process.pid, writer: thisWriter() };
    writeAtomic(join(this.dir, id, 'run.json'), JSON.stringify(meta, null, 1));
    // Appended to the run's own TensorBoard file: TensorBoard reads every file of the folder, and a second one would show each step twice.
    return { writer: new RunWriter(join(this.dir, id), meta, run.graph, this.options.flushMs ?? 250, { adopted: true }), records: run.records, graph: run.graph };
  }

  /**
   * Whether `meta` is a run trained elsewhere that nobody follows now (its follower gone: the
   * command killed, the app closed, a connection lost): `crashed` (its job ended unrecorded, or
   * recorded so by an older Netwright), or `running` while its job may run on (`jobMayRun`).
   * Such a run is followed again (`adopt`), never another process's.
   */
  unfollowed(meta: RunMeta): boolean {
    return meta.target !== undefined && (meta.status === 'crashed' || (meta.status === 'running' && !this.writerAlive(meta)));
  }

  /**
   * Every stored run's meta, newest first. Runs whose writer is gone are marked `crashed`, but for
   * a run trained elsewhere whose job may run on (`unfollowed`), which stays `running`.
   */
  list(): RunMeta[] {
    return this.scan().runs;
  }

  /**
   * `list()`, and every run folder whose `run.json` cannot be read or does not fit the protocol's
   * `RunMetaSchema` (missing, torn, edited, out of range, a link or device, too large), each with
   * why: one damaged run is listed as such, so it can be deleted, and hides no other.
   */
  scan(): RunListing {
    if (!existsSync(this.dir)) return { runs: [], damaged: [] };
    const runs: RunMeta[] = [];
    const damaged: DamagedRun[] = [];
    for (const id of readdirSync(this.dir)) {
      if (!RUN_ID.test(id)) continue;
      const read = this.readMeta(id);
      if ('meta' in read) runs.push(read.meta);
      else damaged.push({ id, reason: read.damaged });
    }
    runs.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? 1 : -1));
    damaged.sort((a, b) => (a.id < b.id ? 1 : -1));
    return { runs, damaged };
  }

  /** A run with its graph and every intact record (as they stand after the run's rewinds: `afterRewinds`). */
  open(id: string): OpenedRun {
    const meta = this.meta(id);
    const graph = this.graph(meta);
    const bytes = this.file(id, 'log.nwr', RUN_FILE_LIMITS.log, 'E_RUN_LOG_UNREADABLE', `Run "${meta.name}"'s log`) ?? new Uint8Array(0);
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

  /**
   * Rename a run or change its notes. The edit is kept in the run's `edits.json`, which only this
   * method writes and every read lays over `run.json`: a running run's writer (this process's or a
   * CLI's) keeps its own copy of the meta, and folds `edits.json` in when it writes `run.json` at
   * the run's end, so an edit made meanwhile is not overwritten. A run that has ended has no writer
   * any more: its `run.json` is rewritten with the edit too.
   */
  update(id: string, patch: { name?: string; notes?: string }): RunMeta {
    const meta = this.meta(id);
    const edits: RunEdits = { name: patch.name !== undefined ? capText(patch.name, RUN_NAME_MAX) : meta.name, notes: patch.notes ?? meta.notes };
    const next = { ...meta, ...edits };
    let file = EDITS_FILE;
    try {
      writeAtomic(join(this.dir, id, EDITS_FILE), JSON.stringify(edits));
      file = 'run.json';
      if (next.status !== 'running') writeAtomic(join(this.dir, id, 'run.json'), JSON.stringify(next, null, 1));
    } catch (e) {
      throw runError('E_RUN_WRITE', `${id}/${file} could not be written (${(e as NodeJS.ErrnoException).code ?? 'error'}): the run store's folder is read-only or the disk is full.`);
    }
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
    const meta = this.meta(id);
    const stored = this.checkpoint(meta, which, 'export');
    if (!stored) {
      throw runError('E_RUN_NO_CHECKPOINT', `Run "${meta.name}" has no ${which} checkpoint: it ended before its first epoch did, or was recorded by an older Netwright. Train it again to export it.`);
    }
    const { json, checkpoint: ck } = stored;
    const graph = this.graph(meta);
    return modelFromCheckpoint(graph, ck, {
      ...(json.normalization ? { normalization: json.normalization } : {}),
      ...(json.classNames?.length ? { classNames: json.classNames } : {}),
      ...(json.tokenizer ? { tokenizer: json.tokenizer } : {}),
      ...(json.table ? { table: json.table } : {}),
      ...(json.targetNormalization ? { targetNormalization: json.targetNormalization } : {}),
      metrics: { ...(meta.summary?.metrics ?? {}), ...(which === 'best' ? recordable(ck.metrics) : {}) },
      ...(meta.summary?.baselines ? { baselines: meta.summary.baselines } : {}),
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
    const meta = this.meta(id);
    const stored = this.checkpoint(meta, 'last', 'resume');
    if (!stored) {
      throw runError('E_RUN_NO_CHECKPOINT', `Run "${meta.name}" has no checkpoint to resume from: it ended before its first epoch did. Train it again instead.`);
    }
    return { meta, graph: this.graph(meta), checkpoint: stored.checkpoint };
  }

  /**
   * Delete a run's folder. A run still being written (by this process or another, the CLI's) is
   * refused with `E_RUN_ACTIVE` before anything is touched; a damaged run (its run.json unreadable)
   * may be deleted. The folder is first renamed aside in one step (`.<id>.<pid>.<random>.deleting`,
   * which no listing shows), then removed: a rename the disk refuses leaves the run whole.
   */
  remove(id: string): void {
    if (!RUN_ID.test(id)) throw runError('RUN_NOT_FOUND', `There is no stored run "${id}".`);
    const folder = join(this.dir, id);
    if (!existsSync(folder)) return;
    const read = this.readMeta(id);
    // A run elsewhere that nobody follows may be deleted (its machine may be gone for good); its job, if it runs on, is left to its machine.
    if ('meta' in read && read.meta.status === 'running' && !this.unfollowed(read.meta)) {
      const by = read.meta.pid === process.pid ? 'this app' : `process ${read.meta.pid} (netwright train, or another window)`;
      throw runError('E_RUN_ACTIVE', `Run "${read.meta.name}" is still being trained by ${by}; stop it before deleting it. Nothing was deleted.`);
    }
    const aside = join(this.dir, `.${id}.${process.pid}.${randomUUID().slice(0, 8)}.deleting`);
    try {
      renameSync(folder, aside);
    } catch (e) {
      throw runError('E_RUN_WRITE', `Run folder ${id} could not be deleted (${(e as NodeJS.ErrnoException).code ?? 'error'}): the run store's folder is read-only. Nothing was deleted.`);
    }
    try {
      rmSync(aside, { recursive: true, force: true });
    } catch (e) {
      throw runError('E_RUN_WRITE', `Run ${id} is no longer listed, but its files could not all be removed (${(e as NodeJS.ErrnoException).code ?? 'error'}): delete the folder ${aside.slice(this.dir.length + 1)} in the run store by hand.`);
    }
  }

  /** A run's meta, or `RUN_NOT_FOUND` / `E_RUN_DAMAGED` (its run.json cannot be read: the message says why). */
  private meta(id: string): RunMeta {
    const read = RUN_ID.test(id) && existsSync(join(this.dir, id)) ? this.readMeta(id) : null;
    if (!read) throw runError('RUN_NOT_FOUND', `There is no stored run "${id}".`);
    if ('damaged' in read) throw runError('E_RUN_DAMAGED', `Run ${id} cannot be read: ${read.damaged} Delete it from the Runs list.`);
    return read.meta;
  }

  /**
   * A run's `run.json`, checked against the protocol's `RunMetaSchema` (what `runs.list` sends
   * must pass it), or why it cannot be used. A run still `running` whose writer is gone is
   * marked `crashed` (and saved so).
   */
  private readMeta(id: string): { meta: RunMeta } | { damaged: string } {
    const file = join(this.dir, id, 'run.json');
    const where = `${id}/run.json`;
    let raw: unknown;
    try {
      raw = JSON.parse(readRegularFile(file, RUN_FILE_LIMITS.meta, { noFollow: true }).toString('utf8'));
    } catch (e) {
      return { damaged: e instanceof RegularFileError ? unreadable(e, where, RUN_FILE_LIMITS.meta) : `${where} is not valid JSON (cut short or edited).` };
    }
    if (!isRecord(raw) || raw.format !== 'netwright.run') return { damaged: `${where} is not a Netwright run record.` };
    if (raw.id !== id) return { damaged: raw.id === undefined ? `${where} names no run id.` : `${where} names another run (${String(JSON.stringify(raw.id)).slice(0, 40)}).` };
    if (isRecord(raw.summary)) raw = { ...raw, summary: { ...raw.summary, metrics: metricsBySplit(raw.summary.metrics) ?? {} } };
    const checked = RunMetaSchema.safeParse(raw);
    if (!checked.success) return { damaged: `${where} has a field that is missing or out of range (${describeIssues(checked.error).slice(0, 500)}).` };
    // The file's own object (the schema strips what it does not know; a rewrite keeps it), with the user's edits.
    let meta = { ...(raw as unknown as RunMeta), ...readEdits(join(this.dir, id)) };
    // A job elsewhere may outlive its follower: its run is not crashed while the job may run (no network here).
    if (meta.status === 'running' && !this.writerAlive(meta) && !(meta.target && jobMayRun(join(this.dir, id), meta.target))) {
      meta = { ...meta, status: 'crashed' };
      try {
        writeAtomic(file, JSON.stringify(meta, null, 1));
      } catch {
        // A read-only store still shows the run as crashed.
      }
    }
    return { meta };
  }

  /**
   * Whether the process that wrote a `running` run is still writing it. Its pid alone is not
   * enough: the OS hands pids out again (after a reboot; a container's engine gets the same pid
   * every start), and a run whose pid now names another process would never be offered Resume.
   * So the writer's nonce must be ours when the pid is ours, and its start time must match
   * the live process's where the OS tells it.
   */
  private writerAlive(meta: RunMeta): boolean {
    // 0: released (`RunWriter.release`), nobody writes it.
    if (meta.pid <= 0 || !this.isAlive(meta.pid)) return false;
    const w = meta.writer;
    if (!w) return true; // recorded before writers were told apart: the pid alone
    if (meta.pid === process.pid) return w.nonce === thisWriter().nonce;
    if (w.started === undefined) return true;
    const started = this.processStart(meta.pid);
    return started === undefined || Math.abs(started - w.started) <= START_TOLERANCE_MS;
  }

  /** The graph a run trained (`E_RUN_GRAPH_CORRUPT` when graph.json is missing, torn or not a graph). */
  private graph(meta: RunMeta): GraphIR {
    const what = `Run "${meta.name}"'s design (${meta.id}/graph.json)`;
    const bytes = this.file(meta.id, 'graph.json', RUN_FILE_LIMITS.graph, 'E_RUN_GRAPH_CORRUPT', what);
    if (!bytes) throw runError('E_RUN_GRAPH_CORRUPT', `${what} is missing; the run cannot be opened, exported or resumed. Delete it from the Runs list.`);
    let graph: unknown;
    try {
      graph = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw runError('E_RUN_GRAPH_CORRUPT', `${what} is not valid JSON (cut short or edited); the run cannot be opened, exported or resumed. Delete it from the Runs list.`);
    }
    if (!isRecord(graph) || !Array.isArray(graph.nodes)) throw runError('E_RUN_GRAPH_CORRUPT', `${what} is not a Netwright graph; the run cannot be opened, exported or resumed. Delete it from the Runs list.`);
    return graph as unknown as GraphIR;
  }

  /**
   * A run's last or best checkpoint, or null when it kept none. `E_RUN_CHECKPOINT_CORRUPT` when the
   * file is not a readable checkpoint (torn, edited, bad base64, tensors of a size that is not
   * whole float32 values, a link or device, too large).
   */
  private checkpoint(meta: RunMeta, which: CheckpointKind, purpose: 'export' | 'resume'): { json: CheckpointJSON & Partial<CheckpointExtras>; checkpoint: Checkpoint } | null {
    const name = `checkpoint-${which}.json`;
    const cannot = `Run "${meta.name}"'s ${which} checkpoint (${meta.id}/${name})`;
    const advice = `it cannot be ${purpose === 'export' ? 'exported' : 'resumed'}. Train it again instead.`;
    const bytes = this.file(meta.id, name, RUN_FILE_LIMITS.checkpoint, 'E_RUN_CHECKPOINT_CORRUPT', cannot, advice);
    if (!bytes) return null;
    let data: RegularFile | undefined;
    try {
      const json = JSON.parse(bytes.toString('utf8')) as CheckpointJSON & Partial<CheckpointExtras>;
      if (json.encoding === 'binary') {
        const file = json.data;
        if (typeof file !== 'string' || !new RegExp(`^checkpoint-${which}\\.[0-9a-f]{8}\\.bin$`).test(file)) throw new Error('its data file is not named');
        data = this.dataFile(meta.id, file, cannot, advice);
      }
      const checkpoint = checkpointFromJSON(json, data && tensorReader(data));
      if (!Number.isInteger(checkpoint.epoch) || !Number.isInteger(checkpoint.step) || !checkpoint.optimizer || typeof checkpoint.optimizer.slots !== 'object') throw new Error('fields missing');
      return { json, checkpoint };
    } catch (err) {
      if ((err as { code?: string }).code === 'E_RUN_CHECKPOINT_CORRUPT') throw err;
      throw runError('E_RUN_CHECKPOINT_CORRUPT', `${cannot} cannot be read (${(err as Error).message.replace(/^[A-Z_]+: /, '')}); ${advice}`);
    } finally {
      data?.close();
    }
  }

  /** A binary checkpoint's data file, opened with `file`'s checks (a missing one is corrupt too). */
  private dataFile(id: string, name: string, what: string, advice: string): RegularFile {
    try {
      return openRegularFile(join(this.dir, id, name), Number.MAX_SAFE_INTEGER, { noFollow: true });
    } catch (e) {
      if (!(e instanceof RegularFileError)) throw e;
      throw runError('E_RUN_CHECKPOINT_CORRUPT', `${what} cannot be read: its data file ${e.problem === 'missing' ? 'is missing' : unreadable(e, `${id}/${name}`, Number.MAX_SAFE_INTEGER)}; ${advice}`);
    }
  }

  /**
   * One of a run's files, read only if it is a regular file (no link, device or pipe) within
   * `limit` bytes; null when it does not exist. Otherwise `code`, with `what` and why — naming the
   * file by its place in the store, never by its absolute path.
   */
  private file(id: string, name: string, limit: number, code: ErrorCode, what: string, advice = 'Delete the run from the Runs list.'): Buffer | null {
    try {
      return readRegularFile(join(this.dir, id, name), limit, { noFollow: true });
    } catch (e) {
      if (!(e instanceof RegularFileError)) throw e;
      if (e.problem === 'missing') return null;
      throw runError(code, `${what} cannot be read: ${unreadable(e, `${id}/${name}`, limit)} ${advice}`);
    }
  }
}

/**
 * One append-only file of framed records, buffered: each `flush` writes whole records in one
 * write call, so a killed writer leaves whole records and at most a torn last one (which readers drop).
 */
class AppendFile {
  private fd: number | null;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;

  constructor(path: string) {
    this.fd = openSync(path, 'a');
  }

  get open(): boolean {
    return this.fd !== null;
  }

  push(framed: Uint8Array): void {
    this.pending.push(framed);
    this.pendingBytes += framed.length;
  }

  flush(): void {
    if (this.fd === null || this.pending.length === 0) return;
    const all = this.pending.length === 1 ? this.pending[0] : new Uint8Array(this.pendingBytes);
    if (this.pending.length > 1) {
      let at = 0;
      for (const p of this.pending) {
        all.set(p, at);
        at += p.length;
      }
    }
    this.pending = [];
    this.pendingBytes = 0;
    for (let at = 0; at < all.length; ) at += writeSync(this.fd, all, at);
  }

  /** Flush, sync to disk and close. */
  close(): void {
    this.flush();
    if (this.fd === null) return;
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = null;
  }
}

/** RGBA as an 8-bit RGB or grey PNG (pngjs), for the images of a run's TensorBoard file. */
const encodePng: PngEncoder = (rgba, width, height, grey) => {
  const png = new PNG({ width, height });
  if (!grey) {
    png.data = Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength);
    return PNG.sync.write(png, { colorType: 2 });
  }
  const g = Buffer.alloc(width * height);
  for (let i = 0; i < g.length; i++) g[i] = rgba[i * 4];
  png.data = g;
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false });
};

/**
 * Appends one run's records to `log.nwr`, and the run as TensorBoard reads it to an
 * `events.out.tfevents.*` file beside it (app/runs/tf-events.ts: its scalars, hyperparameters, the
 * design as a graph, and each probe frame's histograms, gradient norms and sample images);
 * buffered, both written at least every `flushMs`.
 */
export class RunWriter implements RunSink {
  private readonly log: AppendFile;
  private readonly events: AppendFile;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly enc = new TextEncoder();
  /** The run's probe samples and class names (its `start` event's), which the frames' sample images and texts show. */
  private probeSamples: StartInfo['probeSamples'] | undefined;
  private classNames: readonly string[] = [];
  /** When sample images (and texts) were last written (ms since 1970), and the latest frame's not written since (written when the run ends). */
  private imagesAt = -Infinity;
  private pendingImages: { step: number; images: TfImage[]; texts: TfText[] } | null = null;

  /** With `adopted` (a run taken over, `RunStore.adopt`), its events file is appended to, as it stands after its last whole record. */
  constructor(
    readonly folder: string,
    private meta: RunMeta,
    graph: GraphIR,
    private readonly flushMs: number,
    { adopted = false }: { adopted?: boolean } = {},
  ) {
    this.log = new AppendFile(join(folder, 'log.nwr'));
    const now = new Date(meta.createdAt);
    const kept = adopted ? keptEventsFile(folder) : undefined;
    this.events = new AppendFile(join(folder, kept ?? tfEventsFileName(now, hostname(), process.pid)));
    if (kept) return;
    this.events.push(fileVersionEvent(now.getTime() / 1000));
    this.events.push(hparamsStartEvent(meta.settings, now.getTime() / 1000));
    this.events.push(graphEvent(graph, now.getTime() / 1000));
    this.events.flush();
  }

  get id(): string {
    return this.meta.id;
  }

  append(record: RunRecord): void {
    if (!this.log.open) return;
    this.log.push(frameRecord(this.enc.encode(JSON.stringify(record, recordReplacer))));
    const wall = Date.now() / 1000;
    if (record.kind === 'frame') this.frameEvents(record.frame, record.step, wall);
    else if (record.kind === 'event' && record.event === 'start') {
      const data = record.data as { probeSamples?: unknown; classNames?: unknown } | null;
      const probe = ProbeSamples.safeParse(data?.probeSamples);
      if (probe.success) this.probeSamples ??= probe.data;
      if (Array.isArray(data?.classNames) && data.classNames.every((c) => typeof c === 'string')) this.classNames = data.classNames as string[];
    }
    else for (const e of scalarEvents(recordScalars(record), wall)) this.events.push(e);
    this.timer ??= setTimeout(() => this.flush(), this.flushMs);
  }

  /**
   * A probe frame's histograms and gradient norms, and its sample images every TF_IMAGE_EVERY_S
   * (composed now: the frame's arrays may be handed to the client after this). A frame that is no
   * probe frame (a record of another version) adds nothing: the TensorBoard file must not stop the log.
   */
  private frameEvents(frame: unknown, step: number, wall: number): void {
    const parsed = StoredFrame.safeParse(frame);
    if (!parsed.success) return;
    const e = frameEvent({ layers: parsed.data.layers, params: parsed.data.params, step }, wall);
    if (e) this.events.push(e);
    const images = frameImages(parsed.data, this.probeSamples);
    const texts = frameTexts(parsed.data, this.probeSamples, this.classNames);
    this.pendingImages = images.length || texts.length ? { step, images, texts } : null;
    if (this.pendingImages && wall * 1000 - this.imagesAt >= TF_IMAGE_EVERY_S * 1000) this.writeImages(wall);
  }

  private writeImages(wall: number): void {
    if (!this.pendingImages) return;
    const { images, texts, step } = this.pendingImages;
    for (const e of [imagesEvent(images, step, wall, encodePng), textsEvent(texts, step, wall)]) if (e) this.events.push(e);
    this.imagesAt = wall * 1000;
    this.pendingImages = null;
  }

  /** Write what is buffered (one write call per file). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.log.flush();
    this.events.flush();
  }

  /**
   * Keep the run's last or best checkpoint: `checkpoint-last.json` / `checkpoint-best.json` (the
   * training checkpoint format with `binary` tensors, plus normalisation and class names) and the
   * data file it names, `checkpoint-last.<token>.bin`. Each tensor is written straight from `ck`'s
   * arrays (a checkpoint of the live buffers copies nothing, however large the model). Both files
   * are written to temp files, synced and renamed, the data file first and under a new name: a
   * crash leaves the previous checkpoint whole. The previous data file is removed after.
   */
  checkpoint(which: CheckpointKind, ck: Checkpoint, extras: CheckpointExtras): void {
    const tensors: Float32Array[] = [];
    let offset = 0;
    const json = checkpointToJSON(ck, 'binary', (a) => {
      tensors.push(a);
      const ref = { o: offset, n: a.length };
      offset += a.byteLength;
      return ref;
    });
    const data = `checkpoint-${which}.${randomUUID().slice(0, 8)}.bin`;
    writeAtomic(join(this.folder, data), tensors.map((a) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength)));
    writeAtomic(join(this.folder, `checkpoint-${which}.json`), JSON.stringify({ ...json, data, normalization: extras.normalization, classNames: extras.classNames, ...(extras.tokenizer ? { tokenizer: extras.tokenizer } : {}), ...(extras.table ? { table: extras.table } : {}), ...(extras.targetNormalization ? { targetNormalization: extras.targetNormalization } : {}) }));
    for (const f of readdirSync(this.folder)) {
      if (f !== data && f.startsWith(`checkpoint-${which}.`) && f.endsWith('.bin')) rmSync(join(this.folder, f), { force: true });
    }
  }

  /**
   * Stop writing a run that goes on elsewhere without a follower (a job caught up with by
   * `netwright runs show`, or whose connection was lost): what is buffered is written, the files
   * closed, and run.json names no writer (pid 0): nobody follows it, and it reads `running` while
   * its job may run on (`RunStore.unfollowed`), so the next process follows it again
   * (`RunStore.adopt`). The run's status and summary are left to whoever sees its end.
   */
  release(): RunMeta {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.log.close();
    this.events.close();
    const { writer: _writer, ...rest } = this.meta;
    this.meta = { ...rest, ...readEdits(this.folder), status: 'running', pid: 0 };
    writeAtomic(join(this.folder, 'run.json'), JSON.stringify(this.meta, null, 1));
    return this.meta;
  }

  /** End the run: its test scalars and HParams end for TensorBoard, flush, sync both files to disk, and record its status and summary. */
  finish(status: RunEnd, summary?: RunSummary): RunMeta {
    if (this.events.open) {
      const wall = Date.now() / 1000;
      this.writeImages(wall);
      const test = summary?.metrics.test;
      if (test) for (const e of scalarEvents(splitScalars({ test }, summary.steps), wall)) this.events.push(e);
      this.events.push(hparamsEndEvent(status, wall));
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.log.close();
    this.events.close();
    // The name and notes as the user left them while the run was running (RunStore.update).
    this.meta = { ...this.meta, ...readEdits(this.folder), status, endedAt: new Date().toISOString(), ...(summary ? { summary } : {}) };
    writeAtomic(join(this.folder, 'run.json'), JSON.stringify(this.meta, null, 1));
    return this.meta;
  }
}

/**
 * The run's TensorBoard file (the first by name, where an older Netwright left one per pick-up),
 * cut after its last whole record (`length · masked CRC · data · masked CRC`): a writer killed
 * mid-write leaves a torn one, after which TensorBoard would read nothing appended. Undefined when
 * there is none (or it is no regular file).
 */
function keptEventsFile(folder: string): string | undefined {
  const name = readdirSync(folder).filter((f) => f.startsWith('events.out.tfevents.')).sort()[0];
  if (name === undefined) return undefined;
  let fd: number;
  try {
    fd = openSync(join(folder, name), constants.O_RDWR | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return undefined;
    const size = stat.size;
    const head = new Uint8Array(8);
    let at = 0;
    while (at + 12 <= size && readSync(fd, head, 0, 8, at) === 8) {
      const next = at + 16 + Number(new DataView(head.buffer).getBigUint64(0, true));
      if (next > size) break;
      at = next;
    }
    if (at < size) ftruncateSync(fd, at);
    return name;
  } finally {
    closeSync(fd);
  }
}

/** The fields of a run the user edits (`runs.update`), kept in the run's `edits.json`. */
type RunEdits = Pick<RunMeta, 'name' | 'notes'>;

const EDITS_FILE = 'edits.json';

/**
 * A run folder's `edits.json` (what `RunStore.update` wrote), or nothing when there is none or it
 * cannot be used (a link, too large, torn, a field out of range): `run.json`'s name and notes then
 * stand, and the next edit writes it anew.
 */
function readEdits(folder: string): Partial<RunEdits> {
  let raw: unknown;
  try {
    raw = JSON.parse(readRegularFile(join(folder, EDITS_FILE), RUN_FILE_LIMITS.meta, { noFollow: true }).toString('utf8'));
  } catch {
    return {};
  }
  if (!isRecord(raw)) return {};
  const checked = RunMetaSchema.pick({ name: true, notes: true }).safeParse(raw);
  return checked.success ? checked.data : {};
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

/** Reads a binary checkpoint's tensors from its data file, each checked to lie whole inside it. */
function tensorReader(file: RegularFile): (ref: TensorRef) => Float32Array {
  return (ref) => {
    const { o, n } = (ref ?? {}) as Partial<TensorRef>;
    if (!Number.isSafeInteger(o) || !Number.isSafeInteger(n) || o! < 0 || n! < 0 || o! % 4 !== 0 || o! + 4 * n! > file.size) {
      throw new Error(`a tensor lies outside its data file (${file.size} bytes)`);
    }
    const out = new Float32Array(n!);
    if (file.read(o!, new Uint8Array(out.buffer)) !== out.byteLength) throw new Error('its data file is shorter than it was');
    return out;
  };
}

/** Write to a temp file beside the target, sync it, then rename over the target. */
function writeAtomic(target: string, content: string | readonly Uint8Array[]): void {
  // A name of its own, made with O_EXCL: two writers of one file (a run's writer and an edit) never share a temp file.
  const tmp = `${target}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
  const fd = openSync(tmp, 'wx');
  try {
    if (typeof content === 'string') writeSync(fd, content);
    else for (const part of content) for (let at = 0; at < part.length; ) at += writeSync(fd, part, at);
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

/** Why a run's file was not read, naming it by its place in the store. */
function unreadable(e: RegularFileError, where: string, limit: number): string {
  switch (e.problem) {
    case 'missing':
      return `${where} is missing.`;
    case 'link':
      return `${where} is a link; Netwright reads only regular files in a run folder.`;
    case 'not-regular':
      return `${where} is not a regular file (a folder, device or pipe).`;
    case 'too-large':
      return `${where} is ${mib(e.size)}; Netwright reads such files up to ${mib(limit)}.`;
    case 'unopenable':
      return `${where} cannot be opened (${e.errno ?? 'error'}).`;
  }
}

/** A text, at most `max` UTF-16 units: its start and its end (a sweep's name ends in what it varied), an ellipsis between. */
function capText(text: string, max: number): string {
  if (text.length <= max) return text;
  const tailLength = Math.floor((max - 1) / 3);
  let head = text.slice(0, max - 1 - tailLength);
  let tail = text.slice(text.length - tailLength);
  // Never half a surrogate pair at the cut.
  if (/[\uD800-\uDBFF]$/.test(head)) head = head.slice(0, -1);
  if (/^[\uDC00-\uDFFF]/.test(tail)) tail = tail.slice(1);
  return `${head}…${tail}`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** How far apart two readings of one process's start time may be (the OS reports it in ticks or seconds). */
const START_TOLERANCE_MS = 2000;

let writer: RunMeta['writer'] | undefined;

/** This process as the writer of the runs it records: a nonce, and its start time where the OS says. */
function thisWriter(): NonNullable<RunMeta['writer']> {
  if (!writer) {
    const started = processStartTime(process.pid);
    writer = { nonce: randomUUID(), ...(started !== undefined ? { started } : {}) };
  }
  return writer;
}

/** Metric values with NaN/Inf as null, as run.json keeps them. */
function recordable(m: Checkpoint['metrics']): Record<string, Record<string, unknown>> {
  return JSON.parse(JSON.stringify(m, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))) as Record<string, Record<string, unknown>>;
}

function runError(code: ErrorCode, message: string): Error & { code: ErrorCode } {
  return Object.assign(new Error(message), { code });
}

export type { RunMeta, RunRecord, RunStatus, RunSummary, RunSettings };
