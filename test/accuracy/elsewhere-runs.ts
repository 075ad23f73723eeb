/**
 * What the tests of runs trained elsewhere (ssh-sshd, slurm-cluster) share: `netwright train` as a
 * process of its own (to be killed mid-run), waiting for its run to record steps, and the same
 * runs started, followed, read and cancelled from the app (`launchedFromTheApp`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { RunStore } from '../../src-engine/node/run-store';
import type { RunMeta, RunRecord } from '../../src-engine/app/runs/types';
import { elsewhereHost } from '../../src-engine/node/elsewhere-host';
import { loadSamples } from '../../src-engine/node/datasets';
import { main as runsCli } from '../../src-engine/node/runs-cli';
import { setupEngine } from '../unit/session/fixtures';
import { runCli } from '../unit/engine/node/cli-run';
import type { ResultOf } from '../../src-engine/protocol';

/** A run as the engine's `runs.list` lists it. */
type Listed = ResultOf<'runs.list'>['runs'][number];

export const ROOT = join(import.meta.dirname, '../..');
export const IRIS = join(ROOT, 'examples/iris-mlp.json');

export type Step = Extract<RunRecord, { kind: 'step' }>;
export const stepsOf = (store: RunStore, id: string) => store.open(id).records.filter((r): r is Step => r.kind === 'step').map((r) => r.step);
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `netwright train …` as a process of its own (to be killed), with this process's environment (PATH with the test's ssh). */
export function trainProcess(args: string[]): ChildProcess & { said: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src-engine/node/train-cli.ts'), ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
  let said = '';
  child.stdout!.on('data', (d: Buffer) => (said = (said + d.toString()).slice(-2000)));
  child.stderr!.on('data', (d: Buffer) => (said = (said + d.toString()).slice(-2000)));
  return Object.assign(child, { said: () => said });
}

/** The running run in `runs`, once it has `n` steps recorded. */
export async function runWithSteps(store: RunStore, n: number, cli?: { said: () => string }): Promise<RunMeta> {
  for (let i = 0; i < 600; i++) {
    const m = store.list().find((r) => r.status === 'running');
    if (m && stepsOf(store, m.id).length >= n) return m;
    await sleep(100);
  }
  throw new Error(`no running run with ${n} steps${cli ? `; the command said: ${cli.said()}` : ''}`);
}

/**
 * "Started from the app" (#84's must-show): the engine over the in-memory protocol pair (every
 * message checked against the protocol's schemas), with the Node launchers, trains iris on `spec`
 * as the Train dock's Where does (`runs.launch`): listed running with its target and job id, then
 * done with iris's 7 steps; its log (`runs.log`) holds the job's output and is the text
 * `netwright runs log` prints, and `netwright runs show` on the same folder shows the same run. A
 * second launch, `spec2` when given, is cancelled with `runs.cancel` (the row's Stop) and ends
 * stopped, its steps kept. The two run folders, for checks of the target's own.
 */
export async function launchedFromTheApp(store: RunStore, spec: string, spec2 = spec): Promise<{ done: Listed; stopped: Listed }> {
  const { client, service } = setupEngine({ runs: store, loadDataset: (c, seed) => loadSamples(c, seed), elsewhere: elsewhereHost(store) });
  const graph = JSON.parse(readFileSync(IRIS, 'utf8')) as unknown;
  const listed = async (id: string) => (await client.request('runs.list', {})).runs.find((m) => m.id === id)!;
  /** `runs.list`'s entry for run `id` once `until` holds of it (the engine's follower writes as the job goes). */
  const polled = async (id: string, until: (m: Listed) => boolean, what: string) => {
    for (let i = 0; i < 1200; i++) {
      const m = await listed(id);
      if (until(m)) return m;
      await sleep(100);
    }
    throw new Error(`run ${id} never ${what}: ${JSON.stringify(await listed(id))}`);
  };
  try {
    // A long one first: listed running with its target and job id while it trains; its log grows; Stop.
    const long = await client.request('runs.launch', { graph, target: spec2, overrides: { epochs: 5000 }, backend: 'cpu' });
    expect(long).toMatchObject({ target: spec2, jobId: expect.stringMatching(/^\d+$/) });
    const running = await polled(long.runId, (m) => m.status !== 'running' || stepsOf(store, m.id).length >= 5, 'recorded 5 steps');
    expect(running).toMatchObject({ status: 'running', target: { spec: spec2, jobId: long.jobId } });
    expect(running.followed).toBeUndefined();
    const log = await client.request('runs.log', { id: long.runId });
    expect(log.status).toBe('running');
    expect(log.lines.map((l) => l.text)).toContainEqual(expect.stringMatching(/^\[launched\] \{.*"world":1/));
    expect(await client.request('runs.cancel', { id: long.runId })).toEqual({ id: long.runId, target: spec2, jobId: long.jobId });
    const stopped = await polled(long.runId, (m) => m.status !== 'running', 'ended');
    expect(stopped.status).toBe('stopped');
    expect(stepsOf(store, long.runId).length).toBeGreaterThanOrEqual(5);
    const more = await client.request('runs.log', { id: long.runId, after: log.next });
    expect(more.status).toBe('stopped');

    // One epoch to its end: done, its log the CLI's, shown by the CLI as the app lists it.
    const launched = await client.request('runs.launch', { graph, target: spec, overrides: { epochs: 1 }, backend: 'cpu' });
    const done = await polled(launched.runId, (m) => m.status !== 'running', 'ended');
    expect(done).toMatchObject({ status: 'done', target: { spec, jobId: launched.jobId }, summary: { steps: 7 } });
    const lines = (await client.request('runs.log', { id: launched.runId })).lines;
    // Its launch, and what train.py said as it trained (on stderr).
    expect(lines.map((l) => l.text)).toContainEqual(expect.stringMatching(/^\[launched\] \{.*"world":1/));
    expect(lines.filter((l) => l.kind === 'stderr').map((l) => l.text)).toContainEqual(expect.stringMatching(/^! \[rank 0\] epoch 1\/1 train_loss \d/));
    const cliLog = await runCli(runsCli, ['log', launched.runId, '--runs', store.dir]);
    expect(cliLog.code, cliLog.err).toBe(0);
    expect(lines.map((l) => l.text)).toEqual(cliLog.out.trimEnd().split('\n'));
    const shown = await runCli(runsCli, ['show', launched.runId, '--runs', store.dir, '--json']);
    expect(shown.code, shown.err).toBe(0);
    const view = await client.request('runs.open', { id: launched.runId });
    expect(JSON.parse(shown.out)).toMatchObject({ id: launched.runId, status: 'done', target: spec, jobId: launched.jobId });
    expect(JSON.parse(shown.out).steps.map((s: { loss: number }) => s.loss)).toEqual(view.curve.loss);
    return { done, stopped };
  } finally {
    service.dispose();
  }
}
