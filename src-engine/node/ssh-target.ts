/**
 * `netwright train DESIGN --on ssh:[user@]host[:dir]`: the design leaves as its PyTorch project (as
 * for `torchrun:N`, node/torchrun-target.ts), is copied to `dir` on the other machine (a tar stream
 * over ssh; `netwright-runs/<id>` under the remote home when no folder is named), and torchrun runs
 * train.py there with `--report jsonl`; its stdout comes back over the same ssh connection and is
 * recorded as it comes, each checkpoint fetched (`cat` over ssh) as it is reported. The job's id is
 * the local ssh process: `netwright runs cancel` ends it, and torchrun there ends when its output's
 * reader has gone. ssh runs with BatchMode (it never asks for a password: use a key or an agent) and
 * is looked up on PATH.
 *
 * Processes there: one on the CPU (`--device cpu`, the default), one a GPU (`--device gpu`), or
 * torchrun's `auto` (the GPUs, else one a CPU core) with `--device auto`.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TargetOf } from '../catalog/targets/registry';
import { CliError } from './cli-files';
import { privateTempFolder } from './temp-folder';
import { exportProject, follow, processJob, torchrunArgs, type ElsewherePlan, type Job } from './torchrun-target';

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

/** Train `plan` on the machine `target` names; the exit code (0 done or cancelled). */
export async function trainOverSsh(target: TargetOf<'ssh'>, plan: ElsewherePlan): Promise<number> {
  const { user, host } = target.options;
  const destination = user !== undefined ? `${user}@${host}` : host;
  const dir = target.options.dir ?? `netwright-runs/${randomUUID()}`;
  const remote = (command: string) => ['ssh', [...SSH_OPTIONS, '--', destination, command]] as const;
  const work = mkdtempSync(join(privateTempFolder(), 'ssh-'));
  try {
    const project = exportProject(plan, work, { elsewhere: true });
    // The project and its data, as one tar stream into the folder there.
    if (!plan.io.json) plan.io.out(`copying the project to ${destination}:${dir}\n`);
    await copyOver(project, ...remote(`mkdir -p ${shellWord(dir)} && tar -x -f - -C ${shellWord(dir)}`), target.spec);
    const processes = plan.device === 'cpu' ? '1' : plan.device === 'gpu' ? 'gpu' : 'auto';
    const torchrun = ['python3', '-m', 'torch.distributed.run', '--standalone', '--nnodes', '1', '--nproc_per_node', processes, ...torchrunArgs(plan)];
    const command = `cd ${shellWord(dir)} && PYTHONUNBUFFERED=1 exec ${torchrun.map(shellWord).join(' ')}`;
    const [ssh, args] = remote(command);
    const child = spawn(ssh, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const spawned = await new Promise<Error | null>((resolve) => {
      child.once('spawn', () => resolve(null));
      child.once('error', (e) => resolve(e));
    });
    if (spawned) throw new CliError('E_TARGET_LAUNCH', `${target.spec}: ssh could not be started (${(spawned as NodeJS.ErrnoException).code ?? spawned.message}); install OpenSSH's client.`, 1);
    const job: Job = {
      spec: target.spec,
      launcher: 'ssh',
      backend: `PyTorch torchrun over ssh · ${destination}:${dir}`,
      checkpoint: (which) => fetch(...remote(`cat ${shellWord(`${dir}/checkpoints/${which}.safetensors`)}`)),
    };
    return await follow(processJob(child), job, plan);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
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
