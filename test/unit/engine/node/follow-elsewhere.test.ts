/**
 * How a run elsewhere is followed (`follow`, node/torchrun-target.ts), with a job made of lines
 * written by the test: a job of another machine whose checkpoints are fetched one connection each
 * (over ssh), a job caught up with that runs on (`netwright runs show`), a connection lost. The
 * run store holds what came, and a run nobody follows is left `crashed`, to be followed again
 * without a record written twice.
 */
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../../src-engine/base/ir/types';
import { checkedOrThrow } from '../../../../src-engine/core/analysis/checked';
import { processStartTime, RunStore } from '../../../../src-engine/node/run-store';
import { CliError } from '../../../../src-engine/node/cli-files';
import { follow, type Job, type JobEnd, type RunningJob } from '../../../../src-engine/node/torchrun-target';
import { writeRemoteJob } from '../../../../src-engine/node/job-files';
import { main as runsCli } from '../../../../src-engine/node/runs-cli';
import { reattachRuns } from '../../../../src-engine/node/elsewhere-host';
import { runCli } from './cli-run';
import type { RunRecord } from '../../../../src-engine/app/runs/types';
import { tempDir } from '../export/torch-harness';
import { readRunEvents, scalars } from '../../runs/tf-reader';

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
      expect(shown.out).toMatch(/status: running elsewhere \(not followed\)\n/);
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

/** The pid of a process that has ended (as a killed command's). */
const deadPid = () => spawnSync('true').pid!;

/** Make run `id`'s writer a process that has ended, as when the command following its job was killed. */
function killWriter(runs: string, id: string): void {
  const file = join(runs, id, 'run.json');
  const { writer: _writer, ...meta } = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  writeFileSync(file, JSON.stringify({ ...meta, pid: deadPid() }));
}

/** A run of `spec` followed until its job has said two steps, then flushed; the job runs on. */
async function followedTwoSteps(runs: string, spec: string, remote: boolean) {
  const job = scriptedJob();
  const followed = follow(job, { spec, launcher: 'ssh', backend: 'test', checkpoint: () => Promise.reject(new Error('none')), ...(remote ? { recorded: (f: string) => writeRemoteJob(f, { spec, jobId: '4242', folder: 'runs/e', launcher: 'ssh', backend: 'test' }) } : {}) }, plan(runs));
  job.say(step(1), step(2));
  job.end({ code: null, signal: null, detached: {} });
  await followed;
  return new RunStore(runs).list()[0]!;
}

describe('a run elsewhere whose follower has gone', () => {
  it('its job on another machine (job/remote.json): listed running elsewhere (not followed), never crashed, by runs list, show and the store the app lists', async () => {
    const runs = tempDir('unfollowed-remote');
    const meta = await followedTwoSteps(runs, 'ssh:box:runs/e', true);
    // Caught up with (runs show's release) and, as from a command that was killed, with a writer that has ended.
    for (const how of ['released', 'killed'] as const) {
      if (how === 'killed') killWriter(runs, meta.id);
      const store = new RunStore(runs);
      const listed = store.list()[0]!;
      expect(listed.status, how).toBe('running');
      expect(store.unfollowed(listed), how).toBe(true);
      const list = await runCli(runsCli, ['list', '--runs', runs]);
      expect(list.out, how).toMatch(new RegExp(`^${meta.id}  running elsewhere \\(not followed\\)  ssh:box:runs/e  4242 `));
      const json = await runCli(runsCli, ['list', '--runs', runs, '--json']);
      expect(JSON.parse(json.out).runs[0], how).toMatchObject({ status: 'running', followed: false });
    }
    // Nobody writes it: it may be deleted (its machine may never answer a cancel).
    new RunStore(runs).remove(meta.id);
    expect(new RunStore(runs).list()).toEqual([]);
  });

  it('its job a process of this machine (torchrun): running while that process lives, crashed once it has gone', async () => {
    const runs = tempDir('unfollowed-local');
    const sleeper = spawn('sleep', ['30']);
    try {
      const started = processStartTime(sleeper.pid!);
      expect(started).toBeDefined();
      const checked = plan(runs).checked;
      const run = new RunStore(runs).create({ graph: checked.ir, settings: { training: checked.ir.training!, backend: 'test', appVersion: 'test' }, target: { spec: 'torchrun:2', jobId: String(sleeper.pid), jobStarted: started! } });
      run.append({ kind: 'step', step: 1, epoch: 1, loss: 1, lr: 0.01, t: 0 });
      run.flush();
      killWriter(runs, run.id);
      expect(new RunStore(runs).list()[0]!.status).toBe('running');
      const list = await runCli(runsCli, ['list', '--runs', runs]);
      expect(list.out).toMatch(/running elsewhere \(not followed\) {2}torchrun:2/);
      sleeper.kill('SIGKILL');
      await new Promise((r) => sleeper.once('exit', r));
      expect(new RunStore(runs).list()[0]!.status).toBe('crashed');
    } finally {
      sleeper.kill('SIGKILL');
    }
  });

  it('a damaged job/remote.json: runs cancel refused E_RUN_JOB_CORRUPT naming the file, nothing marked or lost; runs show says so and shows the run as recorded', async () => {
    const runs = tempDir('damaged-remote');
    const meta = await followedTwoSteps(runs, 'ssh:box:runs/f', true);
    const file = join(runs, meta.id, 'job', 'remote.json');
    writeFileSync(file, '{"spec": "ssh:box:runs/f", "jobId": "42');
    const log = readFileSync(join(runs, meta.id, 'log.nwr'));
    const cancelled = await runCli(runsCli, ['cancel', meta.id, '--runs', runs]);
    expect(cancelled.code).toBe(1);
    expect(cancelled.err).toMatch(new RegExp(`^error E_RUN_JOB_CORRUPT: ${meta.id}/job/remote\\.json is not valid JSON \\(cut short or edited\\); nothing was changed`));
    expect(existsSync(join(runs, meta.id, 'cancel.requested'))).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe('{"spec": "ssh:box:runs/f", "jobId": "42');
    writeFileSync(file, '{"spec": "ssh:box:runs/f"}');
    const shown = await runCli(runsCli, ['show', meta.id, '--runs', runs]);
    expect(shown.code).toBe(0);
    expect(shown.err).toMatch(new RegExp(`^note: run ${meta.id} could not be followed again \\(${meta.id}/job/remote\\.json is not a job Netwright started`));
    expect(shown.out.match(/^ {5}\d {6}1 {2}/gm)).toHaveLength(2);
    expect(readFileSync(join(runs, meta.id, 'log.nwr'))).toEqual(log);
  });
});

describe('a damaged job/job.json (a job of the app, run.launch)', () => {
  it('an engine starting again names the file and takes nothing over: the run and the file as they were', () => {
    const runs = tempDir('damaged-job');
    const checked = plan(runs).checked;
    const run = new RunStore(runs).create({ graph: checked.ir, settings: { training: checked.ir.training!, backend: 'test', appVersion: 'test' }, target: { spec: 'torchrun:1', jobId: String(deadPid()), jobStarted: 1 } });
    run.append({ kind: 'step', step: 1, epoch: 1, loss: 1, lr: 0.01, t: 0 });
    run.flush();
    killWriter(runs, run.id);
    mkdirSync(join(runs, run.id, 'job'));
    writeFileSync(join(runs, run.id, 'job', 'job.json'), '{"pid": 12');
    const said: string[] = [];
    expect(reattachRuns(new RunStore(runs), (level, message) => said.push(`${level} ${message}`))).toEqual([]);
    expect(said).toEqual([`warn run ${run.id} could not be followed again: ${run.id}/job/job.json is not valid JSON (cut short or edited); nothing was changed.`]);
    expect(new RunStore(runs).list()[0]).toMatchObject({ status: 'crashed' });
    expect(readFileSync(join(runs, run.id, 'job', 'job.json'), 'utf8')).toBe('{"pid": 12');
  });
});

describe("a run followed again keeps one TensorBoard file", () => {
  it('two pick-ups (by processes other than the one that recorded it, its file cut mid-record by a kill): one events file, each step\'s loss once, the headers once', async () => {
    const runs = tempDir('follow-events');
    const store = new RunStore(runs);
    const description: Job = { spec: 'ssh:box:runs/g', launcher: 'ssh', backend: 'test', checkpoint: () => Promise.reject(new Error('none')) };
    const start = record({ kind: 'start', t: 0, world: 1, device: 'cpu', backend: 'gloo' });
    const first = scriptedJob();
    const followed = follow(first, description, plan(runs));
    first.say(start, step(1), step(2));
    first.end({ code: null, signal: null, detached: {} });
    await followed;
    const [meta] = store.list();
    const folder = join(runs, meta.id);
    // As recorded by another process (the command that launched it), killed while it wrote a record.
    const [name] = readdirSync(folder).filter((f) => f.startsWith('events.out.tfevents.'));
    const other = name.replace(/\.(\d+)\.0$/, (_m, pid: string) => `.${Number(pid) + 1}.0`);
    renameSync(join(folder, name), join(folder, other));
    appendFileSync(join(folder, other), Buffer.from([40, 0, 0, 0, 0, 0, 0, 0, 1, 2]));
    for (const [upTo, ended] of [[4, false], [6, true]] as const) {
      const { writer, records } = store.adopt(meta.id);
      const again = scriptedJob();
      const picked = follow(again, description, { ...plan(runs), adopted: { writer, records } });
      again.say(start, ...Array.from({ length: upTo }, (_, i) => step(i + 1)), ...(ended ? [record({ kind: 'done', t: 1, step: upTo, epochs: 1, metrics: {} })] : []));
      again.end(ended ? { code: 0, signal: null } : { code: null, signal: null, detached: {} });
      await picked;
    }
    expect(store.open(meta.id).meta.status).toBe('done');
    const { events, torn, name: kept } = readRunEvents(folder);
    expect(kept).toBe(other);
    expect(torn).toBe(0);
    const loss = [...scalars(events)].find(([tag]) => /loss/.test(tag) && !/val|test/.test(tag));
    expect(loss?.[1].map(([s]) => s)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(events.filter((e) => e.fileVersion !== undefined)).toHaveLength(1);
  });
});
