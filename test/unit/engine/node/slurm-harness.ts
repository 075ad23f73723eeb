/**
 * A single-node Slurm cluster for the slurm target's tests (#84): Debian's slurm-wlm (slurmctld,
 * slurmd, the client commands) and munge, each started by the test as the user running it, with a
 * temporary slurm.conf (SLURM_CONF) naming that user as SlurmUser and SlurmdUser, this machine as
 * its one node at 127.0.0.1, free ports, state, spool, pid and log files in a temporary folder,
 * ProctrackType=proctrack/linuxproc and TaskPlugin=task/none (no cgroups), and no accounting
 * (sacct then says "Slurm accounting storage is disabled": the follower reads the job's end from
 * `scontrol show job`). munged runs with its own key and socket there (AuthInfo=socket=…).
 *
 * Measured here (slurm-wlm 22.05.8, munge 0.5.15): this runs unprivileged — slurmctld, slurmd and
 * munged started as `nobody` ran a batch job and its srun step — and as root. NOTE: munged run as
 * root refuses a socket folder others cannot search ("Socket is inaccessible: execute permissions
 * for all required"; as another user it only warns), so the folder is 0755, the key 0400 inside it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { TORCH_PYTHON, tempDir } from '../export/torch-harness';
import { freePort } from '../../../../src-engine/node/torchrun-target';

const DAEMONS = { munged: '/usr/sbin/munged', slurmctld: '/usr/sbin/slurmctld', slurmd: '/usr/sbin/slurmd' } as const;
/** Whether slurm-wlm's daemons and commands and munge are installed (slurmctld slurmd slurm-client munge: .ci/run installs them). */
export const HAS_SLURM = Object.values(DAEMONS).every((f) => existsSync(f)) && ['sbatch', 'squeue', 'sacct', 'scancel', 'scontrol', 'sinfo'].every((c) => existsSync(`/usr/bin/${c}`));

export interface SlurmCluster {
  dir: string;
  /** The home folder the jobs' projects go to (HOME while the cluster runs). */
  home: string;
  /** What the daemons logged. */
  logs(): string;
  stop(): Promise<void>;
}

/**
 * Start munged, slurmctld and slurmd; set SLURM_CONF, HOME (a temporary folder) and PATH (a
 * folder whose `python3` is the Python with PyTorch first) for the commands and the jobs, all
 * restored when stopped.
 */
export async function startSlurm(): Promise<SlurmCluster> {
  const dir = tempDir('slurm');
  chmodSync(dir, 0o755);
  for (const d of ['state', 'spool', 'log', 'munge', 'bin', 'home']) mkdirSync(join(dir, d));
  chmodSync(join(dir, 'munge'), 0o755);
  writeFileSync(join(dir, 'munge', 'munge.key'), randomBytes(1024), { mode: 0o400 });
  symlinkSync(TORCH_PYTHON, join(dir, 'bin', 'python3'));
  const user = userInfo().username;
  const node = hostname();
  const [ctld, slurmd] = [await freePort(), await freePort()];
  const socket = join(dir, 'munge', 'munge.sock');
  const conf = join(dir, 'slurm.conf');
  writeFileSync(
    conf,
    [
      'ClusterName=netwright-test',
      `SlurmctldHost=${node}(127.0.0.1)`,
      `SlurmUser=${user}`,
      `SlurmdUser=${user}`,
      'AuthType=auth/munge',
      'CredType=cred/munge',
      `AuthInfo=socket=${socket}`,
      `SlurmctldPort=${ctld}`,
      `SlurmdPort=${slurmd}`,
      `StateSaveLocation=${join(dir, 'state')}`,
      `SlurmdSpoolDir=${join(dir, 'spool')}`,
      `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
      `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
      `SlurmctldLogFile=${join(dir, 'log', 'slurmctld.log')}`,
      `SlurmdLogFile=${join(dir, 'log', 'slurmd.log')}`,
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'JobAcctGatherType=jobacct_gather/none',
      'AccountingStorageType=accounting_storage/none',
      'JobCompType=jobcomp/none',
      'SchedulerType=sched/builtin',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_Core',
      // The node as configured (one CPU), whatever the machine has.
      'SlurmdParameters=config_overrides',
      'ReturnToService=2',
      'MpiDefault=none',
      'SwitchType=switch/none',
      `NodeName=${node} NodeAddr=127.0.0.1 CPUs=1 State=UNKNOWN`,
      `PartitionName=debug Nodes=${node} Default=YES MaxTime=INFINITE State=UP`,
      '',
    ].join('\n'),
  );
  const saved = { SLURM_CONF: process.env.SLURM_CONF, HOME: process.env.HOME, PATH: process.env.PATH };
  process.env.SLURM_CONF = conf;
  process.env.HOME = join(dir, 'home');
  process.env.PATH = `${join(dir, 'bin')}:${saved.PATH}`;

  const started: { name: string; child: ChildProcess; exited: Promise<void> }[] = [];
  let said = '';
  const start = (name: keyof typeof DAEMONS, args: string[]) => {
    const child = spawn(DAEMONS[name], args, { stdio: ['ignore', 'pipe', 'pipe'] });
    for (const s of [child.stdout!, child.stderr!]) s.on('data', (d: Buffer) => (said = (said + `${name}: ${d.toString()}`).slice(-8000)));
    started.push({ name, child, exited: new Promise((resolve) => child.once('exit', () => resolve())) });
    return child;
  };
  const logs = () => ['slurmctld.log', 'slurmd.log'].map((f) => (existsSync(join(dir, 'log', f)) ? readFileSync(join(dir, 'log', f), 'utf8').slice(-3000) : '')).join('\n') + said;
  const stop = async () => {
    // A test that failed mid-run leaves its job in this cluster (and only this cluster's jobs are its user's here).
    if (started.some((s) => s.name === 'slurmctld')) spawnSync('scancel', ['--user', user], { stdio: 'ignore', timeout: 10_000 });
    for (const { child } of [...started].reverse()) child.kill('SIGTERM');
    await Promise.all(started.map((s) => s.exited));
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  try {
    start('munged', ['-F', `--key-file=${join(dir, 'munge', 'munge.key')}`, `--socket=${socket}`, `--pid-file=${join(dir, 'munge', 'munged.pid')}`, `--log-file=${join(dir, 'munge', 'munged.log')}`, `--seed-file=${join(dir, 'munge', 'seed')}`]);
    for (let i = 0; !existsSync(socket); i++) {
      if (i > 100) throw new Error('munged did not make its socket');
      await new Promise((w) => setTimeout(w, 50));
    }
    start('slurmctld', ['-D', '-i']);
    start('slurmd', ['-D']);
    // Up when the node is idle.
    for (let i = 0; ; i++) {
      const gone = started.find((s) => s.child.exitCode !== null);
      if (gone) throw new Error(`${gone.name} exited (${gone.child.exitCode})`);
      const r = spawnSync('sinfo', ['-h', '-N', '-o', '%T'], { encoding: 'utf8', timeout: 10_000 });
      if (r.status === 0 && r.stdout.trim() === 'idle') break;
      if (i > 150) throw new Error(`the node did not come up: ${r.stdout}${r.stderr}`);
      await new Promise((w) => setTimeout(w, 200));
    }
  } catch (e) {
    const why = `${(e as Error).message}\n${logs()}`;
    await stop();
    throw new Error(why);
  }
  return { dir, home: join(dir, 'home'), logs, stop };
}
