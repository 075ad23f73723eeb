/**
 * The app's runs elsewhere (`runs.launch`, `runs.cancel`; the Train dock's "Where"): the same
 * launchers as `netwright train --on TARGET` (node/targets.ts) and the same cancel as `netwright
 * runs cancel` (`cancelRun`). The engine follows the job as the command does, writing its records
 * into the app's run store as they come, so the Runs tab lists the run with its target and job id
 * while it trains.
 */
import { closeSync, constants, existsSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { checkedGraph, type ElsewhereHost } from '../app/handlers/context';
import { coded } from '../app/handlers/coded';
import { checkpointExtras } from '../app/session/run-recorder';
import { thrownCode } from '../base/errors';
import { summaryBaselines } from '../core/metrics/baselines';
import { parseTarget, TargetSpecError } from '../catalog/targets/registry';
import type { Logger } from '../protocol/rpc';
import type { RunMeta } from '../app/runs/types';
import { processStartTime, type RunStore } from './run-store';
import { cancelRun, followAgain, trainElsewhere, trainsHere } from './targets';
import { fileJob, jobAlive, JOB_ERR, JOB_FILE, JOB_FOLDER, JOB_OUT, REMOTE_JOB_FILE, type DetachedJobInfo } from './job-files';
import { detachedJob, follow, reportedRecord } from './torchrun-target';
import { probeBatchOf } from './torchrun-probe';
import type { Io } from './train-progress';

/** Nothing to print: the engine's runs speak through the run store. */
const QUIET: Io = { out: () => {}, err: () => {}, json: false };

/** Launch and cancel runs elsewhere, recorded in `runs`. `log` hears how each followed job ended after its launch was answered. */
export function elsewhereHost(runs: RunStore, log?: Logger): ElsewhereHost {
  return {
    launch(plan) {
      let target;
      try {
        target = parseTarget(plan.target);
      } catch (e) {
        if (e instanceof TargetSpecError) throw coded('E_TARGET_SPEC', e.message);
        throw e;
      }
      if (trainsHere(target)) throw coded('E_TARGET_SPEC', `${target.spec} trains in the engine: Start it as any run (train.start).`);
      return new Promise((resolve, reject) => {
        let answered = false;
        const label = plan.checked.ir.name ?? 'design';
        trainElsewhere(target, {
          io: QUIET,
          checked: plan.checked,
          label,
          loaded: plan.loaded,
          ...(plan.from ? { from: plan.from } : {}),
          extras: checkpointExtras(plan.data),
          probe: probeBatchOf(plan.data),
          baselines: (test) => summaryBaselines(plan.data, plan.checked.ir.training!, test),
          runs: runs.dir,
          device: plan.device,
          // The job outlives this engine (its output to files in the run's folder): an engine started later follows it again.
          detached: true,
          ...(plan.project !== undefined ? { project: plan.project } : {}),
          ...(plan.projectId !== undefined ? { projectId: plan.projectId } : {}),
          onRecorded: ({ runId, jobId, target: spec }) => {
            answered = true;
            resolve({ runId: runId!, jobId, target: spec });
          },
        }).then(
          () => log?.('info', `${label} on ${target.spec}: the job ended`),
          (e: unknown) => {
            // Before the run was recorded the launch itself failed; after, the run's log says why.
            if (!answered) reject(coded(thrownCode(e, 'E_TARGET_LAUNCH') as never, (e as Error).message));
            else log?.('warn', `${label} on ${target.spec}: ${(e as Error).message}`);
          },
        );
      });
    },
    cancel(runId) {
      const m = cancelRun(runs, runId, 'app');
      // A run nobody followed (its follower gone, and not taken over when this engine started: its
      // machine did not answer then): followed again now, so its end is recorded (stopped) as
      // `netwright runs cancel` records it, and the run can then be deleted.
      if (runs.unfollowed(m)) void followRunAgain(runs, m, log)?.catch(() => {});
      return { id: m.id, target: m.target.spec, jobId: m.target.jobId };
    },
  };
}

/** The file in a run's `job/` that says which engine follows the job now (its pid and start time). */
const FOLLOWER_FILE = 'follower.json';

/**
 * Follow again the runs whose job outlived the engine that followed it (the app closed or the
 * engine restarted while they trained): each run the store lists `crashed` (its writer gone) that
 * has a `job/job.json` (launched by `runs.launch`) is taken over (`RunStore.adopt`), and its job's
 * output files are read from their start, what its log already holds skipped. A job still running
 * is followed to its end; one that ended meanwhile is recorded as its output says: done after its
 * end record, else failed, "ended while no Netwright process was following it". A run of another
 * machine or a cluster (`job/remote.json`: ssh, Slurm) is followed again where its job runs
 * (`followAgain`). Called when the engine starts; each run's follow, to wait on.
 */
export function reattachRuns(runs: RunStore, log?: Logger): { id: string; followed: Promise<number> }[] {
  const out: { id: string; followed: Promise<number> }[] = [];
  for (const meta of runs.list()) {
    if (!runs.unfollowed(meta)) continue;
    const followed = followRunAgain(runs, meta, log);
    if (followed) out.push({ id: meta.id, followed });
  }
  return out;
}

/** One run of `reattachRuns` (or one the app's Stop just cancelled while nobody followed it) taken over and followed to its end; undefined when it cannot be, or another engine follows it. */
function followRunAgain(runs: RunStore, meta: RunMeta, log?: Logger): Promise<number> | undefined {
  const folder = join(runs.dir, meta.id);
  const jobDir = join(folder, JOB_FOLDER);
  if (!existsSync(join(jobDir, JOB_FILE))) {
    // A job of another machine or a cluster (ssh, Slurm): followed again where it runs.
    return existsSync(join(jobDir, REMOTE_JOB_FILE)) ? followRemoteAgain(runs, meta.id, jobDir, log) : undefined;
  }
  try {
    const info = readJobInfo(jobDir);
    if (!claim(jobDir)) return undefined;
    const { writer, records, graph } = runs.adopt(meta.id);
    const read = (name: string) => openSync(join(jobDir, name), constants.O_RDONLY | constants.O_NOFOLLOW);
    const running = fileJob({ pid: info.pid, ...(info.started !== undefined ? { started: info.started } : {}), out: read(JOB_OUT), err: read(JOB_ERR), isDone: (line) => reportedRecord(line)?.kind === 'done' });
    log?.('info', `run ${meta.id}: following job ${info.pid} (${info.spec}) again${jobAlive(info.pid, info.started) ? '' : ', which has ended'}`);
    const followed = follow(running, detachedJob(folder, info), { io: QUIET, checked: checkedGraph(graph), label: meta.name, runs: runs.dir, adopted: { writer, records }, ...(info.extras ? { extras: info.extras } : {}) }).finally(() => rmSync(join(jobDir, FOLLOWER_FILE), { force: true }));
    followed.catch((e: unknown) => log?.('warn', `run ${meta.id}: ${(e as Error).message}`));
    return followed;
  } catch (e) {
    log?.('warn', `run ${meta.id} could not be followed again: ${(e as Error).message}`);
    return undefined;
  }
}

/** A run of another machine or a cluster taken over (`followAgain`) and followed to its end; undefined when another engine follows it or it cannot be. */
function followRemoteAgain(runs: RunStore, id: string, jobDir: string, log?: Logger): Promise<number> | undefined {
  try {
    if (!claim(jobDir)) return undefined;
    // Adopted before followAgain's first wait: an engine starting next finds the run running.
    const followed = followAgain(runs, id, { now: false })
      .then(() => 0)
      .finally(() => rmSync(join(jobDir, FOLLOWER_FILE), { force: true }));
    followed.catch((e: unknown) => log?.('warn', `run ${id}: ${(e as Error).message}`));
    log?.('info', `run ${id}: following its job again`);
    return followed;
  } catch (e) {
    log?.('warn', `run ${id} could not be followed again: ${(e as Error).message}`);
    return undefined;
  }
}

/** `job/job.json`, checked: a pid of this machine, its start time, the target and what its checkpoints keep. `E_RUN_JOB_CORRUPT` naming the file (`RUN/job/job.json`) otherwise. */
function readJobInfo(jobDir: string): DetachedJobInfo {
  const where = `${basename(dirname(jobDir))}/${JOB_FOLDER}/${JOB_FILE}`;
  let raw: Partial<DetachedJobInfo> | null;
  try {
    raw = JSON.parse(readNoFollow(join(jobDir, JOB_FILE))) as Partial<DetachedJobInfo> | null;
  } catch (e) {
    throw coded('E_RUN_JOB_CORRUPT', `${where} ${e instanceof SyntaxError ? 'is not valid JSON (cut short or edited)' : `cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`}; nothing was changed.`);
  }
  if (!raw || !Number.isInteger(raw.pid) || raw.pid! <= 1 || typeof raw.spec !== 'string' || typeof raw.launcher !== 'string' || typeof raw.backend !== 'string' || (raw.started !== undefined && typeof raw.started !== 'number')) throw coded('E_RUN_JOB_CORRUPT', `${where} is not a job this engine started; nothing was changed.`);
  parseTarget(raw.spec);
  return raw as DetachedJobInfo;
}

/**
 * Become the job's follower: `job/follower.json` made with O_EXCL, or taken over from a follower
 * that is gone (its pid dead, or another process's now). False when a live engine follows it.
 */
function claim(jobDir: string): boolean {
  const file = join(jobDir, FOLLOWER_FILE);
  const me = JSON.stringify({ pid: process.pid, started: processStartTime(process.pid) ?? null });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
      writeSync(fd, me);
      closeSync(fd);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = follower(file);
    const pid = Number(holder?.pid);
    if (Number.isInteger(pid) && pid > 1 && jobAlive(pid, typeof holder?.started === 'number' ? holder.started : undefined)) return false;
    rmSync(file, { force: true });
  }
  return false;
}

/** A file of the job's folder, not followed through a link. */
function readNoFollow(file: string): string {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/** `follower.json` as written, or null when it is torn or unreadable (its writer did not finish it). */
function follower(file: string): { pid?: unknown; started?: unknown } | null {
  try {
    return JSON.parse(readNoFollow(file)) as { pid?: unknown; started?: unknown } | null;
  } catch {
    return null;
  }
}
