/**
 * Issue #84, deliverable 6: `netwright train --on slurm` on a real single-node Slurm cluster. The
 * test starts munge, slurmctld and slurmd as the user running it (test/unit/engine/node/
 * slurm-harness.ts: a temporary slurm.conf, this machine its one node at 127.0.0.1), and the
 * launcher's commands are Slurm's own: the job.sbatch script submitted with sbatch runs torchrun
 * under srun with a c10d rendezvous, the run followed through slurm-<id>.out, its state from
 * squeue and, the cluster keeping no accounting, `scontrol show job`. Then `netwright runs
 * list|show|cancel`, and deliverable 5's faults: the command that launched the run killed
 * (SIGKILL) while its job runs on — `runs show` follows it again and `runs log` records its end,
 * every step once; `runs cancel` (scancel) ends a job, followed or not.
 *
 * In the accuracy suite (CI's `npm test -- --with-accuracy`): it starts PyTorch four times.
 * Skipped only where slurm-wlm, munge or python3-torch is missing (.ci/run installs them).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main as trainCli } from '../../src-engine/node/train-cli';
import { main as runsCli } from '../../src-engine/node/runs-cli';
import { RunStore } from '../../src-engine/node/run-store';
import { HAS_TORCH, tempDir } from '../unit/engine/export/torch-harness';
import { runCli } from '../unit/engine/node/cli-run';
import { HAS_SLURM, startSlurm, type SlurmCluster } from '../unit/engine/node/slurm-harness';
import { IRIS, launchedFromTheApp, runWithSteps, sleep, stepsOf, trainProcess, type Step } from './elsewhere-runs';

const run = HAS_SLURM && HAS_TORCH;
describe.skipIf(!run)(`netwright train --on slurm on a single-node Slurm started by the test${run ? '' : ' — SKIPPED: needs slurmctld, slurmd, slurm-client, munge and python3-torch (.ci/run installs them)'}`, () => {
  let slurm: SlurmCluster;
  beforeAll(async () => {
    slurm = await startSlurm();
  }, 60_000);
  afterAll(async () => {
    await slurm?.stop();
  });

  it('iris as a Slurm job: submitted, run under srun, followed through its output file, COMPLETED is done with the local run\'s losses; runs cancel is scancel', async () => {
    const runs = tempDir('slurm-runs');
    expect((await runCli(trainCli, [IRIS, '--runs', runs, '--epochs', '1'])).code).toBe(0);
    const spec = 'slurm:partition=debug,nodes=1,time=10';
    const r = await runCli(trainCli, [IRIS, '--runs', runs, '--epochs', '1', '--on', spec]);
    expect(r.code, `${r.err}\n${slurm.logs()}`).toBe(0);
    expect(r.out).toMatch(/submitted Slurm job \d+/);
    const store = new RunStore(runs);
    const [remote, local] = [store.list().find((m) => m.target)!, store.list().find((m) => !m.target)!];
    expect(remote).toMatchObject({ status: 'done', target: { spec } });
    // The job ran under Slurm: slurmd's log has it.
    expect(slurm.logs()).toContain(`Launching batch job ${remote.target!.jobId} `);
    const records = (id: string) => store.open(id).records.filter((x): x is Step => x.kind === 'step');
    const [a, b] = [records(remote.id), records(local.id)];
    expect(a.map((s) => s.step)).toEqual(b.map((s) => s.step));
    expect(Math.max(...a.map((s, i) => Math.abs(s.loss! - b[i].loss!) / b[i].loss!))).toBeLessThan(1e-5);
    expect(Object.keys(store.model(remote.id, 'last').params).length).toBeGreaterThan(0);
    const listed = await runCli(runsCli, ['list', '--runs', runs, '--json']);
    expect(JSON.parse(listed.out).runs.find((x: { id: string }) => x.id === remote.id)).toMatchObject({ status: 'done', target: spec, jobId: remote.target!.jobId });

    // A long run, cancelled: scancel, the run is stopped with its steps.
    const long = runCli(trainCli, [IRIS, '--runs', runs, '--epochs', '5000', '--on', 'slurm']);
    const running = await runWithSteps(store, 5);
    const c = await runCli(runsCli, ['cancel', running.id, '--runs', runs]);
    expect(c.code, c.err).toBe(0);
    expect((await long).code).toBe(0);
    expect(store.open(running.id).meta.status).toBe('stopped');
  }, 180_000);

  it('started from the app (runs.launch over the protocol): listed with its target and Slurm job id, its log (runs.log) the CLI\'s, Stop (runs.cancel) is scancel and records it stopped; runs show says the same', async () => {
    const store = new RunStore(tempDir('slurm-app'));
    const { done, stopped } = await launchedFromTheApp(store, 'slurm');
    // Both ran under Slurm: slurmd's log has them.
    for (const m of [done, stopped]) expect(slurm.logs()).toContain(`Launching batch job ${m.target!.jobId} `);
  }, 120_000);

  it('the command killed mid-run: the job runs on; runs show follows it again, runs log records its end, every step once; runs cancel ends a job nobody follows', async () => {
    const runs = tempDir('slurm-kill');
    const epochs = 600;
    const cli = trainProcess([IRIS, '--runs', runs, '--epochs', String(epochs), '--on', 'slurm']);
    const store = new RunStore(runs);
    const m = await runWithSteps(store, 10, cli);
    cli.kill('SIGKILL');
    await new Promise((r) => cli.once('close', r));
    const before = stepsOf(store, m.id).length;
    // Killed mid-run: the job had steps left.
    expect(before).toBeLessThan(epochs * 7);
    // Nobody follows it, and its job runs on in the queue: running elsewhere, not crashed.
    expect(store.open(m.id).meta.status).toBe('running');
    expect(store.unfollowed(store.open(m.id).meta)).toBe(true);

    await sleep(1500);
    const shown = await runCli(runsCli, ['show', m.id, '--runs', runs, '--json']);
    expect(shown.code, shown.err).toBe(0);
    const s = JSON.parse(shown.out);
    expect(s.steps.length).toBeGreaterThan(before);
    expect(s.steps.map((x: { step: number }) => x.step)).toEqual(Array.from({ length: s.steps.length }, (_, i) => i + 1));

    // Once the job has left the queue: runs log records its end.
    for (let i = 0; i < 900; i++) {
      const out = (await runCli(runsCli, ['show', m.id, '--runs', runs, '--json'])).out;
      if (JSON.parse(out).status !== 'running') break;
      await sleep(200);
    }
    const logged = await runCli(runsCli, ['log', m.id, '--runs', runs]);
    expect(logged.code, logged.err).toBe(0);
    expect(store.open(m.id).meta.status).toBe('done');
    expect(stepsOf(store, m.id)).toEqual(Array.from({ length: epochs * 7 }, (_, i) => i + 1));
    expect(store.open(m.id).records.filter((r) => r.kind === 'event' && r.event === 'launched')).toHaveLength(1);

    // Another, its command killed, cancelled: scancel, and the run is recorded stopped.
    const again = trainProcess([IRIS, '--runs', runs, '--epochs', '5000', '--on', 'slurm']);
    const n = await runWithSteps(store, 5, again);
    again.kill('SIGKILL');
    await new Promise((r) => again.once('close', r));
    const c = await runCli(runsCli, ['cancel', n.id, '--runs', runs]);
    expect(c.code, c.err).toBe(0);
    expect(store.open(n.id).meta.status).toBe('stopped');
    expect(stepsOf(store, n.id).length).toBeGreaterThanOrEqual(5);
  }, 240_000);
});
