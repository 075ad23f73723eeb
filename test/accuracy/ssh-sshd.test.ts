/**
 * Issue #84, deliverable 6: `netwright train --on ssh:` through a real OpenSSH server. The test
 * starts Debian's sshd on 127.0.0.1 as the user running it (test/unit/engine/node/sshd-harness.ts:
 * its own host key, config and client key; the user's ~/.ssh untouched), and the launcher's ssh is
 * OpenSSH's client: the project goes over as a tar stream, the job starts there in a session of its
 * own (netwright_job.py), is followed over another connection, its checkpoints fetched with `cat`.
 * Then `netwright runs list|show|log|cancel`, and deliverable 5's faults: the command that launched
 * the run killed (SIGKILL) while its job runs on — `runs show` follows it again and `runs log`
 * records its end, every step once; `runs cancel` ends a job nobody follows; the connections
 * dropped while a run is followed (sshd's processes for them killed) — the run says so, and is
 * followed again by `runs show`.
 *
 * In the accuracy suite (CI's `npm test -- --with-accuracy`): it starts PyTorch five times (~50 s).
 * Skipped only where openssh-server or python3-torch is missing (.ci/run installs both).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main as trainCli } from '../../src-engine/node/train-cli';
import { main as runsCli } from '../../src-engine/node/runs-cli';
import { reattachRuns } from '../../src-engine/node/elsewhere-host';
import { RunStore } from '../../src-engine/node/run-store';
import { HAS_TORCH, TORCH_PYTHON, tempDir } from '../unit/engine/export/torch-harness';
import { runCli } from '../unit/engine/node/cli-run';
import { HAS_SSHD, SSH_HOST, startSshd, type Sshd } from '../unit/engine/node/sshd-harness';
import { setupEngine } from '../unit/session/fixtures';
import { IRIS, launchedFromTheApp, runWithSteps, sleep, stepsOf, trainProcess, type Step } from './elsewhere-runs';

/** The folders the tests' jobs run in ("the other machine's"). */
const remoteFolders: string[] = [];
const remoteFolder = () => {
  const dir = tempDir('sshd-remote');
  remoteFolders.push(dir);
  return dir;
};

const run = HAS_SSHD && HAS_TORCH;
describe.skipIf(!run)(`netwright train --on ssh: through a real sshd on 127.0.0.1${run ? '' : ' — SKIPPED: needs openssh-server and python3-torch (.ci/run installs them)'}`, () => {
  let sshd: Sshd;
  beforeAll(async () => {
    sshd = await startSshd();
  });
  afterAll(async () => {
    // A test that failed mid-run leaves its job running there: ended as runs cancel would.
    for (const dir of remoteFolders) {
      for (const run of readdirSync(dir)) spawnSync(TORCH_PYTHON, ['netwright_job.py', 'cancel'], { cwd: join(dir, run), stdio: 'ignore' });
    }
    await sshd?.stop();
  });

  it('iris over ssh: copied, trained and followed there, its checkpoint fetched; runs list/show/log; runs cancel', async () => {
    const runs = tempDir('sshd-runs');
    const there = remoteFolder();
    expect((await runCli(trainCli, [IRIS, '--runs', runs, '--epochs', '1'])).code).toBe(0);
    const spec = `ssh:${SSH_HOST}:${there}/iris`;
    const r = await runCli(trainCli, [IRIS, '--runs', runs, '--epochs', '1', '--on', spec]);
    expect(r.code, r.err).toBe(0);
    // It went through sshd: a key login of this user, and the project where the folder says.
    expect(sshd.log()).toMatch(/Accepted publickey for \S+ from 127\.0\.0\.1/);
    for (const f of ['train.py', 'netwright_job.py', 'job.out', 'job.exit', 'checkpoints/last.safetensors']) expect(existsSync(join(there, 'iris', f)), f).toBe(true);
    expect(readFileSync(join(there, 'iris', 'job.exit'), 'utf8')).toBe('0');

    const store = new RunStore(runs);
    const [remote, local] = [store.list().find((m) => m.target)!, store.list().find((m) => !m.target)!];
    expect(remote).toMatchObject({ status: 'done', target: { spec } });
    const records = (id: string) => store.open(id).records.filter((x): x is Step => x.kind === 'step');
    const [a, b] = [records(remote.id), records(local.id)];
    expect(a.map((s) => s.step)).toEqual(b.map((s) => s.step));
    expect(Math.max(...a.map((s, i) => Math.abs(s.loss! - b[i].loss!) / b[i].loss!))).toBeLessThan(1e-5);
    const [theirs, ours] = [store.model(remote.id, 'last'), store.model(local.id, 'last')];
    for (const [k, w] of Object.entries(ours.params)) expect(Math.max(...Array.from(w, (v, i) => Math.abs(v - theirs.params[k][i])))).toBeLessThan(1e-6);

    const listed = await runCli(runsCli, ['list', '--runs', runs, '--json']);
    expect(JSON.parse(listed.out).runs.find((x: { id: string }) => x.id === remote.id)).toMatchObject({ status: 'done', target: spec, jobId: remote.target!.jobId, steps: b.length });
    const shown = JSON.parse((await runCli(runsCli, ['show', remote.id, '--runs', runs, '--json'])).out);
    expect(shown.steps.map((s: { loss: number }) => s.loss)).toEqual(a.map((s) => s.loss));
    const logged = await runCli(runsCli, ['log', remote.id, '--runs', runs]);
    expect(logged.out).toMatch(/\[launched\] .*"world":1/);

    // A long run, cancelled: the job there ends by SIGTERM, the run is stopped with its steps.
    const long = runCli(trainCli, [IRIS, '--runs', runs, '--epochs', '5000', '--on', `ssh:${SSH_HOST}:${there}/long`]);
    const running = await runWithSteps(store, 5);
    const c = await runCli(runsCli, ['cancel', running.id, '--runs', runs]);
    expect(c.code, c.err).toBe(0);
    expect((await long).code).toBe(0);
    expect(store.open(running.id).meta.status).toBe('stopped');
    expect(readFileSync(join(there, 'long', 'job.exit'), 'utf8')).not.toBe('0');
  }, 120_000);

  it('started from the app (runs.launch over the protocol): listed with its target and job id, its log (runs.log) the CLI\'s, Stop (runs.cancel) records it stopped; runs show says the same', async () => {
    const there = remoteFolder();
    const store = new RunStore(tempDir('sshd-app'));
    const { done, stopped } = await launchedFromTheApp(store, `ssh:${SSH_HOST}:${there}/one`, `ssh:${SSH_HOST}:${there}/long`);
    // It ran there: the job's files where the target says, the long one ended by its SIGTERM.
    expect(readFileSync(join(there, 'one', 'job.exit'), 'utf8')).toBe('0');
    expect(readFileSync(join(there, 'long', 'job.exit'), 'utf8')).not.toBe('0');
    expect([done.status, stopped.status]).toEqual(['done', 'stopped']);
  }, 120_000);

  it('the command killed mid-run: the job runs on there; runs show follows it again, runs log records its end, every step once', async () => {
    const runs = tempDir('sshd-kill');
    const there = remoteFolder();
    const epochs = 600;
    const cli = trainProcess([IRIS, '--runs', runs, '--epochs', String(epochs), '--on', `ssh:${SSH_HOST}:${there}/iris`]);
    const store = new RunStore(runs);
    const m = await runWithSteps(store, 10, cli);
    cli.kill('SIGKILL');
    await new Promise((r) => cli.once('close', r));
    const before = stepsOf(store, m.id).length;
    // Killed mid-run: the job had steps left.
    expect(before).toBeLessThan(epochs * 7);
    // Nobody follows it, and its job runs on there: running elsewhere, not crashed.
    expect(store.open(m.id).meta.status).toBe('running');
    expect(store.unfollowed(store.open(m.id).meta)).toBe(true);

    // show: caught up with the job as it is now (more steps than when the command died), still running there.
    await sleep(1500);
    const shown = await runCli(runsCli, ['show', m.id, '--runs', runs, '--json']);
    expect(shown.code, shown.err).toBe(0);
    const s = JSON.parse(shown.out);
    expect(s.steps.length).toBeGreaterThan(before);
    expect(s.steps.map((x: { step: number }) => x.step)).toEqual(Array.from({ length: s.steps.length }, (_, i) => i + 1));
    expect(s).toMatchObject({ status: 'running', followed: false, job: 'running' });

    // log, once the job has ended there: its end recorded, every step once, the launch once.
    for (let i = 0; i < 600 && !existsSync(join(there, 'iris', 'job.exit')); i++) await sleep(100);
    const logged = await runCli(runsCli, ['log', m.id, '--runs', runs]);
    expect(logged.code, logged.err).toBe(0);
    const done = store.open(m.id);
    expect(done.meta.status).toBe('done');
    expect(stepsOf(store, m.id)).toEqual(Array.from({ length: epochs * 7 }, (_, i) => i + 1));
    expect(done.records.filter((r) => r.kind === 'event' && r.event === 'launched')).toHaveLength(1);
    expect(Object.keys(store.model(m.id, 'last').params).length).toBeGreaterThan(0);
  }, 120_000);

  it('the connection dropped while the command follows the run: E_TARGET_CONNECTION, the run says so; the job runs on, runs show follows it again, an engine started again follows it to its end', async () => {
    const runs = tempDir('sshd-drop');
    const there = remoteFolder();
    const store = new RunStore(runs);
    const training = runCli(trainCli, [IRIS, '--runs', runs, '--epochs', '5000', '--on', `ssh:${SSH_HOST}:${there}/iris`]);
    const m = await runWithSteps(store, 10);
    expect(sshd.dropConnections()).toBeGreaterThan(0);
    const r = await training;
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/error E_TARGET_CONNECTION: ssh \(job \d+, ssh:netwright-test-box:\S+\): the connection ended \(ssh exited with 255\).* after \d+ steps; the job runs on there/);
    const lost = store.open(m.id);
    expect(lost.meta.status).toBe('running');
    expect(store.unfollowed(lost.meta)).toBe(true);
    expect(lost.records.filter((x) => x.kind === 'event' && x.event === 'connection-lost')).toHaveLength(1);
    const before = stepsOf(store, m.id).length;
    // The job trains on there: runs show brings in the steps it wrote since (asked again until it has
    // written some: a fixed second was not always enough for the job under a loaded machine).
    let shown = { steps: [] as { step: number }[] };
    for (let i = 0; i < 60 && shown.steps.length <= before; i++) {
      await sleep(500);
      shown = JSON.parse((await runCli(runsCli, ['show', m.id, '--runs', runs, '--json'])).out);
      expect(shown).toMatchObject({ status: 'running', followed: false, job: 'running' });
    }
    expect(shown.steps.length).toBeGreaterThan(before);
    expect(shown.steps.map((x: { step: number }) => x.step)).toEqual(Array.from({ length: shown.steps.length }, (_, i) => i + 1));
    // An engine starting now (the app's) follows it again, to its end; a second leaves it to the first.
    const followed = reattachRuns(store);
    expect(followed.map((f) => f.id)).toEqual([m.id]);
    expect(store.open(m.id).meta).toMatchObject({ status: 'running', pid: process.pid });
    expect(reattachRuns(new RunStore(runs))).toEqual([]);
    expect((await runCli(runsCli, ['cancel', m.id, '--runs', runs])).code).toBe(0);
    await expect(followed[0]!.followed).resolves.toBe(0);
    const stopped = store.open(m.id);
    expect(stopped.meta.status).toBe('stopped');
    expect(stepsOf(store, m.id)).toEqual(Array.from({ length: stopped.meta.summary!.steps }, (_, i) => i + 1));
  }, 120_000);

  it('runs cancel ends a job nobody follows (its command killed): stopped, its steps kept', async () => {
    const runs = tempDir('sshd-cancel');
    const there = remoteFolder();
    const cli = trainProcess([IRIS, '--runs', runs, '--epochs', '5000', '--on', `ssh:${SSH_HOST}:${there}/iris`]);
    const store = new RunStore(runs);
    const m = await runWithSteps(store, 5, cli);
    cli.kill('SIGKILL');
    await new Promise((r) => cli.once('close', r));
    // The app (an engine that could not follow it again) and the CLI say the same: running elsewhere, not followed, never crashed.
    const { client, service } = setupEngine({ runs: store });
    try {
      expect((await client.request('runs.list', {})).runs.find((x) => x.id === m.id)).toMatchObject({ status: 'running', followed: false });
    } finally {
      service.dispose();
    }
    expect((await runCli(runsCli, ['list', '--runs', runs])).out).toMatch(new RegExp(`^${m.id}  running elsewhere \\(not followed\\)`, 'm'));
    const c = await runCli(runsCli, ['cancel', m.id, '--runs', runs]);
    expect(c.code, c.err).toBe(0);
    const run = store.open(m.id);
    expect(run.meta.status).toBe('stopped');
    expect(stepsOf(store, m.id).length).toBeGreaterThanOrEqual(5);
    expect(readFileSync(join(there, 'iris', 'job.exit'), 'utf8')).not.toBe('0');
    // Nothing runs there any more: a second cancel is refused.
    expect((await runCli(runsCli, ['cancel', m.id, '--runs', runs])).err).toMatch(/E_RUN_NOT_RUNNING/);
  }, 120_000);
});
