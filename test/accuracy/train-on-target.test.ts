/**
 * Issue #84, the foundation: where a run trains is a target declared once (catalog/targets), and
 * `netwright train DESIGN --on torchrun:N --runs R` trains the exported train.py under PyTorch's
 * torchrun, its records coming back into the run store as it trains, beside the runs trained here.
 *
 * Same recipe, same curve (iris-mlp, one epoch of 7 steps, float32): `--on torchrun:1` starts from
 * the design's first weights and draws Netwright's batches, so its per-step losses are the engine's
 * to float32 rounding (measured: at most 1.1e-7 relative); `--on torchrun:2` keeps the global batch
 * (each process its share, its loss weighted by it), and differs only by DDP's summation order
 * (measured: at most 1.5e-7 relative). Both are held to 1e-5, two orders tighter than the 1e-3.
 *
 * Faults: a process of the job killed → the run `failed`, with an `error` event naming the exit and
 * every step recorded before kept; `netwright runs cancel` → `stopped`; the command that follows the
 * job killed (the app closed) → the job ends itself (train.py watches NETWRIGHT_HOST_PID) and the
 * run is listed `crashed`, its records kept.
 *
 * In the accuracy suite (CI's `npm test -- --with-accuracy`, `npm run test:accuracy`), not `npm
 * test`: it starts real PyTorch processes for a minute or so of its 8-minute budget.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTarget, TARGETS, TargetSpecError } from '../../src-engine/catalog/targets/registry';
import { main as trainCli } from '../../src-engine/node/train-cli';
import { main as runsCli } from '../../src-engine/node/runs-cli';
import { RunStore } from '../../src-engine/node/run-store';
import type { RunRecord } from '../../src-engine/app/runs/types';
import { StartInfo, StoredFrame } from '../../src-engine/protocol';
import { runsService } from '../../src-engine/protocol/services/runs';
import { runView } from '../../src-engine/app/runs/recorder';
import { HAS_TORCH, TORCH_PYTHON, tempDir } from '../unit/engine/export/torch-harness';
import { runCli } from '../unit/engine/node/cli-run';

const IRIS = join(import.meta.dirname, '../../examples/iris-mlp.json');

/** Whether the Python with PyTorch sees a CUDA GPU (then --device gpu trains instead of refusing). */
const HAS_CUDA = HAS_TORCH && spawnSync(TORCH_PYTHON, ['-c', 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)']).status === 0;

describe('targets, declared once', () => {
  it('parses each declared target and writes it back as --on takes it', () => {
    expect(TARGETS.map((t) => t.kind)).toEqual(['local', 'torchrun', 'ssh', 'slurm']);
    expect(parseTarget('local')).toEqual({ kind: 'local', options: {}, spec: 'local' });
    expect(parseTarget('torchrun:2')).toEqual({ kind: 'torchrun', options: { processes: 2 }, spec: 'torchrun:2' });
    expect(parseTarget('torchrun').spec).toBe('torchrun:1');
    expect(parseTarget('ssh:ann@gpu-box.lab:runs/mnist')).toEqual({ kind: 'ssh', options: { user: 'ann', host: 'gpu-box.lab', dir: 'runs/mnist' }, spec: 'ssh:ann@gpu-box.lab:runs/mnist' });
    expect(parseTarget('ssh:[::1]').options).toEqual({ host: '[::1]' });
    expect(parseTarget('slurm:time=1-00:30,partition=gpu,nodes=2')).toEqual({ kind: 'slurm', options: { partition: 'gpu', nodes: '2', time: '1-00:30' }, spec: 'slurm:partition=gpu,nodes=2,time=1-00:30' });
    expect(parseTarget('slurm').spec).toBe('slurm');
  });

  it('refuses a kind nothing declares and options a declaration does not take, saying what --on takes', () => {
    for (const bad of ['cloud', 'local:x', 'torchrun:0', 'torchrun:2x', 'torchrun:-1', 'ssh:', 'ssh:bob@$(reboot)', 'ssh:host:../etc', 'ssh:a b', 'slurm:nodes=two', 'slurm:qos=high', 'slurm:partition=gpu;rm', 'slurm:nodes=1,nodes=2']) {
      expect(() => parseTarget(bad), bad).toThrow(TargetSpecError);
    }
    expect(() => parseTarget('cloud')).toThrow(/--on takes local, torchrun:N, ssh:\[user@\]host\[:dir\], slurm\[/);
  });

  it('netwright train --on: a usage error for a bad target or a flag only the engine takes, before any data is read', async () => {
    const runs = tempDir('targets');
    const bad = await runCli(trainCli, [IRIS, '--on', 'torchrun:zero', '--runs', runs]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--on: torchrun:N takes a whole number of processes/);
    const findLr = await runCli(trainCli, [IRIS, '--find-lr', '--on', 'torchrun:2', '--runs', runs]);
    expect(findLr.code).toBe(2);
    expect(findLr.err).toMatch(/--find-lr runs on this machine's engine only/);
    expect(existsSync(runs) ? readdirSync(runs) : []).toEqual([]);
  });
});

type Step = Extract<RunRecord, { kind: 'step' }>;

/** The step records of the run of `store` trained on `spec`. */
function stepsOf(store: RunStore, spec: string): Step[] {
  const meta = store.list().find((m) => (m.target?.spec ?? 'local') === spec);
  expect(meta, spec).toBeDefined();
  return store.open(meta!.id).records.filter((r): r is Step => r.kind === 'step');
}

/** The largest relative difference of two runs' per-step losses (the same steps in both). */
function worstRelative(a: Step[], b: Step[]): number {
  expect(a.map((s) => s.step)).toEqual(b.map((s) => s.step));
  return Math.max(...a.map((s, i) => Math.abs(s.loss! - b[i].loss!) / Math.abs(b[i].loss!)));
}

describe.skipIf(!HAS_TORCH)('netwright train --on torchrun:N (python3-torch)', () => {
  it('iris, one epoch: --on local, torchrun:1 and torchrun:2 in one run store, the same per-step losses within 1e-5; runs list/show give each its target, job id and losses; the checkpoint pulled back resumes on the engine, and the engine\'s resumes under torchrun', async () => {
    const runs = tempDir('torchrun');
    const flags = ['--runs', runs, '--epochs', '1'];
    expect((await runCli(trainCli, [IRIS, ...flags])).code).toBe(0);
    const one = await runCli(trainCli, [IRIS, ...flags, '--on', 'torchrun:1']);
    expect(one.code, one.err).toBe(0);
    expect(one.out).toMatch(/training on torchrun:1 \(job \d+\), recorded as run/);
    const two = await runCli(trainCli, [IRIS, ...flags, '--on', 'torchrun:2', '--json']);
    expect(two.code, two.err).toBe(0);
    const lines = two.out.trim().split('\n').map((l) => JSON.parse(l) as { type: string });
    expect(lines[0]).toMatchObject({ type: 'start', target: 'torchrun:2' });
    expect(lines.at(-1)).toMatchObject({ type: 'done', reason: 'completed', steps: 7, epochs: 1 });

    const store = new RunStore(runs);
    const local = stepsOf(store, 'local');
    expect(local).toHaveLength(7); // 108 training samples in batches of 16
    const measured = { one: worstRelative(stepsOf(store, 'torchrun:1'), local), two: worstRelative(stepsOf(store, 'torchrun:2'), local) };
    console.info(`iris, 1 epoch, per-step loss against --on local: torchrun:1 ${measured.one.toExponential(2)}, torchrun:2 ${measured.two.toExponential(2)} relative at most`);
    expect(measured.one).toBeLessThan(1e-5);
    expect(measured.two).toBeLessThan(1e-5);

    const listed = await runCli(runsCli, ['list', '--runs', runs, '--json']);
    const handles = (JSON.parse(listed.out) as { runs: { id: string; target: string; jobId: string | null; status: string; steps: number }[] }).runs;
    expect(handles.map((h) => [h.target, h.status, h.steps]).sort()).toEqual([
      ['local', 'done', 7],
      ['torchrun:1', 'done', 7],
      ['torchrun:2', 'done', 7],
    ]);
    const remote = handles.find((h) => h.target === 'torchrun:2')!;
    const here = handles.find((h) => h.target === 'local')!;
    expect(remote.jobId).toMatch(/^\d+$/);
    const shown = JSON.parse((await runCli(runsCli, ['show', remote.id, '--runs', runs, '--json'])).out) as { target: string; jobId: string; status: string; steps: { step: number; loss: number }[]; epochs: { metrics: Record<string, Record<string, number>> }[] };
    expect(shown).toMatchObject({ target: 'torchrun:2', jobId: remote.jobId, status: 'done' });
    expect(shown.steps.map((s) => s.loss)).toEqual(stepsOf(store, 'torchrun:2').map((s) => s.loss));
    expect(Object.keys(shown.epochs[0].metrics).sort()).toEqual(['train', 'val']);
    // The app's Runs tab and Compare read them as they read its own: runs.list and runs.open answer within the protocol's schemas.
    expect(runsService.methods['runs.list'].result.safeParse(store.scan()).success).toBe(true);
    for (const h of handles) expect(runsService.methods['runs.open'].result.safeParse(runView(store.open(h.id))).success, h.target).toBe(true);
    // Probe frames at the app's cadence (the first step's at least), by the design's nodes, as the engine's runs keep them.
    const frames = new RunStore(runs).open(remote.id).records.filter((r): r is Extract<RunRecord, { kind: 'frame' }> => r.kind === 'frame');
    expect(frames.length).toBeGreaterThanOrEqual(1);
    const frame = StoredFrame.parse(frames[0].frame);
    expect(frame.step).toBe(1);
    expect(frame.params.map((p) => `${p.nodeId}.${p.name}`).sort()).toEqual(Object.keys(store.model(here.id, 'last').params).sort());
    expect(frame.params.every((p) => p.gradHist && p.weightStats.count > 0 && p.updateRatio! > 0)).toBe(true);
    expect(frame.layers.map((l) => l.op)).toEqual(['Linear', 'ReLU', 'Linear']);
    // The probe batch is the engine's: the 30 test samples in probeOrder (classes in turn), eval mode; the first 8 shown
    // with their class probabilities, train.py's targets for them those the start event keeps (Netwright's).
    expect(frame.layers[0].stats.count).toBe(30 * 16);
    const start = new RunStore(runs).open(remote.id).records.find((r) => r.kind === 'event' && r.event === 'start');
    const kept = StartInfo.parse(start?.kind === 'event' ? start.data : undefined).probeSamples;
    expect(kept.targets).toEqual([0, 1, 2, 0, 1, 2, 0, 1]);
    const samples = frame.samples as Extract<NonNullable<typeof frame.samples>, { kind: 'classification' }>;
    expect(samples.targets).toEqual(kept.targets);
    samples.probs.forEach((row, i) => {
      expect(Array.from(row).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(samples.predicted[i]).toBe(Array.from(row).indexOf(Math.max(...row)));
    });
    // What the processes wrote is in the run's log: torchrun's own lines and train.py's.
    const logged = await runCli(runsCli, ['log', remote.id, '--runs', runs]);
    expect(logged.out).toMatch(/Iris MLP \(4-16-3\): train 108 · validation 12 · test 30 samples; 2 processes on cpu \(gloo\)/);

    // The epoch's checkpoint came back (train.py's safetensors: weights, Adam's moments, the schedule):
    // the run resumes here, on the engine, as the run trained here straight through.
    const single = handles.find((h) => h.target === 'torchrun:1')!;
    const [theirs, ours] = [store.model(single.id, 'last'), store.model(here.id, 'last')];
    for (const [k, w] of Object.entries(ours.params)) expect(Math.max(...Array.from(w, (v, i) => Math.abs(v - theirs.params[k][i])))).toBeLessThan(1e-6);
    const resumed = await runCli(trainCli, ['--resume', single.id, '--runs', runs, '--epochs', '1', '--json']);
    expect(resumed.code, resumed.err).toBe(0);
    expect((await runCli(trainCli, [IRIS, '--runs', runs, '--epochs', '2'])).code).toBe(0);
    const after = new RunStore(runs).list();
    const continued = after.find((m) => m.resumedFrom?.runId === single.id)!;
    const straight = after.find((m) => !m.target && !m.resumedFrom && m.summary?.epochs === 2)!;
    const tail = new RunStore(runs).open(continued.id).records.filter((r): r is Step => r.kind === 'step');
    const whole = new RunStore(runs).open(straight.id).records.filter((r): r is Step => r.kind === 'step').slice(7);
    const resumedOff = worstRelative(tail, whole);
    console.info(`a torchrun:1 run's checkpoint resumed on the engine, epoch 2 against one run straight through: ${resumedOff.toExponential(2)} relative at most`);
    expect(resumedOff).toBeLessThan(1e-5);

    // And the other way: the engine's run goes on under torchrun from its checkpoint (weights, Adam's moments, the schedule).
    const there = await runCli(trainCli, ['--resume', here.id, '--runs', runs, '--epochs', '1', '--on', 'torchrun:1']);
    expect(there.code, there.err).toBe(0);
    const onward = new RunStore(runs).list().find((m) => m.resumedFrom?.runId === here.id)!;
    expect(onward).toMatchObject({ status: 'done', target: { spec: 'torchrun:1' }, resumedFrom: { step: 7, epoch: 1 } });
    const onwardOff = worstRelative(new RunStore(runs).open(onward.id).records.filter((r): r is Step => r.kind === 'step'), whole);
    console.info(`the engine's run resumed --on torchrun:1, epoch 2 against one run straight through: ${onwardOff.toExponential(2)} relative at most`);
    expect(onwardOff).toBeLessThan(1e-5);
  }, 120_000);

  it('BatchNorm under torchrun:2 normalises each share with the whole global batch\'s statistics: mnist-cnn, 4 steps of 64, the losses of --on local within 1e-5', async () => {
    // Plain DDP normalises each process's 32 samples with their own statistics: 1.1e-3 relative off at step 1 already.
    const runs = tempDir('torchrun-bn');
    const flags = [join(import.meta.dirname, '../../examples/mnist-cnn.json'), '--runs', runs, '--epochs', '1', '--limit', '256'];
    expect((await runCli(trainCli, flags)).code).toBe(0);
    const two = await runCli(trainCli, [...flags, '--on', 'torchrun:2']);
    expect(two.code, two.err).toBe(0);
    const store = new RunStore(runs);
    const local = stepsOf(store, 'local');
    expect(local).toHaveLength(4);
    const worst = worstRelative(stepsOf(store, 'torchrun:2'), local);
    console.info(`mnist-cnn (BatchNorm), 4 steps: torchrun:2 against --on local ${worst.toExponential(2)} relative at most`);
    expect(worst).toBeLessThan(1e-5);
  }, 120_000);

  it.skipIf(HAS_CUDA)('--device gpu where PyTorch sees no CUDA GPU: the job refuses at once, the run failed saying so', async () => {
    const runs = tempDir('torchrun-no-gpu');
    const r = await runCli(trainCli, [IRIS, '--runs', runs, '--epochs', '1', '--on', 'torchrun:1', '--device', 'gpu']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/error E_TARGET_FAILED: torchrun \(job \d+, torchrun:1\) exited with status 1 after 0 steps\. process 0: train\.py: --gpu asks for a CUDA GPU, and PyTorch \S+ here sees none/);
    expect(new RunStore(runs).list()[0].status).toBe('failed');
  }, 60_000);

  it("early stopping's patience goes on across --resume both ways (engine → torchrun:1, torchrun:1 → engine): every run stops at epoch 4, as one straight through", async () => {
    // minDelta so large that only the first epoch improves: patience 3 then stops after epoch 4, wherever the count stands at a resume.
    const runs = tempDir('torchrun-patience');
    const design = JSON.parse(readFileSync(IRIS, 'utf8')) as { training: Record<string, unknown> };
    design.training.earlyStopping = { metric: 'val_loss', mode: 'min', patience: 3, minDelta: 1e9 };
    const file = join(tempDir('patience-design'), 'iris.json');
    writeFileSync(file, JSON.stringify(design));
    const epochsOf = async (args: string[]) => {
      const r = await runCli(trainCli, [...args, '--runs', runs, '--json']);
      expect(r.code, r.err).toBe(0);
      const [newest] = new RunStore(runs).list();
      return { runId: newest.id, epochs: newest.summary!.epochs };
    };
    expect((await epochsOf([file, '--epochs', '10'])).epochs).toBe(4);
    const here = await epochsOf([file, '--epochs', '2']);
    expect(here.epochs).toBe(2);
    expect((await epochsOf(['--resume', here.runId, '--epochs', '10', '--on', 'torchrun:1'])).epochs).toBe(4);
    const there = await epochsOf([file, '--epochs', '2', '--on', 'torchrun:1']);
    expect(there.epochs).toBe(2);
    expect((await epochsOf(['--resume', there.runId, '--epochs', '10'])).epochs).toBe(4);
  }, 120_000);

  it('a process of the job killed: the run is marked failed with why, every step recorded before kept; runs cancel: stopped', async () => {
    const runs = tempDir('torchrun-faults');
    const store = new RunStore(runs);
    const long = [IRIS, '--runs', runs, '--epochs', '5000', '--on', 'torchrun:2'];

    const killed = runCli(trainCli, long);
    const first = await runningWithSteps(store, 1);
    const rank = childrenOf(Number(first.target!.jobId))[0];
    expect(rank, 'a rank of the job').toBeDefined();
    process.kill(rank, 'SIGKILL');
    const r = await killed;
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/error E_TARGET_FAILED: torchrun \(job \d+, torchrun:2\) exited with status 1 after \d+ steps/);
    const failed = store.open(first.id);
    expect(failed.meta.status).toBe('failed');
    const kept = failed.records.filter((x) => x.kind === 'step');
    expect(kept.length).toBeGreaterThanOrEqual(1);
    expect(kept.map((s) => s.step)).toEqual(kept.map((_, i) => i + 1));
    const error = failed.records.find((x) => x.kind === 'event' && x.event === 'error');
    expect(error && error.kind === 'event' && (error.data as { code: string }).code).toBe('E_TARGET_FAILED');
    expect((await runCli(runsCli, ['log', first.id, '--runs', runs])).out).toMatch(/error E_TARGET_FAILED: torchrun/);

    const cancelled = runCli(trainCli, long);
    const second = await runningWithSteps(store, 1, first.id);
    const c = await runCli(runsCli, ['cancel', second.id, '--runs', runs]);
    expect(c.code, c.err).toBe(0);
    expect((await cancelled).code).toBe(0);
    const stopped = store.open(second.id);
    expect(stopped.meta.status).toBe('stopped');
    expect(stopped.records.some((x) => x.kind === 'event' && x.event === 'cancelled')).toBe(true);
    const again = await runCli(runsCli, ['cancel', second.id, '--runs', runs]);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/E_RUN_NOT_RUNNING/);
  }, 120_000);
});

describe.skipIf(!HAS_TORCH)('netwright train --on torchrun:N, the command itself killed (python3-torch)', () => {
  it('the job ends itself within seconds, and the run is listed crashed with every step recorded before', async () => {
    const runs = tempDir('torchrun-host-killed');
    const store = new RunStore(runs);
    const cli = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../../src-engine/node/train-cli.ts'), IRIS, '--runs', runs, '--epochs', '5000', '--on', 'torchrun:2'], { stdio: 'ignore' });
    const exited = new Promise((resolve) => cli.once('exit', resolve));
    try {
      const run = await runningWithSteps(store, 1);
      const job = Number(run.target!.jobId);
      const processes = [job, ...childrenOf(job)];
      expect(processes.length, 'torchrun and its 2 processes').toBe(3);
      cli.kill('SIGKILL');
      await exited;
      const running = () => processes.filter((pid) => existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1]?.startsWith('Z'));
      for (let i = 0; i < 150 && running().length; i++) await new Promise((r) => setTimeout(r, 100));
      expect(running(), `still running 15 s after the command was killed (torchrun ${job})`).toEqual([]);
      const after = store.open(run.id);
      expect(after.meta.status).toBe('crashed');
      expect(after.records.filter((r) => r.kind === 'step').length).toBeGreaterThanOrEqual(1);
    } finally {
      cli.kill('SIGKILL');
    }
  }, 120_000);
});

/** The first running run of `store` (other than `not`) once it has recorded `steps` steps. */
async function runningWithSteps(store: RunStore, steps: number, not?: string) {
  for (let i = 0; i < 600; i++) {
    const run = store.list().find((m) => m.status === 'running' && m.id !== not);
    if (run && store.open(run.id).records.filter((r) => r.kind === 'step').length >= steps) return run;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no run recorded a step within 60 s');
}

/** The processes whose parent is `pid` (Linux /proc). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}
