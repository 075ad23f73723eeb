/**
 * `netwright train DESIGN --on torchrun:N`, and what every target elsewhere shares (the project's
 * export, torchrun's arguments, the follower: `exportProject`, `torchrunArgs`, `follow`; ssh-target.ts
 * and slurm-target.ts start their jobs their own way). The design leaves as its PyTorch project (model.py,
 * train.py, the design's first weights and the data train.py reads), into a private temporary
 * folder; PyTorch's torchrun runs N processes of train.py there (`--report jsonl`), and what
 * process 0 reports on stdout (one JSON record a step, an epoch and at the end) is written as it
 * comes into the run store through the same `RunWriter` the engine's runs use: the run is listed
 * while it trains, with its target and job id (the launcher's pid), and Compare overlays it with
 * the runs trained here. Every other line (each process's) is kept in the run's log as an
 * `output` event, so a run that fails says why (`netwright runs log RUN`).
 *
 * How it ends: torchrun exits 0 after the `done` record → `done`; `netwright runs cancel` (a
 * `cancel.requested` marker in the run's folder, then SIGTERM to the job) or Ctrl-C → `stopped`;
 * anything else (a process killed, an exception) → `failed`, with an `error` event naming the exit
 * status and the last lines the processes wrote. Nothing recorded before is lost: the records were
 * appended as they came.
 */
import { taskFor } from '../catalog/tasks';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { CheckedGraph } from '../core/analysis/checked';
import type { LoadedDataset, Samples } from '../core/data';
import { exportPytorch } from '../core/export/pytorch';
import { initialModel } from '../core/export/initial';
import { modelFromCheckpoint, type TrainedModel } from '../core/export/model';
import { ENGINE_VERSION } from '../base/version';
import type { TargetOf } from '../catalog/targets/registry';
import type { ComputeChoice } from '../base/schemas';
import type { RunRecord, RunSummary } from '../app/runs/types';
import { recordMetrics, type CheckpointExtras } from '../app/runs/recorder';
import { checkpointFromTorch, frameTranslator, torchResumeState } from './torchrun-checkpoint';
import type { Checkpoint } from '../core/train/types';
import type { ProbeBatch } from './torchrun-probe';
import type { StartInfo } from '../protocol';
import { CliError } from './cli-files';
import { writeExport } from './export-writer';
import { RunStore, processStartTime, type RunWriter } from './run-store';
import { privateTempFolder } from './temp-folder';
import { fileJob, JOB_ERR, JOB_FILE, JOB_FOLDER, JOB_OUT, type DetachedJobInfo } from './job-files';
import { baselineFields, printBaselines, type Io } from './train-progress';
import type { SummaryBaselines } from '../core/metrics/baselines';
import type { MetricValues } from '../core/metrics/accumulator';

/** A Python with PyTorch: NETWRIGHT_TORCH_PYTHON, else Debian's python3-torch (`/usr/bin/python3`). */
export function torchPython(): string {
  return process.env.NETWRIGHT_TORCH_PYTHON ?? '/usr/bin/python3';
}

/** The IDX files train.py reads (train.py's idx_path: either spelling, raw or gzipped). */
const IDX_FILE = /^(?:train|t10k)-(?:images|labels)[-.]idx[13]-ubyte(?:\.gz)?$/;

/** The probe batch train.py forwards for each frame (`--probe`). */
const PROBE_FILE = 'probe.json';

/** The state train.py resumes from, in the exported project (`--resume-from`). */
const RESUME_STATE = 'resume.safetensors';

/** Where train.py keeps its checkpoints, in the exported project (`--checkpoints`). */
const CHECKPOINTS = 'checkpoints';

/** The marker `netwright runs cancel` leaves in a run's folder before it signals the job: the run then ends `stopped`, not `failed`. */
export const CANCEL_MARKER = 'cancel.requested';

/** Who may cancel a run elsewhere, as its `cancel.requested` marker names them (its one word), and as its `cancelled` event says them. */
export const CANCELLERS = { cli: 'netwright runs cancel', app: "the app's Stop" } as const;
export type Canceller = keyof typeof CANCELLERS;

/** Who cancelled the run in `folder`, as its marker says (an older marker, empty: the CLI). */
function cancelledBy(folder: string): string {
  try {
    const fd = openSync(join(folder, CANCEL_MARKER), constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      const buf = Buffer.alloc(16);
      const word = buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)).toString('utf8');
      return Object.hasOwn(CANCELLERS, word) ? CANCELLERS[word as Canceller] : CANCELLERS.cli;
    } finally {
      closeSync(fd);
    }
  } catch {
    return CANCELLERS.cli;
  }
}

/**
 * How long the job has to exit after its end record (ms) before it is stopped. NOTE: gloo's
 * teardown under torchrun sometimes never returns once every process has reported and process 0
 * has saved (seen here on iris, torchrun:2: process 0 sat in its last barrier for 15 minutes);
 * the run is complete by then, so it is recorded done and the job's group is ended.
 */
const DONE_GRACE_MS = 10_000;

/** The most lines of the processes' own output a run's log keeps (the last ones are what says why a run failed). */
const OUTPUT_LINES_MAX = 20_000;
/** A line of output is kept up to this many characters. */
const OUTPUT_LINE_MAX = 2_000;

/** What a run elsewhere needs: the checked design (flags applied), the data as read, the weights it starts from, where it is recorded. */
export interface ElsewherePlan {
  io: Io;
  checked: CheckedGraph;
  label: string;
  project?: string;
  loaded: LoadedDataset<Samples>;
  /** The weights the design starts from (a project's, a stored run's): laid over its first weights. */
  from?: TrainedModel;
  runs?: string;
  device: ComputeChoice;
  threads?: number;
  /** `--resume RUN`: the stored run and the checkpoint train.py goes on from (weights, optimizer, schedule, epoch). */
  resume?: { runId: string; name: string; checkpoint: Checkpoint };
  /** The probe batch (probeBatchOf), where train.py probes samples: its indices go to train.py, its samples to the run's start event. */
  probe?: ProbeBatch | undefined;
  /** What inference needs besides the weights (the run's normalisation, classes…): kept with each checkpoint pulled back. */
  extras?: CheckpointExtras;
  /** The run's baselines beside the job's test figures (`summaryBaselines` on the splits Netwright prepared); none when absent (a run followed again). */
  baselines?: (test: MetricValues | undefined) => SummaryBaselines;
  /** How long the job has after its end record before it is stopped (ms; DONE_GRACE_MS). */
  doneGraceMs?: number;
  /** The app's project id (its file's `id`), kept with the run as the engine's runs keep it. */
  projectId?: string;
  /**
   * The job outlives this process (the app's runs): no watchdog on this process, its output to
   * files in the run's folder (`job/`, node/job-files.ts), so an engine started later follows it
   * again. Needs `runs`.
   */
  detached?: boolean;
  /** Follow again a run recorded before (`RunStore.adopt`): its writer, and its records so far, which the job's output repeats. */
  adopted?: { writer: RunWriter; records: RunRecord[] };
  /** Told once the job has started and its run is recorded (the app's `runs.launch` answers then). */
  onRecorded?: (started: { runId: string | undefined; jobId: string; target: string }) => void;
}

/** One record of train.py's `--report jsonl`. */
interface Reported {
  netwright: 1;
  kind: 'start' | 'step' | 'epoch' | 'frame' | 'checkpoint' | 'error' | 'done';
  t: number;
  [field: string]: unknown;
}

/** The line as train.py's record, or undefined for any other line. torchrun's `--tee` puts `[default0]:` before each line of a process. */
export function reportedRecord(line: string): Reported | undefined {
  const text = line.replace(/^\[[A-Za-z0-9_-]*\d+\]:/, '');
  if (!text.startsWith('{"netwright": 1,')) return undefined;
  try {
    const r = JSON.parse(text) as Reported;
    return r && r.netwright === 1 && typeof r.kind === 'string' ? r : undefined;
  } catch {
    return undefined;
  }
}

/** The design's first weights (as a run here draws them), with the weights it starts from laid over them. */
function startingModel(plan: ElsewherePlan): TrainedModel {
  if (plan.resume) return modelFromCheckpoint(plan.checked.ir, plan.resume.checkpoint);
  const first = initialModel(plan.checked.ir);
  const from = plan.from;
  if (!from) return first;
  const over = (mine: Record<string, Float32Array>, theirs: Record<string, Float32Array>) => Object.fromEntries(Object.entries(mine).map(([k, v]) => [k, theirs[k]?.length === v.length ? theirs[k] : v]));
  return { ...first, params: over(first.params, from.params), buffers: over(first.buffers, from.buffers ?? {}) };
}

/** A TCP port of this machine nothing listens on now (torchrun's rendezvous; the tests' sshd and Slurm). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Train `plan` under torchrun with `target.options.processes` processes on this machine; the exit
 * code (0 done or cancelled). Throws CliError `E_TARGET_LAUNCH` (no Python with PyTorch, or the
 * export failed) or `E_TARGET_FAILED` (the job ended otherwise), after the run is recorded as such.
 */
export async function trainWithTorchrun(target: TargetOf<'torchrun'>, plan: ElsewherePlan): Promise<number> {
  const n = target.options.processes;
  if (plan.detached && plan.runs !== undefined) return trainDetached(target, plan, plan.runs);
  const work = mkdtempSync(join(privateTempFolder(), 'torchrun-'));
  try {
    const project = exportProject(plan, work);
    const port = await freePort();
    const args = ['-m', 'torch.distributed.run', '--nnodes', '1', '--nproc_per_node', String(n), '--master_addr', '127.0.0.1', '--master_port', String(port), ...torchrunArgs(plan)];
    // NETWRIGHT_HOST_PID: train.py's process 0 ends the job once this process has gone (the app
    // closed, the command killed): no job trains on that nobody records.
    const env = { ...process.env, PYTHONUNBUFFERED: '1', NETWRIGHT_HOST_PID: String(process.pid), ...(plan.threads !== undefined ? { OMP_NUM_THREADS: String(plan.threads) } : {}) };
    const python = torchPython();
    const child = spawn(python, args, { cwd: project, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const spawned = await new Promise<Error | null>((resolve) => {
      child.once('spawn', () => resolve(null));
      child.once('error', (e) => resolve(e));
    });
    if (spawned) throw new CliError('E_TARGET_LAUNCH', `${plan.label}: ${python} could not be started (${(spawned as NodeJS.ErrnoException).code ?? spawned.message}); torchrun needs a Python with PyTorch (NETWRIGHT_TORCH_PYTHON names another).`, 1);
    const job: Job = { spec: target.spec, launcher: 'torchrun', backend: `PyTorch torchrun · ${n} process${n > 1 ? 'es' : ''}`, checkpoint: (which) => readFileSync(join(project, CHECKPOINTS, `${which}.safetensors`)) };
    return await follow(processJob(child), job, plan);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * `trainWithTorchrun` for a job that outlives this process (`plan.detached`): exported into a
 * folder of the run store (the same file system as the run's folder), started without the
 * watchdog on this process, its stdout and stderr to files there; once its run is recorded the
 * folder becomes the run's `job/` with `job.json` (its pid, start time, what its checkpoints are
 * kept with), which a later engine reads to follow it again (node/elsewhere-host.ts).
 */
async function trainDetached(target: TargetOf<'torchrun'>, plan: ElsewherePlan, runs: string): Promise<number> {
  const n = target.options.processes;
  mkdirSync(runs, { recursive: true });
  // A dot folder: the run store lists only run ids.
  let work = mkdtempSync(join(runs, '.job-'));
  let recorded = false;
  try {
    const project = exportProject(plan, work);
    const port = await freePort();
    const args = ['-m', 'torch.distributed.run', '--nnodes', '1', '--nproc_per_node', String(n), '--master_addr', '127.0.0.1', '--master_port', String(port), ...torchrunArgs(plan)];
    const { NETWRIGHT_HOST_PID: _watchdog, ...inherited } = process.env;
    const env = { ...inherited, PYTHONUNBUFFERED: '1', ...(plan.threads !== undefined ? { OMP_NUM_THREADS: String(plan.threads) } : {}) };
    const out = openSync(join(work, JOB_OUT), 'wx+', 0o600);
    const err = openSync(join(work, JOB_ERR), 'wx+', 0o600);
    const python = torchPython();
    const child = spawn(python, args, { cwd: project, env, detached: true, stdio: ['ignore', out, err] });
    const spawned = await new Promise<Error | null>((resolve) => {
      child.once('spawn', () => resolve(null));
      child.once('error', (e) => resolve(e));
    });
    if (spawned) {
      closeSync(out);
      closeSync(err);
      throw new CliError('E_TARGET_LAUNCH', `${plan.label}: ${python} could not be started (${(spawned as NodeJS.ErrnoException).code ?? spawned.message}); torchrun needs a Python with PyTorch (NETWRIGHT_TORCH_PYTHON names another).`, 1);
    }
    // This process may end before the job: the job must not keep it, nor end with it.
    child.unref();
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    const started = processStartTime(child.pid!);
    const running = fileJob({ pid: child.pid!, ...(started !== undefined ? { started } : {}), out, err, exited, isDone: (line) => reportedRecord(line)?.kind === 'done' });
    const backend = `PyTorch torchrun · ${n} process${n > 1 ? 'es' : ''}`;
    const job: Job = {
      spec: target.spec,
      launcher: 'torchrun',
      backend,
      checkpoint: (which) => readFileSync(join(work, 'project', CHECKPOINTS, `${which}.safetensors`)),
      recorded(folder) {
        // The open files and the job's working folder move with it (a rename within one file system).
        const into = join(folder, JOB_FOLDER);
        renameSync(work, into);
        work = into;
        recorded = true;
        const info: DetachedJobInfo = { pid: child.pid!, ...(started !== undefined ? { started } : {}), spec: target.spec, launcher: 'torchrun', backend, ...(plan.extras ? { extras: plan.extras } : {}) };
        writeFileSync(join(into, JOB_FILE), JSON.stringify(info), { flag: 'wx', mode: 0o600 });
      },
    };
    return await follow(running, job, plan);
  } finally {
    if (!recorded) rmSync(work, { recursive: true, force: true });
  }
}

/** How a job kept in a run's `job/` folder (`trainDetached`) is checkpointed and described, to follow it again. */
export function detachedJob(folder: string, info: DetachedJobInfo): Job {
  return { spec: info.spec, launcher: info.launcher, backend: info.backend, checkpoint: (which) => readFileSync(join(folder, JOB_FOLDER, 'project', CHECKPOINTS, `${which}.safetensors`)) };
}

/**
 * The PyTorch project a run elsewhere trains, written into `work`: the design (flags applied) with
 * its first weights or the run's checkpoint as weights.pt, the data train.py reads, and with
 * `--resume` the optimizer's and schedule's state (resume.safetensors). Its folder.
 */
export function exportProject(plan: ElsewherePlan, work: string, { elsewhere = false }: { elsewhere?: boolean } = {}): string {
  try {
    const project = writeExport(exportPytorch(startingModel(plan), { data: plan.loaded }), join(work, 'project'));
    if (plan.resume) writeFileSync(join(project, RESUME_STATE), torchResumeState(plan.resume.checkpoint, plan.checked), { flag: 'wx', mode: 0o600 });
    if (plan.probe) writeFileSync(join(project, PROBE_FILE), JSON.stringify(plan.probe.file), { flag: 'wx', mode: 0o600 });
    // MNIST-like sets are not bundled (train.py reads them from the folder Netwright read, on this
    // machine): for another machine their IDX files go into the project's data/, which train.py reads first.
    if (elsewhere && plan.loaded.idxFolder !== undefined) {
      mkdirSync(join(project, 'data'), { recursive: true });
      for (const f of readdirSync(plan.loaded.idxFolder)) if (IDX_FILE.test(f)) copyFileSync(join(plan.loaded.idxFolder, f), join(project, 'data', f), constants.COPYFILE_EXCL);
    }
    return project;
  } catch (e) {
    throw new CliError('E_TARGET_LAUNCH', `${plan.label}: the PyTorch project torchrun would train could not be written: ${(e as Error).message}`, 1);
  }
}

/**
 * torchrun's arguments after its rendezvous: how it runs the processes, then train.py's. NOTE:
 * torch 1.13's torchrun under Python 3.11 cannot parse its own default `--redirects 0`;
 * `--redirects 1 --tee 1` works on every version and puts each process's stdout on torchrun's,
 * each line after `[default<rank>]:`. Each epoch's checkpoint is kept when the run is recorded.
 */
export function torchrunArgs(plan: ElsewherePlan): string[] {
  const keep = plan.runs !== undefined && plan.extras !== undefined ? ['--checkpoints', CHECKPOINTS] : [];
  return ['--monitor_interval', '0.5', '--redirects', '1', '--tee', '1', 'train.py', '--report', 'jsonl', '--init-weights', 'weights.pt', '--out', 'trained.pt', ...keep, ...(plan.resume ? ['--resume-from', RESUME_STATE] : []), ...(plan.probe ? ['--probe', PROBE_FILE] : []), ...(plan.device === 'cpu' ? ['--cpu'] : plan.device === 'gpu' ? ['--gpu'] : [])];
}

/** A job started for a run elsewhere, as the follower records it. */
export interface Job {
  /** The target as `--on` spells it. */
  spec: string;
  /** What was started, for messages: `torchrun`, `ssh`. */
  launcher: string;
  /** The run's backend line (run.json's settings.backend). */
  backend: string;
  /** The bytes of the checkpoint train.py reported keeping (`last`, `best`). */
  checkpoint(which: 'last' | 'best'): Uint8Array | Promise<Uint8Array>;
  /** Told the run's folder once the run is recorded (a detached job moves its files there). */
  recorded?(folder: string): void;
}

/** What following a job takes of its plan (a job followed again has no data or device of its own). */
export type FollowPlan = Omit<ElsewherePlan, 'loaded' | 'device' | 'from'>;

/** Read the job's output to its end, recording it; the exit code. */
export async function follow(running: RunningJob, job: Job, plan: FollowPlan): Promise<number> {
  const { io, checked } = plan;
  const training = checked.ir.training!;
  const jobId = running.id;
  const jobStarted = running.started;
  const { backend } = job;
  let writer: RunWriter | undefined;
  try {
    writer = plan.adopted ? plan.adopted.writer : plan.runs ? new RunStore(plan.runs).create({ graph: checked.ir, settings: { training, backend, appVersion: ENGINE_VERSION }, ...(plan.project !== undefined ? { project: plan.project } : {}), ...(plan.projectId !== undefined ? { projectId: plan.projectId } : {}), ...(plan.resume ? { name: plan.resume.name, resumedFrom: { runId: plan.resume.runId, step: plan.resume.checkpoint.step, epoch: plan.resume.checkpoint.epoch } } : {}), target: { spec: job.spec, jobId, ...(jobStarted !== undefined ? { jobStarted } : {}) } }) : undefined;
  } catch (e) {
    running.stop();
    throw new CliError('E_RUN_WRITE', (e as Error).message, 1);
  }
  try {
    if (writer && !plan.adopted) job.recorded?.(writer.folder);
  } catch (e) {
    running.stop();
    writer?.append({ kind: 'event', t: 0, event: 'error', data: { code: 'E_RUN_WRITE', message: (e as Error).message } });
    writer?.finish('failed');
    throw new CliError('E_RUN_WRITE', (e as Error).message, 1);
  }
  plan.onRecorded?.({ runId: writer?.id, jobId, target: job.spec });
  // A run followed again: the job's output is read from its start, and what the log already has is not written twice.
  const seen = alreadyRecorded(plan.adopted?.records ?? []);
  const started = Date.now();
  const seconds = () => seen.t + (Date.now() - started) / 1000;
  if (io.json) io.out(JSON.stringify({ type: 'start', design: checked.ir.name ?? plan.label, target: job.spec, jobId, backend, batchSize: training.batchSize, epochs: training.epochs, ...(writer ? { runId: writer.id } : {}) }) + '\n');
  else io.out(`${checked.ir.name ?? plan.label}: training on ${job.spec} (job ${jobId})${writer ? `, recorded as run ${writer.id}` : ''}\n`);

  let outputLines = 0;
  const tail: string[] = [];
  const keep = (stream: 'stdout' | 'stderr', line: string) => {
    tail.push(line);
    if (tail.length > 20) tail.shift();
    if (seen[stream] > 0) {
      seen[stream]--;
      outputLines++;
      return;
    }
    if (outputLines++ < OUTPUT_LINES_MAX) writer?.append({ kind: 'event', t: seconds(), event: 'output', data: { stream, line: line.slice(0, OUTPUT_LINE_MAX) } });
  };
  let lastEpoch: Record<string, Record<string, unknown>> = {};
  let done: Reported | undefined;
  let endedAfterDone = false;
  let graceTimer: ReturnType<typeof setTimeout> | undefined;
  const grace = plan.doneGraceMs ?? DONE_GRACE_MS;
  // A run followed again counts what its log holds already (its job's output may not come again: a connection lost).
  let steps = seen.step;
  let epochs = seen.epoch;
  const checkpoints = writer && plan.extras ? checkpointKeeper(job, writer, plan.extras, checked, seconds) : undefined;
  const errors: string[] = [];
  const toFrame = frameTranslator(checked);
  let lastLine = 0;
  const onRecord = (r: Reported) => {
    // Already in the log (a run followed again): counted, not written.
    const sink = repeated(seen, r) ? undefined : writer;
    const record = asRunRecord(r, seconds());
    if (record) sink?.append(record);
    if (r.kind === 'start') {
      sink?.append({ kind: 'event', t: seconds(), event: 'launched', data: { target: job.spec, jobId, world: r.world, device: r.device, backend: r.backend, samples: r.samples } });
      // As the engine's runs keep it (handlers/runs.ts): what the Samples view shows beside each frame's predictions.
      if (sink && plan.probe) {
        const info: StartInfo = { runId: sink.id, storedRunId: sink.id, backend, stepsPerEpoch: Number(r.steps_per_epoch), epochs: training.epochs, batchSize: training.batchSize, task: taskFor('classes'), classNames: [...(plan.extras?.classNames ?? [])], probeSamples: plan.probe.samples };
        sink.append({ kind: 'event', t: seconds(), event: 'start', data: info });
      }
    }
    if (record?.kind === 'step') steps = record.step;
    if (record?.kind === 'epoch') {
      epochs = record.epoch;
      lastEpoch = record.metrics;
    }
    if (r.kind === 'error') {
      // A process ended by an error (train.py's own words): named first when the job fails.
      const said = `process ${String(r.rank)}: ${String(r.message)}`;
      if (errors.length < 8) errors.push(said);
      sink?.append({ kind: 'event', t: seconds(), event: 'process-error', data: { rank: r.rank, message: String(r.message) } });
    }
    if (r.kind === 'frame' && sink) {
      const frame = toFrame(r);
      if (frame) sink.append({ kind: 'frame', step: frame.step, t: seconds(), frame });
    }
    if (r.kind === 'checkpoint' && (r.which === 'last' || r.which === 'best')) checkpoints?.reported(r.which);
    if (r.kind === 'done') {
      done = r;
      graceTimer = setTimeout(() => {
        endedAfterDone = true;
        writer?.append({ kind: 'event', t: seconds(), event: 'teardown-stopped', data: { jobId, afterMs: grace } });
        running.stop();
      }, grace);
    }
    if (io.json) {
      if (r.kind !== 'frame') io.out(JSON.stringify({ ...r, netwright: undefined, type: r.kind, kind: undefined }) + '\n');
      return;
    }
    if (record?.kind === 'step' && Date.now() - lastLine >= 1000) {
      lastLine = Date.now();
      io.out(`epoch ${record.epoch}  step ${record.step}  loss ${record.loss === null ? 'NaN' : record.loss.toFixed(4)}  lr ${record.lr.toPrecision(3)}\n`);
    } else if (record?.kind === 'epoch') {
      io.out(`epoch ${record.epoch} done  ${Object.entries(record.metrics).map(([split, m]) => `${split} ${Object.entries(m).map(([k, v]) => `${k} ${typeof v === 'number' ? v.toFixed(4) : v}`).join(' ')}`).join('  ')}\n`);
    }
  };
  running.onLine((stream, line) => {
    const r = stream === 'stdout' ? reportedRecord(line) : undefined;
    if (r) onRecord(r);
    else keep(stream, line);
  });

  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
    if (!io.json) io.err('\nstopping the job…\n');
    running.stop();
  };
  process.once('SIGINT', onSigint);
  const exit = await running.ended;
  process.removeListener('SIGINT', onSigint);
  if (graceTimer) clearTimeout(graceTimer);
  await checkpoints?.kept();
  if (exit.detached && !interrupted) return leftRunning(exit.detached, writer, job, jobId, steps, seconds());

  const doneMetrics = (done?.metrics ?? {}) as Record<string, Record<string, unknown>>;
  const summary: RunSummary = { steps, epochs, seconds: seconds(), metrics: recordMetrics({ ...lastEpoch, ...doneMetrics } as Parameters<typeof recordMetrics>[0]) };
  const cancelled = interrupted || (writer !== undefined && existsSync(join(writer.folder, CANCEL_MARKER)));
  if (done && (exit.code === 0 || endedAfterDone)) {
    // The baselines on the splits Netwright prepared, which the job trained and tested on (#83).
    const { fitted, failed, ...beside } = plan.baselines?.(doneMetrics.test as unknown as MetricValues | undefined) ?? {};
    if (failed !== undefined) writer?.append({ kind: 'event', t: seconds(), event: 'baselines-failed', data: { message: failed } });
    writer?.finish('done', { ...summary, ...beside });
    if (!io.json) io.out(`\ndone after ${epochs} epoch${epochs === 1 ? '' : 's'}, ${steps} steps, ${summary.seconds.toFixed(1)} s${doneMetrics.test ? `\ntest: ${Object.entries(doneMetrics.test).map(([k, v]) => `${k} ${typeof v === 'number' ? v.toFixed(4) : v}`).join(' ')}` : ''}\n`);
    if (!io.json) printBaselines(io, fitted, beside.baselineVerdict);
    else io.out(JSON.stringify({ type: 'done', reason: 'completed', steps, epochs, seconds: summary.seconds, ...(writer ? { runId: writer.id } : {}), ...baselineFields(fitted, beside.baselineVerdict) }) + '\n');
    return 0;
  }
  if (cancelled) {
    writer?.append({ kind: 'event', t: seconds(), event: 'cancelled', data: { target: job.spec, jobId, by: interrupted ? 'interrupt' : cancelledBy(writer!.folder) } });
    writer?.finish('stopped', summary);
    if (io.json) io.out(JSON.stringify({ type: 'done', reason: 'stopped', steps, epochs, seconds: summary.seconds, ...(writer ? { runId: writer.id } : {}) }) + '\n');
    else io.out(`\nstopped after ${steps} steps (cancelled)\n`);
    return 0;
  }
  const how = exit.state ? `ended ${exit.state}${exit.code !== null ? ` (exit status ${exit.code})` : ''}` : exit.signal ? `was ended by ${exit.signal}` : exit.code === 0 ? 'exited without the end of the run' : `exited with status ${exit.code}`;
  const message = `${job.launcher} (job ${jobId}, ${job.spec}) ${how} after ${steps} steps.${errors.length ? ` ${errors.join(' ')}` : ''}${tail.length ? ` Its last lines:\n${tail.slice(-8).join('\n')}` : ''}`;
  writer?.append({ kind: 'event', t: seconds(), event: 'error', data: { code: 'E_TARGET_FAILED', message } });
  writer?.finish('failed', summary);
  throw new CliError('E_TARGET_FAILED', message, 1);
}

/**
 * Keeps each checkpoint the job reports (`last`, `best`) in the run, read with `job.checkpoint`:
 * the file names the epoch it holds (a later one may have replaced it meanwhile); each is kept in
 * turn. One read of each waits at most: reports that come while it waits are of the same file,
 * which it reads when its turn comes (over ssh a read is a connection: one an epoch made a
 * 116-epoch iris run's end wait 100 s). `kept` resolves once every read has been kept or failed.
 */
function checkpointKeeper(job: Job, sink: RunWriter, extras: CheckpointExtras, checked: CheckedGraph, seconds: () => number) {
  let chain: Promise<unknown> = Promise.resolve();
  const queued = new Set<'last' | 'best'>();
  return {
    reported(which: 'last' | 'best') {
      if (queued.has(which)) return;
      queued.add(which);
      chain = chain
        .then(() => {
          queued.delete(which);
          return job.checkpoint(which);
        })
        .then((bytes) => sink.checkpoint(which, checkpointFromTorch(bytes, `${which}.safetensors`, checked), extras))
        .catch((e: unknown) => sink.append({ kind: 'event', t: seconds(), event: 'checkpoint-failed', data: { which, message: (e as Error).message } }));
    },
    kept: () => chain,
  };
}

/**
 * A job that runs on where it runs, no longer followed (`JobEnd.detached`): the run is left to be
 * followed again (`netwright runs show`), nobody following it now. 0 when it was caught up with;
 * a lost connection is said in its log and thrown (`E_TARGET_CONNECTION`).
 */
function leftRunning(detached: NonNullable<JobEnd['detached']>, writer: RunWriter | undefined, job: Job, jobId: string, steps: number, t: number): number {
  const lost = detached.lost;
  if (lost !== undefined) writer?.append({ kind: 'event', t, event: 'connection-lost', data: { target: job.spec, jobId, message: lost } });
  writer?.release();
  if (lost === undefined) return 0;
  throw new CliError('E_TARGET_CONNECTION', `${job.launcher} (job ${jobId}, ${job.spec}): ${lost} after ${steps} steps; the job runs on there. \`netwright runs show ${writer?.id ?? 'RUN'}\` follows it again, \`netwright runs cancel\` ends it.`, 1);
}

/** What a run's log already holds of its job's output (a run followed again): the last step, epoch and frame, how many lines of each stream, when. */
function alreadyRecorded(records: readonly RunRecord[]) {
  const seen = { stdout: 0, stderr: 0, step: 0, epoch: 0, frame: 0, start: false, processErrors: 0, t: 0 };
  for (const r of records) {
    seen.t = Math.max(seen.t, r.t);
    if (r.kind === 'step') seen.step = Math.max(seen.step, r.step);
    else if (r.kind === 'epoch') seen.epoch = Math.max(seen.epoch, r.epoch);
    else if (r.kind === 'frame') seen.frame = Math.max(seen.frame, r.step);
    else if (r.kind === 'event' && r.event === 'launched') seen.start = true;
    else if (r.kind === 'event' && r.event === 'process-error') seen.processErrors++;
    else if (r.kind === 'event' && r.event === 'output') {
      const stream = (r.data as { stream?: unknown } | null)?.stream;
      if (stream === 'stdout' || stream === 'stderr') seen[stream]++;
    }
  }
  return seen;
}

/** Whether `r` is one the log already holds (`seen`, counted down for process errors); checkpoints are read again (the same file, kept once). */
function repeated(seen: ReturnType<typeof alreadyRecorded>, r: Reported): boolean {
  if (r.kind === 'step' || r.kind === 'frame') return Number(r.step) <= (r.kind === 'step' ? seen.step : seen.frame);
  if (r.kind === 'epoch') return Number(r.epoch) <= seen.epoch;
  if (r.kind === 'start') return seen.start;
  if (r.kind === 'error' && seen.processErrors > 0) {
    seen.processErrors--;
    return true;
  }
  return false;
}

/** A record of train.py's report as the run store keeps it (the engine's own kinds), or undefined for one it has no kind for. */
function asRunRecord(r: Reported, t: number): RunRecord | undefined {
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  if (r.kind === 'step') {
    const metrics = r.metrics && typeof r.metrics === 'object' ? Object.fromEntries(Object.entries(r.metrics as Record<string, unknown>).map(([k, v]) => [k, num(v)])) : undefined;
    return { kind: 'step', step: Number(r.step), epoch: Number(r.epoch), loss: num(r.loss), lr: num(r.lr) ?? 0, t, ...(metrics && Object.keys(metrics).length ? { metrics } : {}) };
  }
  if (r.kind === 'epoch') {
    return { kind: 'epoch', epoch: Number(r.epoch), step: Number(r.step), t, metrics: recordMetrics((r.metrics ?? {}) as Parameters<typeof recordMetrics>[0]) };
  }
  return undefined;
}

/**
 * A job's output and end, however it runs: a process of this machine (torchrun, ssh), or a
 * cluster's job followed through its output file (Slurm).
 */
export interface RunningJob {
  /** Its id where it runs: a pid, a Slurm job id. */
  id: string;
  /** When it started (ms since 1970), for a process of this machine: a pid handed out again is not the job. */
  started?: number;
  /** Each line it writes, as it comes. */
  onLine(each: (stream: 'stdout' | 'stderr', line: string) => void): void;
  /**
   * How it ended: its exit status or signal, and a scheduler's word for it (`FAILED`, `TIMEOUT`)
   * where there is one. Or, for a job of another machine or a cluster, `detached`: it runs on there
   * and is no longer followed from here — caught up with (`lost` absent: `netwright runs show`), or
   * the connection lost (`lost` says how).
   */
  ended: Promise<JobEnd>;
  /** End it now. */
  stop(): void;
}

/** How a job ended, or that it is no longer followed (`RunningJob.ended`). */
export interface JobEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  state?: string;
  detached?: { lost?: string };
}

/** A started process (detached: its own process group) as a job. */
export function processJob(child: ChildProcess): RunningJob {
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  const started = processStartTime(child.pid!);
  return {
    id: String(child.pid),
    ...(started !== undefined ? { started } : {}),
    onLine(each) {
      createInterface({ input: child.stdout! }).on('line', (line) => each('stdout', line));
      createInterface({ input: child.stderr! }).on('line', (line) => each('stderr', line));
    },
    ended,
    stop: () => stopJob(child),
  };
}

/** End the job: torchrun's agent passes SIGTERM on to its processes; the whole group, so none is left. */
function stopJob(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGTERM');
  } catch {
    // already gone
  }
}
