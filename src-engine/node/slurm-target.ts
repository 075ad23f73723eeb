/**
 * `netwright train DESIGN --on slurm[:partition=…,nodes=…,gpus-per-node=…,time=…]`, run on a
 * cluster's login node: the design leaves as its PyTorch project into `~/netwright-runs/slurm-*`
 * (the home folder being the one the compute nodes share), with a `job.sbatch` that runs torchrun
 * on every node under srun, the processes meeting at a c10d rendezvous on the job's first node.
 * It is submitted with `sbatch --parsable`; the run is followed through the job's output file
 * (`slurm-<id>.out`, train.py's report on it) as it grows, its state asked of `squeue` while it is
 * queued or running and of `sacct` (or `scontrol show job`, on a cluster without accounting) once
 * it has left the queue; `netwright runs cancel` is `scancel`. The job needs no follower: when the
 * command has gone, `netwright runs show|log` or an engine follows it again from its output file
 * (`followOnSlurm`, the run's job/remote.json naming it). The project folder stays (the job's
 * output, `trained.pt`, checkpoints).
 */
import { execFile, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readSync, fstatSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { TargetOf } from '../catalog/targets/registry';
import type { SlurmOptions } from '../catalog/targets/slurm';
import { CliError } from './cli-files';
import { shellWord } from './ssh-target';
import { writeRemoteJob, type RemoteJobInfo } from './job-files';
import { exportProject, follow, torchrunArgs, type ElsewherePlan, type Job, type JobEnd, type RunningJob } from './torchrun-target';

/** How often the output file is read and the job's state asked (ms). */
const POLL_MS = 500;
/**
 * The job script's line that picks its rendezvous port: one the first node's OS hands out free
 * when the job starts (a socket bound to port 0), so two jobs on one node never meet on the same
 * port (torchrun's usual 29500 was fixed here before, and a second job on the node failed to bind it).
 */
export const RENDEZVOUS_PORT_LINE = `port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("", 0)); print(s.getsockname()[1]); s.close()')`;

/**
 * The job's sbatch script: the options as `#SBATCH` lines (each value checked by the target's
 * declaration), one task a node, and torchrun under srun with a c10d rendezvous on the first node
 * (the Slurm job id as the rendezvous id) at a port free there when the job starts (`RENDEZVOUS_PORT_LINE`:
 * the batch script runs on that node, and srun's tasks get the port it picked). Every word of the torchrun command goes through `shellWord`.
 */
export function sbatchScript(options: SlurmOptions, plan: ElsewherePlan): string {
  const gpus = options['gpus-per-node'];
  const processes = gpus !== undefined && Number(gpus) > 0 && plan.device !== 'cpu' ? gpus : '1';
  const words = (w: readonly string[]) => w.map(shellWord).join(' ');
  // The node count, job id and first node are the job's own (Slurm's variables), expanded by bash there.
  const rendezvous = `--nnodes "$SLURM_NNODES" --rdzv_id "$SLURM_JOB_ID" --rdzv_backend c10d --rdzv_endpoint "$head:$port"`;
  return [
    '#!/bin/bash',
    '#SBATCH --job-name=netwright',
    `#SBATCH --nodes=${options.nodes ?? '1'}`,
    '#SBATCH --ntasks-per-node=1',
    ...(options.partition !== undefined ? [`#SBATCH --partition=${options.partition}`] : []),
    ...(options.account !== undefined ? [`#SBATCH --account=${options.account}`] : []),
    ...(gpus !== undefined ? [`#SBATCH --gpus-per-node=${gpus}`] : []),
    ...(options['cpus-per-task'] !== undefined ? [`#SBATCH --cpus-per-task=${options['cpus-per-task']}`] : []),
    ...(options.time !== undefined ? [`#SBATCH --time=${options.time}`] : []),
    '#SBATCH --output=slurm-%j.out',
    '#SBATCH --error=slurm-%j.err',
    '# Written by netwright train --on slurm: torchrun on every node under srun, meeting on the first node.',
    'set -eu',
    'head=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)',
    RENDEZVOUS_PORT_LINE,
    'export PYTHONUNBUFFERED=1',
    `srun ${words(['python3', '-m', 'torch.distributed.run', '--nproc_per_node', processes])} ${rendezvous} ${words(torchrunArgs(plan))}`,
    '',
  ].join('\n');
}

/** Train `plan` as a Slurm job; the exit code (0 done or cancelled). */
export async function trainOnSlurm(target: TargetOf<'slurm'>, plan: ElsewherePlan): Promise<number> {
  const base = join(homedir(), 'netwright-runs');
  mkdirSync(base, { recursive: true, mode: 0o700 });
  const work = mkdtempSync(join(base, 'slurm-'));
  const project = exportProject(plan, work, { elsewhere: true });
  writeFileSync(join(project, 'job.sbatch'), sbatchScript(target.options, plan), { flag: 'wx', mode: 0o700 });
  const submitted = spawnSync('sbatch', ['--parsable', 'job.sbatch'], { cwd: project, encoding: 'utf8', timeout: 60_000 });
  const jobId = /^(\d+)(;|$)/.exec(submitted.stdout?.trim() ?? '')?.[1];
  if (submitted.error || submitted.status !== 0 || jobId === undefined) {
    const why = submitted.error ? ((submitted.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'sbatch is not on PATH (run this on the cluster\'s login node)' : submitted.error.message) : `sbatch exited with ${submitted.status}: ${(submitted.stderr ?? '').trim().slice(-1000)}`;
    throw new CliError('E_TARGET_LAUNCH', `${target.spec}: the job could not be submitted: ${why}. The project is in ${project}.`, 1);
  }
  if (!plan.io.json) plan.io.out(`submitted Slurm job ${jobId} (${project})\n`);
  const info: RemoteJobInfo = {
    spec: target.spec,
    jobId,
    folder: project,
    launcher: 'Slurm job',
    backend: `PyTorch torchrun on Slurm · ${target.options.nodes ?? '1'} node${(target.options.nodes ?? '1') === '1' ? '' : 's'}${target.options.partition !== undefined ? ` · ${target.options.partition}` : ''}`,
    ...(plan.extras ? { extras: plan.extras } : {}),
  };
  const { running, job } = followOnSlurm(info, false);
  return follow(running, { ...job, recorded: (folder) => writeRemoteJob(folder, info) }, plan);
}

/**
 * The Slurm job `info` names, followed through its output files from their start: to its end, or
 * with `now` until it has caught up with a job still queued or running (`detached`).
 */
export function followOnSlurm(info: RemoteJobInfo, now: boolean): { running: RunningJob; job: Job } {
  const job: Job = { spec: info.spec, launcher: info.launcher, backend: info.backend, checkpoint: (which) => readFileSync(join(info.folder, 'checkpoints', `${which}.safetensors`)) };
  return { running: slurmJob(info.jobId, info.folder, now), job };
}

/**
 * Slurm job `id`, followed through its output files in `folder` and its state in squeue, then
 * sacct; where the cluster keeps no accounting (sacct: "Slurm accounting storage is disabled"),
 * `scontrol show job`, which knows a job for MinJobAge (300 s by default) after it ends.
 */
function slurmJob(id: string, folder: string, now: boolean): RunningJob {
  const files = { stdout: join(folder, `slurm-${id}.out`), stderr: join(folder, `slurm-${id}.err`) } as const;
  const read = { stdout: { offset: 0, partial: '' }, stderr: { offset: 0, partial: '' } };
  let each: (stream: 'stdout' | 'stderr', line: string) => void = () => undefined;
  const drain = (final: boolean) => {
    for (const stream of ['stdout', 'stderr'] as const) {
      const r = read[stream];
      let fd: number;
      try {
        fd = openSync(files[stream], 'r');
      } catch {
        continue; // not written yet
      }
      try {
        const size = fstatSync(fd).size;
        if (size > r.offset) {
          const buf = Buffer.alloc(size - r.offset);
          const n = readSync(fd, buf, 0, buf.length, r.offset);
          r.offset += n;
          const lines = (r.partial + buf.subarray(0, n).toString('utf8')).split('\n');
          r.partial = lines.pop()!;
          for (const line of lines) each(stream, line);
        }
      } finally {
        closeSync(fd);
      }
      if (final && r.partial) {
        each(stream, r.partial);
        r.partial = '';
      }
    }
  };
  const ask = (command: string, args: string[]) => new Promise<string | null>((resolve) => execFile(command, args, { timeout: 30_000 }, (e, out) => resolve(e ? null : out.trim())));
  let begin = () => {};
  const ended = new Promise<JobEnd>((resolve) => {
    const tick = async () => {
      drain(false);
      const queued = await ask('squeue', ['-h', '-j', id, '-o', '%T']);
      if (queued && now) {
        resolve({ code: null, signal: null, detached: {} });
        return;
      }
      if (queued) {
        setTimeout(() => void tick(), POLL_MS);
        return;
      }
      // Left the queue (or squeue failed): what sacct says it ended as (COMPLETED, FAILED, CANCELLED by …, TIMEOUT), and its exit code.
      const accounted = (await ask('sacct', ['-n', '-X', '-P', '-j', id, '-o', 'State,ExitCode'])) || controllerSays(await ask('scontrol', ['show', 'job', '-o', id]));
      const [state, exit] = (accounted?.split('\n')[0] ?? '').split('|');
      drain(true);
      const code = /^(\d+):/.exec(exit ?? '')?.[1];
      resolve({ code: code !== undefined ? Number(code) : null, signal: null, state: state ? state.split(' ')[0] : 'UNKNOWN (sacct did not say)' });
    };
    // Read once its lines have a reader: a job followed again has written some already.
    begin = () => void tick();
  });
  return {
    id,
    onLine(fn) {
      each = fn;
      begin();
    },
    ended,
    stop: () => void ask('scancel', [id]),
  };
}

/** `scontrol show job -o`'s line as sacct's `State|ExitCode`, or null when it says neither. */
function controllerSays(line: string | null): string | null {
  const state = /(?:^|\s)JobState=(\S+)/.exec(line ?? '')?.[1];
  const exit = /(?:^|\s)ExitCode=(\d+:\d+)/.exec(line ?? '')?.[1];
  return state !== undefined && exit !== undefined ? `${state}|${exit}` : null;
}

/** `netwright runs cancel` for a Slurm job: scancel; throws when Slurm refuses. */
export function cancelSlurmJob(id: string): void {
  const r = spawnSync('scancel', [id], { encoding: 'utf8', timeout: 60_000 });
  if (r.error || r.status !== 0) throw new CliError('E_RUN_NOT_RUNNING', `scancel ${id} failed: ${r.error ? r.error.message : (r.stderr ?? '').trim()}`, 1);
}
