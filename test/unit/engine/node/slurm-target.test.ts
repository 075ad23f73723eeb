/**
 * `netwright train --on slurm[:…]` (#84): an sbatch script that runs torchrun under srun with a c10d
 * rendezvous on the job's first node, submitted with sbatch, followed through the job's output file,
 * its state from squeue and then sacct, cancelled with scancel. Here stand-ins for sbatch, srun,
 * scontrol, squeue, sacct and scancel on PATH run the job on this machine as one node (the script
 * under bash, its output where --output says) and answer as Slurm does, in a second or so;
 * test/accuracy/slurm-cluster.test.ts does the same on a real single-node Slurm the test starts.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main as trainCli } from '../../../../src-engine/node/train-cli';
import { main as runsCli } from '../../../../src-engine/node/runs-cli';
import { RunStore } from '../../../../src-engine/node/run-store';
import { RENDEZVOUS_PORT_LINE, sbatchScript } from '../../../../src-engine/node/slurm-target';
import { checkedOrThrow } from '../../../../src-engine/core/analysis/checked';
import type { GraphIR } from '../../../../src-engine/base/ir/types';
import type { RunRecord } from '../../../../src-engine/app/runs/types';
import { HAS_TORCH, TORCH_PYTHON, tempDir } from '../export/torch-harness';
import { runCli } from './cli-run';

const IRIS = join(import.meta.dirname, '../../../../examples/iris-mlp.json');

const saved = { PATH: process.env.PATH, HOME: process.env.HOME, SLURM_STATE: process.env.SLURM_STATE };
afterEach(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

/** Stand-ins for Slurm's commands (and PyTorch's python3) on PATH, a home folder for the projects, and the stand-ins' state folder. */
function standInSlurm(): { home: string } {
  const bin = tempDir('slurm-bin');
  const home = tempDir('slurm-home');
  const state = tempDir('slurm-state');
  const script = (name: string, lines: string[]) => {
    writeFileSync(join(bin, name), ['#!/bin/sh', ...lines, ''].join('\n'));
    chmodSync(join(bin, name), 0o755);
  };
  // sbatch --parsable SCRIPT: the script runs here under bash in its own session, as job $$.
  script('sbatch', [
    'id=$$',
    'cp "$2" "$SLURM_STATE/$id.sbatch"',
    `setsid sh -c 'SLURM_JOB_ID=$1 SLURM_NNODES=1 SLURM_JOB_NODELIST=127.0.0.1 bash "$2" > "slurm-$1.out" 2> "slurm-$1.err"; echo $? > "$3/$1.exit"' sh "$id" "$2" "$SLURM_STATE" < /dev/null > /dev/null 2>&1 &`,
    'echo $! > "$SLURM_STATE/$id.pid"',
    'echo "$id"',
  ]);
  script('srun', ['exec "$@"']);
  script('scontrol', ['echo 127.0.0.1']); // the one node: this machine
  // squeue -h -j ID -o %T: RUNNING while the script runs.
  script('squeue', ['[ -f "$SLURM_STATE/$3.exit" ] || { kill -0 "$(cat "$SLURM_STATE/$3.pid")" 2>/dev/null && echo RUNNING; }', 'exit 0']);
  // sacct -n -X -P -j ID -o State,ExitCode
  script('sacct', ['id=$5', 'if [ -f "$SLURM_STATE/$id.cancelled" ]; then echo "CANCELLED by 1000|0:15"', 'elif [ "$(cat "$SLURM_STATE/$id.exit")" = 0 ]; then echo "COMPLETED|0:0"', 'else echo "FAILED|$(cat "$SLURM_STATE/$id.exit"):0"; fi']);
  script('scancel', ['touch "$SLURM_STATE/$1.cancelled"', 'kill -TERM -"$(cat "$SLURM_STATE/$1.pid")" 2>/dev/null', 'echo 143 > "$SLURM_STATE/$1.exit"', 'exit 0']);
  symlinkSync(TORCH_PYTHON, join(bin, 'python3'));
  process.env.PATH = `${bin}:${process.env.PATH}`;
  process.env.HOME = home;
  process.env.SLURM_STATE = state;
  return { home };
}

type Step = Extract<RunRecord, { kind: 'step' }>;

describe('the sbatch script\'s rendezvous port', () => {
  it('is one free on the job\'s first node when the job starts (picked by the script there), never a fixed port: a second job on the node while the first holds its port gets another', async () => {
    const checked = checkedOrThrow(JSON.parse(readFileSync(IRIS, 'utf8')) as GraphIR);
    const script = sbatchScript({}, { io: { out: () => {}, err: () => {}, json: false }, checked, label: 'iris', runs: tempDir('slurm-port'), device: 'cpu' } as never).split('\n');
    const srun = script.findIndex((l) => l.startsWith('srun '));
    expect(script.indexOf(RENDEZVOUS_PORT_LINE)).toBeGreaterThan(-1);
    expect(script.indexOf(RENDEZVOUS_PORT_LINE)).toBeLessThan(srun);
    expect(script[srun]).toContain('--rdzv_endpoint "$head:$port"');
    expect(script.join('\n')).not.toMatch(/29500/);
    // The line as bash runs it on the node: a port, free there.
    const pick = () => Number(execFileSync('bash', ['-c', `${RENDEZVOUS_PORT_LINE}; echo "$port"`], { encoding: 'utf8', env: { ...process.env, PATH: `${join(TORCH_PYTHON, '..')}:${process.env.PATH}` } }).trim());
    const first = pick();
    expect(Number.isInteger(first) && first > 0 && first < 65536).toBe(true);
    const held = createServer();
    await new Promise<void>((resolve, reject) => held.once('error', reject).listen(first, resolve));
    try {
      // The first job's rendezvous listens there: the next job's pick is another port, and it is free.
      const second = pick();
      expect(second).not.toBe(first);
      const next = createServer();
      await new Promise<void>((resolve, reject) => next.once('error', reject).listen(second, resolve));
      await new Promise((r) => next.close(r));
    } finally {
      await new Promise((r) => held.close(r));
    }
  });
});

describe.skipIf(!HAS_TORCH)('netwright train --on slurm (stand-ins for Slurm, python3-torch)', () => {
  it('iris, one epoch on slurm:partition=debug,nodes=1,time=10: the sbatch script, the run followed through its output file with the local run\'s losses, COMPLETED is done; runs cancel is scancel', async () => {
    const { home } = standInSlurm();
    const runs = tempDir('slurm-runs');
    expect((await runCli(trainCli, [IRIS, '--runs', runs, '--epochs', '1'])).code).toBe(0);
    const r = await runCli(trainCli, [IRIS, '--runs', runs, '--epochs', '1', '--on', 'slurm:partition=debug,nodes=1,time=10']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/submitted Slurm job \d+/);

    const [project] = readdirSync(join(home, 'netwright-runs'));
    const sbatch = readFileSync(join(home, 'netwright-runs', project, 'project', 'job.sbatch'), 'utf8');
    for (const line of ['#SBATCH --nodes=1', '#SBATCH --ntasks-per-node=1', '#SBATCH --partition=debug', '#SBATCH --time=10', '#SBATCH --output=slurm-%j.out']) expect(sbatch).toContain(line);
    expect(sbatch).toMatch(/^srun 'python3' '-m' 'torch.distributed.run' '--nproc_per_node' '1' --nnodes "\$SLURM_NNODES" --rdzv_id "\$SLURM_JOB_ID" --rdzv_backend c10d --rdzv_endpoint "\$head:\$port" .*'train.py' '--report' 'jsonl'/m);

    const store = new RunStore(runs);
    const [remote, local] = [store.list().find((m) => m.target)!, store.list().find((m) => !m.target)!];
    expect(remote).toMatchObject({ status: 'done', target: { spec: 'slurm:partition=debug,nodes=1,time=10' } });
    expect(remote.target!.jobId).toMatch(/^\d+$/);
    const steps = (id: string) => store.open(id).records.filter((x): x is Step => x.kind === 'step');
    const [a, b] = [steps(remote.id), steps(local.id)];
    expect(a.map((s) => s.step)).toEqual(b.map((s) => s.step));
    expect(Math.max(...a.map((s, i) => Math.abs(s.loss! - b[i].loss!) / b[i].loss!))).toBeLessThan(1e-5);
    expect(Object.keys(store.model(remote.id, 'last').params).length).toBeGreaterThan(0);

    // A long run, cancelled: scancel, sacct says CANCELLED, the run is stopped with its steps.
    const long = runCli(trainCli, [IRIS, '--runs', runs, '--epochs', '5000', '--on', 'slurm:nodes=1']);
    let running;
    for (let i = 0; i < 600 && !running; i++) {
      await new Promise((w) => setTimeout(w, 100));
      running = store.list().find((m) => m.status === 'running' && store.open(m.id).records.some((x) => x.kind === 'step'));
    }
    expect(running, 'a running run with a step').toBeDefined();
    const c = await runCli(runsCli, ['cancel', running!.id, '--runs', runs]);
    expect(c.code, c.err).toBe(0);
    expect((await long).code).toBe(0);
    expect(store.open(running!.id).meta.status).toBe('stopped');
  }, 120_000);

  it('sbatch refusing the job: E_TARGET_LAUNCH with what sbatch said, and no run', async () => {
    standInSlurm();
    writeFileSync(join(process.env.PATH!.split(':')[0], 'sbatch'), '#!/bin/sh\necho "sbatch: error: invalid partition specified: nope" >&2\nexit 1\n');
    const runs = tempDir('slurm-refused');
    const r = await runCli(trainCli, [IRIS, '--runs', runs, '--epochs', '1', '--on', 'slurm:partition=nope']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/error E_TARGET_LAUNCH: slurm:partition=nope: the job could not be submitted: sbatch exited with 1: sbatch: error: invalid partition specified: nope/);
    expect(new RunStore(runs).list()).toEqual([]);
  });
});
