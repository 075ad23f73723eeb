/**
 * A job that outlives the process following it (the app's runs elsewhere, `runs.launch`): its
 * output goes to files in its run's folder (`job/job.out`, `job/job.err`, beside the exported
 * project and `job/job.json`), not to a pipe, so an engine started later follows it again from
 * those files (node/elsewhere-host.ts, `reattachRuns`), as the Slurm follower reads a job's
 * `slurm-<id>.out`.
 */
import { closeSync, constants, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { CheckpointExtras } from '../app/runs/recorder';
import type { ErrorCode } from '../base/errors';
import { processAlive, processStartTime } from './process-info';

/** The job's folder in its run's folder: the exported project, its output and `job.json`. */
export const JOB_FOLDER = 'job';
/** What a later engine needs to follow the job again (`DetachedJobInfo`). */
export const JOB_FILE = 'job.json';
export const JOB_OUT = 'job.out';
export const JOB_ERR = 'job.err';

/** `job/job.json`: the job's process (a pid of this machine and its start time), how it was started, and what its checkpoints are kept with. */
export interface DetachedJobInfo {
  pid: number;
  started?: number;
  spec: string;
  launcher: string;
  backend: string;
  extras?: CheckpointExtras;
}

/** How it ended, as torchrun-target.ts's `RunningJob` says it. */
type Exit = { code: number | null; signal: NodeJS.Signals | null; state?: string; detached?: { lost?: string } };

/** A job followed through its files: torchrun-target.ts's `RunningJob` (said again here: that module starts these jobs). */
export interface FileJob {
  id: string;
  started?: number;
  onLine(each: (stream: 'stdout' | 'stderr', line: string) => void): void;
  ended: Promise<Exit>;
  stop(): void;
}

/** How often the files are read for new lines, and the job's process looked for (ms). */
const POLL_MS = 250;

/** Whether `pid` is still the job's process (alive, and started when the job did: a pid handed out again is not the job). */
export function jobAlive(pid: number, started: number | undefined): boolean {
  return processAlive(pid) && (started === undefined || processStartTime(pid) === started);
}

/**
 * A job of this machine whose stdout and stderr are the files `out` and `err` (open descriptors:
 * they stay the files when the folder is moved), followed by reading them as they grow. Its end:
 * `exited` for a child of this process; else its pid gone, when its exit status is no longer
 * known: after its end record it is taken as done, before it the job ended unwatched.
 */
export function fileJob({ pid, started, out, err, exited, isDone }: { pid: number; started?: number; out: number; err: number; exited?: Promise<Exit>; isDone: (line: string) => boolean }): FileJob {
  const streams = [
    { name: 'stdout' as const, fd: out, offset: 0, partial: '', decoder: new StringDecoder('utf8') },
    { name: 'stderr' as const, fd: err, offset: 0, partial: '', decoder: new StringDecoder('utf8') },
  ];
  let each: ((stream: 'stdout' | 'stderr', line: string) => void) | undefined;
  let sawDone = false;
  let timer: ReturnType<typeof setInterval> | undefined;
  const emit = (stream: 'stdout' | 'stderr', line: string) => {
    if (stream === 'stdout' && isDone(line)) sawDone = true;
    each?.(stream, line);
  };
  const drain = (final: boolean) => {
    for (const r of streams) {
      for (;;) {
        const size = fstatSync(r.fd).size;
        if (size <= r.offset) break;
        const buf = Buffer.alloc(Math.min(size - r.offset, 1 << 20));
        const n = readSync(r.fd, buf, 0, buf.length, r.offset);
        if (n <= 0) break;
        r.offset += n;
        const lines = (r.partial + r.decoder.write(buf.subarray(0, n))).split('\n');
        r.partial = lines.pop()!;
        for (const line of lines) emit(r.name, line);
      }
      if (final) {
        const rest = r.partial + r.decoder.end();
        r.partial = '';
        if (rest !== '') emit(r.name, rest);
      }
    }
  };
  const ended = new Promise<Exit>((resolve) => {
    const finish = (how: Exit | (() => Exit)) => {
      if (timer) clearInterval(timer);
      drain(true);
      closeSync(out);
      closeSync(err);
      resolve(typeof how === 'function' ? how() : how);
    };
    if (exited) {
      void exited.then(finish);
      return;
    }
    const watch = setInterval(() => {
      if (jobAlive(pid, started)) return;
      clearInterval(watch);
      finish(() => (sawDone ? { code: 0, signal: null } : { code: null, signal: null, state: 'while no Netwright process was following it' }));
    }, POLL_MS);
  });
  return {
    id: String(pid),
    ...(started !== undefined ? { started } : {}),
    onLine(f) {
      each = f;
      drain(false);
      timer = setInterval(() => drain(false), POLL_MS);
    },
    ended,
    stop() {
      try {
        process.kill(-pid, 'SIGTERM');
      } catch {
        // already gone
      }
    },
  };
}

/** A run's `job/remote.json`: the job of a run trained on another machine or a cluster (ssh, Slurm), to follow again. */
export const REMOTE_JOB_FILE = 'remote.json';

/**
 * What a run trained elsewhere keeps of its job so that another process can follow it again once
 * its follower has gone (`netwright runs show|log`, an engine started again): its target (as `--on`
 * spells it, the remote folder resolved), its id there, the folder its output is in (on the other
 * machine for ssh, the shared home's for Slurm), how it is described, and what its checkpoints are kept with.
 */
export interface RemoteJobInfo {
  spec: string;
  jobId: string;
  folder: string;
  launcher: string;
  backend: string;
  extras?: CheckpointExtras;
}

/** Keep `info` in the run's folder `runFolder` (`job/remote.json`, made new: never over another's). */
export function writeRemoteJob(runFolder: string, info: RemoteJobInfo): void {
  mkdirSync(join(runFolder, JOB_FOLDER), { recursive: true, mode: 0o700 });
  writeFileSync(join(runFolder, JOB_FOLDER, REMOTE_JOB_FILE), JSON.stringify(info), { flag: 'wx', mode: 0o600 });
}

/**
 * The run's `job/remote.json`, checked; undefined when it has none (a run of this machine's engine
 * or torchrun). `E_RUN_JOB_CORRUPT` naming the file (`RUN/job/remote.json`) when it cannot be read
 * or is not a job Netwright started (torn, edited, a link): nothing is changed.
 */
export function readRemoteJob(runFolder: string): RemoteJobInfo | undefined {
  const where = `${basename(runFolder)}/${JOB_FOLDER}/${REMOTE_JOB_FILE}`;
  let fd: number;
  try {
    fd = openSync(join(runFolder, JOB_FOLDER, REMOTE_JOB_FILE), constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw jobFileError(`${where} cannot be opened (${code === 'ELOOP' ? 'it is a link' : (code ?? 'error')})`);
  }
  let raw: Partial<RemoteJobInfo> | null;
  try {
    raw = JSON.parse(readFileSync(fd, 'utf8')) as Partial<RemoteJobInfo> | null;
  } catch {
    throw jobFileError(`${where} is not valid JSON (cut short or edited)`);
  } finally {
    closeSync(fd);
  }
  const text = (v: unknown) => typeof v === 'string' && v !== '';
  if (!raw || !text(raw.spec) || !text(raw.jobId) || !text(raw.folder) || !text(raw.launcher) || !text(raw.backend)) throw jobFileError(`${where} is not a job Netwright started (a field is missing)`);
  return raw as RemoteJobInfo;
}

/** A run's job file that cannot be used: what it is, and that nothing was done. */
function jobFileError(what: string): Error & { code: ErrorCode } {
  return Object.assign(new Error(`${what}; nothing was changed. Its job may still run where it trained: end it there by hand, or delete the run.`), { code: 'E_RUN_JOB_CORRUPT' as const });
}

/**
 * Whether the job of a run trained elsewhere may still be running, as far as this machine can tell
 * without asking another (`netwright runs list` stays off the network): a job of another machine
 * or a cluster (the run has `job/remote.json`) may; a process of this machine (its pid and start
 * time recorded: torchrun) while it is alive and the same process.
 */
export function jobMayRun(runFolder: string, job: { jobId: string; jobStarted?: number }): boolean {
  if (existsSync(join(runFolder, JOB_FOLDER, REMOTE_JOB_FILE))) return true;
  const pid = Number(job.jobId);
  return job.jobStarted !== undefined && Number.isInteger(pid) && pid > 1 && jobAlive(pid, job.jobStarted);
}
