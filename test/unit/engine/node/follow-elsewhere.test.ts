/**
 * How a run elsewhere is followed (`follow`, node/torchrun-target.ts), with a job made of lines
 * written by the test: a job of another machine whose checkpoints are fetched one connection each
 * (over ssh), a job caught up with that runs on (`netwright runs show`), a connection lost. The
 * run store holds what came, and a run nobody follows is left `crashed`, to be followed again
 * without a record written twice.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../../src-engine/base/ir/types';
import { checkedOrThrow } from '../../../../src-engine/core/analysis/checked';
import { RunStore } from '../../../../src-engine/node/run-store';
import { CliError } from '../../../../src-engine/node/cli-files';
import { follow, type Job, type JobEnd, type RunningJob } from '../../../../src-engine/node/torchrun-target';
import { writeRemoteJob } from '../../../../src-engine/node/job-files';
import { main as runsCli } from '../../../../src-engine/node/runs-cli';
import { runCli } from './cli-run';
import type { RunRecord } from '../../../../src-engine/app/runs/types';
import { tempDir } from '../export/torch-harness';

const IRIS = join(import.meta.dirname, '../../../../examples/iris-mlp.json');

const record = (r: object) => JSON.stringify({ netwright: 1, ...r }).replace(/,/g, ', ').replace(/":/g, '": ');
const step = (n: number) => record({ kind: 'step', t: n / 10, step: n, epoch: 1, loss: 1 / n, lr: 0.01 });

/** A job whose lines and end the test gives: `say` writes lines, `end` ends it. */
function scriptedJob(): RunningJob & { say(...lines: string[]): void; end(how: JobEnd): void } {
  let each: (stream: 'stdout' | 'stderr', line: string) => void = () => undefined;
  let finish: (how: JobEnd) => void = () => undefined;
  const ended = new Promise<JobEnd>((resolve) => (finish = resolve));
  return {
    id: '4242',
    onLine: (f) => (each = f),
    ended,
    stop: () => undefined,
    say: (...lines) => lines.forEach((l) => each('stdout', l)),
    end: (how) => finish(how),
  };
}

function plan(runs: string) {
  const checked = checkedOrThrow(JSON.parse(readFileSync(IRIS, 'utf8')) as GraphIR);
  return { io: { out: () => undefined, err: () => undefined, json: false }, checked, label: 'iris', runs, extras: { normalization: null, classNames: ['a', 'b', 'c'] } };
}

const steps = (records: RunRecord[]) => records.filter((r) => r.kind === 'step').map((r) => (r as { step: number }).step);
const tick = () => new Promise((r) => setTimeout(r, 0));

describe('following a run elsewhere', () => {
  it('checkpoints reported faster than they are fetched: one fetch of each waits at most, the last report read after it was made', async () => {
    const runs = tempDir('follow-ck');
    const job = scriptedJob();
    const fetched: string[] = [];
    let release: () => void = () => undefined;
    const description: Job = {
      spec: 'ssh:box:runs/a',
      launcher: 'ssh',
      backend: 'test',
      // Each fetch waits until the test lets it go; the bytes are not a checkpoint (recorded as a failed fetch).
      checkpoint: (which) => {
        fetched.push(which);
        return new Promise((resolve) => (release = () => resolve(new Uint8Array(8))));
      },
    };
    const followed = follow(job, description, plan(runs));
    job.say(record({ kind: 'start', t: 0, world: 1, device: 'cpu', backend: 'gloo' }));
    const epochs = (from: number, to: number) => {
      for (let epoch = from; epoch <= to; epoch++) job.say(step(epoch), record({ kind: 'checkpoint', t: epoch, which: 'last', epoch }));
    };
    epochs(1, 20);
    await tick();
    expect(fetched).toEqual(['last']);
    // 20 more while that fetch waits: one fetch after it, of the file as it is then.
    epochs(21, 40);
    await tick();
    expect(fetched).toEqual(['last']);
    release();
    await tick();
    expect(fetched).toEqual(['last', 'last']);
    job.say(record({ kind: 'done', t: 5, step: 40, epochs: 40, metrics: {} }));
    release();
    job.end({ code: 0, signal: null });
    await expect(followed).resolves.toBe(0);
    expect(fetched).toHaveLength(2);
    const [meta] = new RunStore(runs).list();
    expect(meta.status).toBe('done');
  });

  it('caught up with a job that runs on: the run is left crashed (nobody follows it) with what came; followed again, nothing is written twice and its end is recorded', async () => {
    const runs = tempDir('follow-again');
    const store = new RunStore(runs);
    const first = scriptedJob();
    const lines = [record({ kind: 'start', t: 0, world: 1, device: 'cpu', backend: 'gloo' }), 'Iris: train 108 samples', step(1), step(2), step(3)];
    const description: Job = { spec: 'ssh:box:runs/b', launcher: 'ssh', backend: 'test', checkpoint: () => Promise.reject(new Error('none')) };
    const followed = follow(first, description, plan(runs));
    first.say(...lines);
    first.end({ code: null, signal: null, detached: {} });
    await expect(followed).resolves.toBe(0);
    const [meta] = store.list();
    expect(meta.status).toBe('crashed');
    expect(steps(store.open(meta.id).records)).toEqual([1, 2, 3]);

    // Followed again from the job's start: its lines come again, with more after them.
    const { writer, records } = store.adopt(meta.id);
    const again = scriptedJob();
    const second = follow(again, description, { ...plan(runs), adopted: { writer, records } });
    again.say(...lines, step(4), step(5), record({ kind: 'done', t: 1, step: 5, epochs: 1, metrics: {} }));
    again.end({ code: 0, signal: null });
    await expect(second).resolves.toBe(0);
    const run = store.open(meta.id);
    expect(run.meta.status).toBe('done');
    expect(steps(run.records)).toEqual([1, 2, 3, 4, 5]);
    expect(run.records.filter((r) => r.kind === 'event' && (r.event === 'launched' || r.event === 'output'))).toHaveLength(2);
  });

  it('the connection lost: E_TARGET_CONNECTION saying the job runs on, the run crashed (to be followed again) with an event saying so', async () => {
    const runs = tempDir('follow-lost');
    const job = scriptedJob();
    const followed = follow(job, { spec: 'ssh:box:runs/c', launcher: 'ssh', backend: 'test', checkpoint: () => Promise.reject(new Error('none')) }, plan(runs));
    job.say(step(1), step(2));
    job.end({ code: null, signal: null, detached: { lost: 'the connection ended (ssh exited with 255): Connection reset' } });
    const error = await followed.then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect(error).toMatchObject({ code: 'E_TARGET_CONNECTION', message: expect.stringMatching(/^ssh \(job 4242, ssh:box:runs\/c\): the connection ended \(ssh exited with 255\): Connection reset after 2 steps; the job runs on there\. `netwright runs show \S+` follows it again/) });
    const store = new RunStore(runs);
    const [meta] = store.list();
    expect(meta.status).toBe('crashed');
    const events = store.open(meta.id).records.filter((r) => r.kind === 'event' && r.event === 'connection-lost');
    expect(events).toHaveLength(1);
  });

  it('runs show of such a run when its machine does not answer: a note on stderr, the run shown as recorded; runs cancel refused E_TARGET_CONNECTION, nothing marked', async () => {
    const runs = tempDir('follow-unreachable');
    const store = new RunStore(runs);
    const job = scriptedJob();
    const spec = 'ssh:gone-box:runs/d';
    const followed = follow(job, { spec, launcher: 'ssh', backend: 'test', checkpoint: () => Promise.reject(new Error('none')), recorded: (f) => writeRemoteJob(f, { spec, jobId: '4242', folder: 'runs/d', launcher: 'ssh', backend: 'test' }) }, plan(runs));
    job.say(step(1), step(2));
    job.end({ code: null, signal: null, detached: {} });
    await followed;
    const [meta] = store.list();
    // ssh that cannot reach the machine.
    const bin = tempDir('ssh-down');
    writeFileSync(join(bin, 'ssh'), '#!/bin/sh\necho "ssh: connect to host gone-box port 22: Connection refused" >&2\nexit 255\n', { mode: 0o755 });
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path}`;
    try {
      const shown = await runCli(runsCli, ['show', meta.id, '--runs', runs]);
      expect(shown.code).toBe(0);
      expect(shown.err).toMatch(new RegExp(`^note: run ${meta.id} could not be followed again \\(ssh \\(job 4242, ${spec}\\): the connection ended \\(ssh exited with 255\\): ssh: connect to host gone-box port 22: Connection refused after 2 steps`));
      expect(shown.out).toMatch(/status: crashed\n/);
      expect(shown.out.match(/^ {5}\d {6}1 {2}/gm)).toHaveLength(2);
      const cancelled = await runCli(runsCli, ['cancel', meta.id, '--runs', runs]);
      expect(cancelled.code).toBe(1);
      expect(cancelled.err).toMatch(/error E_TARGET_CONNECTION: ssh:gone-box:runs\/d: the job could not be cancelled \(ssh exited with 255\): ssh: connect to host gone-box/);
      expect(existsSync(join(runs, meta.id, 'cancel.requested'))).toBe(false);
    } finally {
      process.env.PATH = path;
    }
  });
});
