/**
 * How each target of catalog/targets trains a run and cancels its job, one launcher per kind: the
 * table is typed by the catalog's kinds, so a target declared without a launcher does not compile.
 * `local` is the engine in this process (train-cli.ts's own path).
 */
import { closeSync, constants, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { parseTarget, type AnyTarget, type TargetKind, type TargetOf } from '../catalog/targets/registry';
import type { RunMeta } from '../app/runs/types';
import { refuse } from './cli-files';
import { processAlive, processStartTime, type RunStore } from './run-store';
import { checkedGraph } from '../app/handlers/context';
import { readRemoteJob, type RemoteJobInfo } from './job-files';
import { CANCEL_MARKER, follow, trainWithTorchrun, type Canceller, type ElsewherePlan, type Job, type RunningJob } from './torchrun-target';
import { cancelOverSsh, followOverSsh, trainOverSsh } from './ssh-target';
import { cancelSlurmJob, followOnSlurm, trainOnSlurm } from './slurm-target';
import type { Io } from './train-progress';

/** A job as run.json keeps it (`target`): its id where it runs, and for a process of this machine when it started. */
export interface JobHandle {
  spec: string;
  jobId: string;
  jobStarted?: number;
}

interface Launcher<K extends TargetKind> {
  train(target: TargetOf<K>, plan: ElsewherePlan): Promise<number>;
  /** End the job (`netwright runs cancel`); refuses (CliError) one that is no longer there. */
  cancel(target: TargetOf<K>, job: JobHandle): void;
  /**
   * Follow again the job of a run whose follower has gone (the command killed, the connection
   * lost), its output read from its start: to its end, or with `now` until it has caught up.
   * Absent where the job cannot outlive its follower (torchrun from the command line; the app's
   * torchrun jobs are followed again by `reattachRuns`).
   */
  followAgain?(target: TargetOf<K>, info: RemoteJobInfo, now: boolean): { running: RunningJob; job: Job };
}

const LAUNCHERS: { [K in TargetKind]: K extends 'local' ? 'engine' : Launcher<K> } = {
  local: 'engine',
  torchrun: { train: trainWithTorchrun, cancel: (_, job) => cancelProcessGroup(job) },
  ssh: { train: trainOverSsh, cancel: cancelOverSsh, followAgain: followOverSsh },
  slurm: { train: trainOnSlurm, cancel: (_, job) => cancelSlurmJob(job.jobId), followAgain: (_, info, now) => followOnSlurm(info, now) },
};

/** Whether `target` trains in this process, on Netwright's engine. */
export function trainsHere(target: AnyTarget): boolean {
  return LAUNCHERS[target.kind] === 'engine';
}

/** Train `plan` on `target` (not `local`); the exit code. */
export function trainElsewhere(target: AnyTarget, plan: ElsewherePlan): Promise<number> {
  const launcher = LAUNCHERS[target.kind];
  if (launcher === 'engine') throw new Error(`${target.spec} trains in this process`);
  return (launcher as Launcher<TargetKind>).train(target as never, plan);
}

/** End the job of a run trained on `target`. */
export function cancelJob(target: AnyTarget, job: JobHandle): void {
  const launcher = LAUNCHERS[target.kind];
  if (launcher === 'engine') refuse('E_RUN_NOT_CANCELLABLE', `${job.spec} trains in Netwright's engine: stop it where it trains (the app's Stop, or Ctrl-C).`, 1);
  (launcher as Launcher<TargetKind>).cancel(target as never, job);
}

/** Nothing to print: a run followed again speaks through the run store. */
const QUIET: Io = { out: () => {}, err: () => {}, json: false };

/**
 * Follow again a run trained on another machine or a cluster whose follower has gone (`crashed`:
 * the command that launched it killed, its connection lost) — `netwright runs show|log` with
 * `now` (what its job wrote since is recorded, and its end if it has ended; a job that runs on is
 * left to the next), an engine started again without. The run's records so far are not written
 * twice (`RunStore.adopt`). Resolves to `false` for a run that is no such run (trained here, by
 * torchrun from the command line, already followed, ended), else to `running` (caught up with a
 * job that runs on, the run left to the next) or `ended` (its end recorded); rejects
 * (CliError) when its job's machine cannot be reached (`E_TARGET_CONNECTION`) or the job failed
 * (`E_TARGET_FAILED`, recorded so).
 */
export async function followAgain(store: RunStore, id: string, { now }: { now: boolean }): Promise<false | 'running' | 'ended'> {
  const meta = store.open(id).meta;
  if (!store.unfollowed(meta)) return false;
  const info = readRemoteJob(join(store.dir, meta.id));
  if (!info) return false;
  const target = parseTarget(info.spec);
  const launcher = LAUNCHERS[target.kind];
  if (launcher === 'engine' || !(launcher as Launcher<TargetKind>).followAgain) return false;
  const { writer, records, graph } = store.adopt(meta.id);
  const { running, job } = (launcher as Launcher<TargetKind>).followAgain!(target as never, info, now);
  await follow(running, job, { io: QUIET, checked: checkedGraph(graph), label: meta.name, runs: store.dir, adopted: { writer, records }, ...(info.extras ? { extras: info.extras } : {}) });
  return store.unfollowed(store.open(meta.id).meta) ? 'running' : 'ended';
}

/**
 * A job that is a process group of this machine (torchrun, or the ssh connection whose end ends the
 * job there): SIGTERM to the group, once its pid is checked to be the job's (alive, and started when
 * the job did: a pid handed out again is not the job).
 */
function cancelProcessGroup(job: JobHandle): void {
  const pid = Number(job.jobId);
  const same = Number.isInteger(pid) && pid > 1 && processAlive(pid) && (job.jobStarted === undefined || processStartTime(pid) === job.jobStarted);
  if (!same) refuse('E_RUN_NOT_RUNNING', `Job ${job.jobId} (${job.spec}) is no longer running on this machine.`, 1);
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    process.kill(pid, 'SIGTERM');
  }
}

/**
 * End a run trained elsewhere (`netwright runs cancel`, the app's Stop on such a run): its folder
 * gets the cancel marker (so its follower records it `stopped`, not `failed`), then its target's
 * launcher ends the job (SIGTERM to a process group of this machine or, over ssh, of the other
 * machine; scancel for Slurm). A run over ssh or on Slurm that nobody follows (`crashed`: its
 * command killed) may still have its job running, and is cancelled too (`netwright runs cancel`
 * then follows it to record its end). Refused (CliError) for a run that is not running
 * (`E_RUN_NOT_RUNNING`), trained here
 * (`E_RUN_NOT_CANCELLABLE`: the app or the command that trains it stops it), or whose job is no
 * longer the process recorded (its pid reused: the start times differ). `by` (the CLI, or the
 * app) goes into the marker, and the run's `cancelled` event says it. The run's meta.
 */
export function cancelRun(store: Pick<RunStore, 'dir' | 'open' | 'unfollowed'>, id: string, by: Canceller = 'cli'): RunMeta & { target: JobHandle } {
  const m = store.open(id).meta;
  // A run nobody follows may still have its job running on another machine or a cluster; its job file is checked before anything is done.
  const remote = store.unfollowed(m) && readRemoteJob(join(store.dir, m.id)) !== undefined;
  if (m.status !== 'running' && !remote) refuse('E_RUN_NOT_RUNNING', `Run ${m.id} is ${m.status}: there is nothing to cancel.`, 1);
  if (!m.target) refuse('E_RUN_NOT_CANCELLABLE', `Run ${m.id} trains in Netwright's engine (process ${m.pid}): stop it where it trains (the app's Stop, or Ctrl-C).`, 1);
  const marker = join(store.dir, m.id, CANCEL_MARKER);
  let made = false;
  try {
    const fd = openSync(marker, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    made = true;
    try {
      writeSync(fd, by);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    // A marker that could not be written whole is not left to read as a cancel.
    if (made) {
      rmSync(marker, { force: true });
      made = false;
    }
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') refuse('E_RUN_WRITE', `Run ${m.id}'s folder could not be written (${(e as NodeJS.ErrnoException).code}); nothing was cancelled.`, 1);
  }
  try {
    cancelJob(parseTarget(m.target!.spec), m.target!);
  } catch (e) {
    // Nothing was cancelled: the marker must not make a later failure read as a cancel.
    if (made) rmSync(marker, { force: true });
    throw e;
  }
  return m as RunMeta & { target: JobHandle };
}
