/**
 * Issue #84, "status, logs and cancel from both the app and the CLI", the parts that need no
 * server: `runs.log` answers a run's log in the same text as `netwright runs log` (one formatting,
 * app/runs/run-log.ts), from where a view left off, capped; and a run the app launched whose job
 * runs on while no engine follows it is listed `followed: false` (never crashed), and the app's
 * Stop (`runs.cancel`) ends it recorded `stopped`, after which it can be deleted. Over the
 * in-memory protocol pair, every message checked against the protocol's schemas.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../../src-engine/base/ir/types';
import { elsewhereHost } from '../../../../src-engine/node/elsewhere-host';
import { processStartTime, RunStore } from '../../../../src-engine/node/run-store';
import { JOB_ERR, JOB_FILE, JOB_FOLDER, JOB_OUT } from '../../../../src-engine/node/job-files';
import { main as runsCli } from '../../../../src-engine/node/runs-cli';
import { RUN_LOG_LINE_MAX, RUN_LOG_LINES_MAX } from '../../../../src-engine/protocol/services/runs';
import { setupEngine } from '../../session/fixtures';
import { tempDir } from '../export/torch-harness';
import { runCli } from './cli-run';
import { logText } from '../../../../src-engine/app/runs/run-log';

const IRIS = JSON.parse(readFileSync(join(import.meta.dirname, '../../../../examples/iris-mlp.json'), 'utf8')) as GraphIR;
const settings = { training: IRIS.training!, backend: 'test', appVersion: 'test' };

function engine(store: RunStore) {
  return setupEngine({ runs: store, elsewhere: elsewhereHost(store) });
}

describe('runs.log: a run\'s log in the app, as netwright runs log prints it', () => {
  it('the same lines as the CLI (output, stderr, errors, events); then only what came since; a view asking again of an ended run gets nothing new', async () => {
    const store = new RunStore(tempDir('runs-log'));
    const run = store.create({ graph: IRIS, settings, target: { spec: 'ssh:box:runs/a', jobId: '4242' } });
    run.append({ kind: 'event', t: 0, event: 'launched', data: { target: 'ssh:box:runs/a', jobId: '4242', world: 1 } });
    run.append({ kind: 'event', t: 0.5, event: 'output', data: { stream: 'stdout', line: 'Iris: train 108 samples' } });
    run.append({ kind: 'step', step: 1, epoch: 1, loss: 1, lr: 0.01, t: 1 });
    run.append({ kind: 'event', t: 1.5, event: 'output', data: { stream: 'stderr', line: 'UserWarning: slow' } });
    run.flush();
    const { client, service } = engine(store);
    try {
      const first = await client.request('runs.log', { id: run.id });
      const cli = await runCli(runsCli, ['log', run.id, '--runs', store.dir]);
      expect(cli.code, cli.err).toBe(0);
      expect(first.lines.map((l) => l.text)).toEqual(cli.out.trimEnd().split('\n'));
      expect(first.lines.map((l) => [l.n, l.kind])).toEqual([[0, 'event'], [1, 'stdout'], [2, 'stderr']]);
      expect(first.lines[2]).toMatchObject({ t: 1.5, text: '! UserWarning: slow' });
      expect(first).toMatchObject({ next: 3, skipped: 0, status: 'running' });

      run.append({ kind: 'event', t: 2, event: 'error', data: { code: 'E_TARGET_FAILED', message: 'rank 0 exited with 1' } });
      run.finish('failed');
      const more = await client.request('runs.log', { id: run.id, after: first.next });
      expect(more.lines).toEqual([{ n: 3, t: 2, kind: 'error', text: 'error E_TARGET_FAILED: rank 0 exited with 1' }]);
      expect(more).toMatchObject({ next: 4, skipped: 0, status: 'failed' });
      expect((await client.request('runs.log', { id: run.id, after: more.next })).lines).toEqual([]);
      await expect(client.request('runs.log', { id: '20200101-000000-zzzz' })).rejects.toMatchObject({ code: 'RUN_NOT_FOUND' });
    } finally {
      service.dispose();
    }
  });

  it('a long log: the last lines asked for, how many were left out, each line cut to the protocol\'s length', async () => {
    const store = new RunStore(tempDir('runs-log-long'));
    const run = store.create({ graph: IRIS, settings, target: { spec: 'torchrun:1', jobId: '4242' } });
    const total = RUN_LOG_LINES_MAX + 500;
    for (let i = 0; i < total; i++) run.append({ kind: 'event', t: i, event: 'output', data: { stream: 'stdout', line: i === total - 1 ? 'x'.repeat(RUN_LOG_LINE_MAX + 10) : `line ${i}` } });
    run.finish('done');
    const { client, service } = engine(store);
    try {
      const all = await client.request('runs.log', { id: run.id });
      expect(all.lines).toHaveLength(RUN_LOG_LINES_MAX);
      expect(all).toMatchObject({ next: total, skipped: 500 });
      expect(all.lines[0]).toMatchObject({ n: 500, text: '  line 500' });
      const last = all.lines.at(-1)!.text;
      expect(last).toHaveLength(RUN_LOG_LINE_MAX);
      expect(last.endsWith('x…')).toBe(true);
      // From line 100: still only the last lines, 400 fewer left out.
      expect(await client.request('runs.log', { id: run.id, after: 100 })).toMatchObject({ next: total, skipped: 400 });
    } finally {
      service.dispose();
    }
  });
});

describe('an engine run\'s lifecycle events in its log', () => {
  it('a start event\'s probe samples print as their count, its backend and memory as written', () => {
    const pixels = Array.from({ length: 784 }, (_, i) => i / 784);
    const { kind, text } = logText({ kind: 'event', t: 0, event: 'start', data: { backend: 'CPU · 2 threads', memory: { bytes: 1024 }, samples: [{ features: pixels, label: 3 }], classes: ['a', 'b'] } });
    expect(kind).toBe('event');
    expect(text).toBe('[start] {"backend":"CPU · 2 threads","memory":{"bytes":1024},"samples":[{"features":"[784 items]","label":3}],"classes":["a","b"]}');
  });
});

describe('a run the app launched whose job runs on while no engine follows it', () => {
  it('listed running with followed: false (never crashed); the app\'s Stop ends its job and it is recorded stopped, then deleted', async () => {
    const store = new RunStore(tempDir('unfollowed-app'));
    // The job: a process group of this machine, as the app's torchrun jobs are, its output in the run's job/ files.
    const job = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
    try {
      const started = processStartTime(job.pid!);
      expect(started).toBeDefined();
      const run = store.create({ graph: IRIS, settings, target: { spec: 'torchrun:1', jobId: String(job.pid), jobStarted: started! } });
      const jobDir = join(store.dir, run.id, JOB_FOLDER);
      mkdirSync(jobDir);
      writeFileSync(join(jobDir, JOB_FILE), JSON.stringify({ pid: job.pid, started, spec: 'torchrun:1', launcher: 'torchrun', backend: 'gloo' }));
      writeFileSync(join(jobDir, JOB_OUT), '');
      writeFileSync(join(jobDir, JOB_ERR), '');
      run.append({ kind: 'step', step: 1, epoch: 1, loss: 1, lr: 0.01, t: 0 });
      // The engine that followed it has gone (the app closed, its machine unreachable when it started again).
      run.release();
      const { client, service } = engine(store);
      try {
        const listed = (await client.request('runs.list', {})).runs[0]!;
        expect(listed).toMatchObject({ id: run.id, status: 'running', followed: false });
        const cancelled = await client.request('runs.cancel', { id: run.id });
        expect(cancelled).toEqual({ id: run.id, target: 'torchrun:1', jobId: String(job.pid) });
        let status = 'running';
        for (let i = 0; i < 100 && status === 'running'; i++) {
          await new Promise((r) => setTimeout(r, 100));
          status = (await client.request('runs.list', {})).runs[0]!.status;
        }
        expect(status).toBe('stopped');
        // Its log says who ended it: the app's Stop (netwright runs cancel's own cancel says so).
        const said = (await client.request('runs.log', { id: run.id })).lines.map((l) => l.text);
        expect(said.at(-1)).toMatch(/^\[cancelled\] \{.*"by":"the app's Stop"\}$/);
        expect((await client.request('runs.list', {})).runs[0]!.followed).toBeUndefined();
        await client.request('runs.delete', { id: run.id });
        expect((await client.request('runs.list', {})).runs).toEqual([]);
      } finally {
        service.dispose();
      }
    } finally {
      job.kill('SIGKILL');
    }
  }, 20_000);
});
