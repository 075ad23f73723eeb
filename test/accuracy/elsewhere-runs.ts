/**
 * What the tests of runs trained elsewhere (ssh-sshd, slurm-cluster) share: `netwright train` as a
 * process of its own (to be killed mid-run), and waiting for its run to record steps.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { RunStore } from '../../src-engine/node/run-store';
import type { RunMeta, RunRecord } from '../../src-engine/app/runs/types';

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
