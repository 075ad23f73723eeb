/**
 * Issue #84, deliverable 5: an app restarted while a job runs reattaches to it by its id. A run
 * the app launched (`runs.launch`) keeps its job's output in files of its run folder (`job/`), and
 * its job does not end with the engine; an engine started later (`reattachRuns`, at the engine's
 * start) takes the run over and follows the job from those files, what the log already has not
 * written twice. A job that ended meanwhile is recorded as its output says.
 *
 * In the accuracy suite (CI's `npm test -- --with-accuracy`, `npm run test:accuracy`), not `npm
 * test`: it starts real PyTorch processes for a minute or so of its 8-minute budget.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { reattachRuns } from '../../src-engine/node/elsewhere-host';
import { processAlive, RunStore } from '../../src-engine/node/run-store';
import type { RunRecord } from '../../src-engine/app/runs/types';
import { HAS_TORCH, tempDir } from '../unit/engine/export/torch-harness';

const LAUNCHER = join(import.meta.dirname, '../unit/engine/node/reattach-launcher.ts');

/** Start the launching engine; its answer (`runs.launch`'s) and the process, to kill. */
async function launchingEngine(runs: string, epochs: number) {
  const engine = spawn(process.execPath, ['--import', 'tsx', LAUNCHER, runs, String(epochs)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: engine.stdout }).once('line', resolve);
    engine.once('exit', (code) => reject(new Error(`the launching engine exited (${code}) before answering`)));
  });
  return { engine, launched: JSON.parse(line) as { runId: string; target: string; jobId: string } };
}

const steps = (records: RunRecord[]) => records.filter((r): r is Extract<RunRecord, { kind: 'step' }> => r.kind === 'step').map((r) => r.step);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!HAS_TORCH)('a run elsewhere outlives its engine and is followed again (skipped where /usr/bin/python3 has no torch)', () => {
  it('the engine killed mid-run: the job trains on, a new engine takes the run over and it completes in the store, every step once', async () => {
    const runs = tempDir('reattach');
    const epochs = 150;
    const { engine, launched } = await launchingEngine(runs, epochs);
    const store = new RunStore(runs);
    // Killed once the job has reported some steps (the follower writes them every 250 ms).
    for (let i = 0; i < 200 && steps(store.open(launched.runId).records).length < 20; i++) await sleep(100);
    engine.kill('SIGKILL');
    await new Promise((r) => engine.once('exit', r));
    const before = steps(store.open(launched.runId).records);
    expect(before.length).toBeGreaterThanOrEqual(20);
    expect(before.length).toBeLessThan(epochs * 7);
    // Nobody follows it now and the job goes on: the store says running (not followed), never crashed.
    const left = store.list().find((m) => m.id === launched.runId)!;
    expect(left.status).toBe('running');
    expect(store.unfollowed(left)).toBe(true);
    expect(processAlive(Number(launched.jobId))).toBe(true);

    const followed = reattachRuns(store);
    expect(followed.map((f) => f.id)).toEqual([launched.runId]);
    expect(store.list()[0]).toMatchObject({ status: 'running', pid: process.pid, target: { spec: 'torchrun:1', jobId: launched.jobId } });
    // A second engine starting now leaves it to this one.
    expect(reattachRuns(new RunStore(runs))).toEqual([]);
    await expect(followed[0]!.followed).resolves.toBe(0);

    const run = store.open(launched.runId);
    expect(run.meta.status).toBe('done');
    expect(run.meta.summary?.steps).toBe(epochs * 7);
    expect(steps(run.records)).toEqual(Array.from({ length: epochs * 7 }, (_, i) => i + 1));
    const epochRecords = run.records.filter((r) => r.kind === 'epoch').map((r) => (r as { epoch: number }).epoch);
    expect(epochRecords).toEqual(Array.from({ length: epochs }, (_, i) => i + 1));
    expect(run.records.filter((r) => r.kind === 'event' && r.event === 'launched')).toHaveLength(1);
    // Each line the processes wrote on stderr is in the log once.
    const stderr = readFileSync(join(runs, launched.runId, 'job', 'job.err'), 'utf8').split('\n').filter((l) => l !== '');
    const logged = run.records.flatMap((r) => (r.kind === 'event' && r.event === 'output' && (r.data as { stream: string }).stream === 'stderr' ? [(r.data as { line: string }).line] : []));
    expect(logged).toEqual(stderr);
  }, 40_000);

  it('a job that ended while no engine followed it is recorded as its output says: done after its end record', async () => {
    const runs = tempDir('reattach');
    const { engine, launched } = await launchingEngine(runs, 3);
    const store = new RunStore(runs);
    engine.kill('SIGKILL');
    await new Promise((r) => engine.once('exit', r));
    for (let i = 0; i < 300 && processAlive(Number(launched.jobId)); i++) await sleep(100);
    expect(processAlive(Number(launched.jobId))).toBe(false);
    const followed = reattachRuns(store);
    await expect(followed[0]!.followed).resolves.toBe(0);
    const run = store.open(launched.runId);
    expect(run.meta.status).toBe('done');
    expect(steps(run.records)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    // Followed to its end: nothing is left to take over.
    expect(reattachRuns(new RunStore(runs))).toEqual([]);
  }, 40_000);

  it('a job killed while no engine followed it is marked failed, saying so, with its steps kept', async () => {
    const runs = tempDir('reattach');
    const { engine, launched } = await launchingEngine(runs, 5000);
    const store = new RunStore(runs);
    for (let i = 0; i < 200 && steps(store.open(launched.runId).records).length < 10; i++) await sleep(100);
    engine.kill('SIGKILL');
    await new Promise((r) => engine.once('exit', r));
    process.kill(-Number(launched.jobId), 'SIGKILL');
    for (let i = 0; i < 100 && processAlive(Number(launched.jobId)); i++) await sleep(100);
    const followed = reattachRuns(store);
    await expect(followed[0]!.followed).rejects.toMatchObject({ code: 'E_TARGET_FAILED', message: expect.stringMatching(new RegExp(`^torchrun \\(job ${launched.jobId}, torchrun:1\\) ended while no Netwright process was following it after \\d+ steps`)) });
    const run = store.open(launched.runId);
    expect(run.meta.status).toBe('failed');
    const kept = steps(run.records);
    expect(kept.length).toBeGreaterThanOrEqual(10);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => i + 1));
  }, 40_000);
});
