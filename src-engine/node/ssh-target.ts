/**
 * `netwright train DESIGN --on ssh:[user@]host[:dir]`: the design leaves as its PyTorch project (as
 * for `torchrun:N`, node/torchrun-target.ts), is copied to `dir` on the other machine (a tar stream
 * over ssh; `netwright-runs/<id>` under the remote home when no folder is named), and torchrun runs
 * train.py there with `--report jsonl`, started by netwright_job.py (node/ssh-job.ts) in a session
 * of its own, so the job outlives the connection; its output, kept in files there, is read back over
 * a second connection and recorded as it comes, each checkpoint fetched (`cat` over ssh) as it is
 * reported. The run's target names the folder (`ssh:host:dir`) and its job id is the job's process
 * group there: `netwright runs cancel` ends it (`cancelOverSsh`), and when the command or its
 * connection has gone, `netwright runs show|log` or an engine follows it again (`followOverSsh`).
 * ssh runs with BatchMode (it never asks for a password: use a key or an agent) and is looked up on PATH.
 *
 * Processes there: one on the CPU (`--device cpu`, the default), one a GPU (`--device gpu`), or
 * torchrun's `auto` (the GPUs, else one a CPU core) with `--device auto`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { TargetOf } from '../catalog/targets/registry';
import { ssh as sshTarget } from '../catalog/targets/ssh';
import { CliError, refuse } from './cli-files';
import { writeRemoteJob, type RemoteJobInfo } from './job-files';
import { JOB_SCRIPT, JOB_SCRIPT_TEXT } from './ssh-job';
import { privateTempFolder } from './temp-folder';
import { exportProject, follow, torchrunArgs, type ElsewherePlan, type Job, type JobEnd, type RunningJob } from './torchrun-target';

type SshOptions = TargetOf<'ssh'>['options'];

/** The most bytes a checkpoint fetched over ssh may hold. */
const CHECKPOINT_MAX_BYTES = 2 ** 31 - 1;

/**
 * `s` as one word of a POSIX shell command line: in single quotes, each `'` written `'\''`. The one
 * escaper for what goes to the remote shell (ssh joins its command's words with spaces and hands
 * them to the user's login shell); test/unit/engine/node/ssh-target.test.ts checks it against `sh`.
 */
export function shellWord(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** ssh's options: never a prompt, a dead connection noticed within a minute. */
const SSH_OPTIONS = ['-o', 'BatchMode=yes', '-o', 'ServerAliveInterval=15', '-o', 'ServerAliveCountMax=4'];

/** `ssh … DESTINATION COMMAND` for the machine `options` names: the command and its arguments. */
function remote(options: SshOptions, command: string): readonly [string, string[]] {
  const destination = options.user !== undefined ? `${options.user}@${options.host}` : options.host;
  return ['ssh', [...SSH_OPTIONS, '--', destination, command]];
}

/** Train `plan` on the machine `target` names; the exit code (0 done or cancelled). */
export async function trainOverSsh(target: TargetOf<'ssh'>, plan: ElsewherePlan): Promise<number> {
  const options: SshOptions = { ...target.options, dir: target.options.dir ?? `netwright-runs/${randomUUID()}` };
  const dir = options.dir!;
  // The run's target names the folder the job is in: what follows or cancels it later reads it there.
  const spec = sshTarget.format(options);
  const where = spec.slice('ssh:'.length);
  const work = mkdtempSync(join(privateTempFolder(), 'ssh-'));
  try {
    const project = exportProject(plan, work, { elsewhere: true });
    writeFileSync(join(project, JOB_SCRIPT), JOB_SCRIPT_TEXT, { flag: 'wx', mode: 0o600 });
    // The project and its data, as one tar stream into the folder there.
    if (!plan.io.json) plan.io.out(`copying the project to ${where}\n`);
    await copyOver(project, ...remote(options, `mkdir -p ${shellWord(dir)} && tar -x -f - -C ${shellWord(dir)}`), target.spec);
    const processes = plan.device === 'cpu' ? '1' : plan.device === 'gpu' ? 'gpu' : 'auto';
    const torchrun = ['python3', '-m', 'torch.distributed.run', '--standalone', '--nnodes', '1', '--nproc_per_node', processes, ...torchrunArgs(plan)];
    // Started there in a session of its own (netwright_job.py): the job outlives this connection.
    const said = await output(...remote(options, `cd ${shellWord(dir)} && exec python3 ${JOB_SCRIPT} start ${torchrun.map(shellWord).join(' ')}`));
    const jobId = /^(\d+)\n?$/.exec(said.code === 0 ? said.stdout : '')?.[1];
    if (jobId === undefined) throw new CliError('E_TARGET_LAUNCH', `${target.spec}: the job could not be started there (${said.code === -1 ? 'ssh could not be started: install OpenSSH\'s client' : `ssh exited with ${said.code}`})${said.stderr.trim() ? `: ${said.stderr.trim()}` : ''}`, 1);
    const info: RemoteJobInfo = { spec, jobId, folder: dir, launcher: 'ssh', backend: `PyTorch torchrun over ssh · ${where}`, ...(plan.extras ? { extras: plan.extras } : {}) };
    const { running, job } = followOverSsh(target, info, false);
    return await follow(running, { ...job, recorded: (folder) => writeRemoteJob(folder, info) }, plan);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * The job `info` names, on the machine `target` names, followed over a new connection: its output
 * files read from their start (netwright_job.py `follow`), to its end, or with `now` until it has
 * caught up with a job that runs on. A connection that ends otherwise is `detached` with `lost`.
 */
export function followOverSsh(target: TargetOf<'ssh'>, info: RemoteJobInfo, now: boolean): { running: RunningJob; job: Job } {
  const options: SshOptions = { ...target.options, dir: info.folder };
  const [command, args] = remote(options, `cd ${shellWord(info.folder)} && exec python3 ${JOB_SCRIPT} follow${now ? ' --now' : ''}`);
  const child = spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let said = '';
  let end: string | undefined;
  let caughtUp = false;
  child.stderr.on('data', (d: Buffer) => (said = (said + d.toString()).slice(-1000)));
  const ended = new Promise<JobEnd>((resolve) => {
    child.once('error', (e) => resolve({ code: null, signal: null, detached: { lost: `ssh could not be started (${(e as NodeJS.ErrnoException).code ?? e.message})` } }));
    child.once('close', (code) => {
      if (end !== undefined) resolve(jobEnd(end));
      else if (caughtUp) resolve({ code: null, signal: null, detached: {} });
      else resolve({ code: null, signal: null, detached: { lost: `the connection ended (ssh exited with ${code})${said.trim() ? `: ${said.trim()}` : ''}` } });
    });
  });
  const running: RunningJob = {
    id: info.jobId,
    onLine(each) {
      createInterface({ input: child.stdout }).on('line', (line) => {
        const tag = line.slice(0, 2);
        if (tag === 'o ') each('stdout', line.slice(2));
        else if (tag === 'e ') each('stderr', line.slice(2));
        else if (tag === 'x ') end = line.slice(2);
        else if (line === 'r') caughtUp = true;
      });
    },
    ended,
    stop: () => {
      spawn(...remote(options, `cd ${shellWord(info.folder)} && exec python3 ${JOB_SCRIPT} cancel`), { stdio: 'ignore' }).once('error', () => undefined);
    },
  };
  const job: Job = {
    spec: info.spec,
    launcher: 'ssh',
    backend: info.backend,
    checkpoint: (which) => fetch(...remote(options, `cat ${shellWord(`${info.folder}/checkpoints/${which}.safetensors`)}`)),
  };
  return { running, job };
}

/** netwright_job.py's `x STATUS`: an exit status, `signal N`, or `lost` (the job's processes gone without a word). */
function jobEnd(status: string): JobEnd {
  if (/^\d+$/.test(status)) return { code: Number(status), signal: null };
  const signal = /^signal (\d+)$/.exec(status)?.[1];
  if (signal !== undefined) return { code: null, signal: (Object.entries(osConstants.signals).find(([, n]) => n === Number(signal))?.[0] ?? 'SIGKILL') as NodeJS.Signals };
  return { code: null, signal: null, state: 'there without a word (its processes were killed)' };
}

/**
 * `netwright runs cancel` for a run over SSH: netwright_job.py `cancel` in the job's folder there
 * (SIGTERM to the job's process group, once its lock shows the job still runs). Refused
 * (`E_RUN_NOT_RUNNING`) when it no longer runs, `E_TARGET_CONNECTION` when the machine does not answer.
 */
export function cancelOverSsh(target: TargetOf<'ssh'>, job: { spec: string; jobId: string }): void {
  const dir = target.options.dir;
  if (dir === undefined) return refuse('E_RUN_NOT_CANCELLABLE', `${job.spec} names no folder: this run was recorded by an older Netwright, whose job ended with its connection.`, 1);
  const [command, args] = remote(target.options, `cd ${shellWord(dir)} && exec python3 ${JOB_SCRIPT} cancel`);
  const r = spawnSync(command, args, { encoding: 'utf8', timeout: 60_000 });
  if (r.status === 0) return;
  if (r.status === 3) refuse('E_RUN_NOT_RUNNING', `Job ${job.jobId} (${job.spec}) is no longer running there.`, 1);
  refuse('E_TARGET_CONNECTION', `${job.spec}: the job could not be cancelled (${r.error ? `ssh could not be started: ${r.error.message}` : `ssh exited with ${r.status}`})${r.stderr?.trim() ? `: ${r.stderr.trim().slice(-500)}` : ''}`, 1);
}

/** What `command args…` printed and its exit status (-1: it could not be started). */
function output(command: string, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout = (stdout + d.toString()).slice(-4000)));
    p.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    p.once('error', () => resolve({ code: -1, stdout, stderr }));
    p.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** `tar -c` of `folder` into `command args…`'s stdin; refused with what ssh said when either fails. */
async function copyOver(folder: string, command: string, args: readonly string[], spec: string): Promise<void> {
  const tar = spawn('tar', ['-c', '-f', '-', '-C', folder, '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const ssh = spawn(command, args, { stdio: ['pipe', 'ignore', 'pipe'] });
  let said = '';
  ssh.stderr.on('data', (d: Buffer) => (said = (said + d.toString()).slice(-2000)));
  tar.stdout.pipe(ssh.stdin);
  ssh.stdin.on('error', () => undefined); // ssh ended early: its exit says why
  const ended = (p: typeof tar | typeof ssh) => new Promise<number | null>((resolve) => {
    p.once('error', () => resolve(-1));
    p.once('close', (code) => resolve(code));
  });
  const [tarCode, sshCode] = await Promise.all([ended(tar), ended(ssh)]);
  if (tarCode !== 0 || sshCode !== 0) throw new CliError('E_TARGET_LAUNCH', `${spec}: the project could not be copied there (${sshCode === -1 ? 'ssh could not be started' : `ssh exited with ${sshCode}`}${tarCode !== 0 ? `, tar with ${tarCode}` : ''})${said.trim() ? `: ${said.trim()}` : ''}`, 1);
}

/** The stdout of `command args…`, at most CHECKPOINT_MAX_BYTES; rejects when it fails. */
function fetch(command: string, args: readonly string[]): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const p = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const parts: Buffer[] = [];
    let size = 0;
    let said = '';
    p.stdout.on('data', (d: Buffer) => {
      size += d.length;
      if (size > CHECKPOINT_MAX_BYTES) p.kill();
      else parts.push(d);
    });
    p.stderr.on('data', (d: Buffer) => (said = (said + d.toString()).slice(-500)));
    p.once('error', reject);
    p.once('close', (code) => (code === 0 && size <= CHECKPOINT_MAX_BYTES ? resolve(Buffer.concat(parts)) : reject(new Error(`fetching the checkpoint over ssh failed (${size > CHECKPOINT_MAX_BYTES ? 'larger than 2 GiB' : `exit ${code}`}): ${said.trim()}`))));
  });
}
