/**
 * netwright_job.py (node/ssh-job.ts), the keeper of a run's job on the other machine of `--on ssh:`,
 * run here by Python with a shell loop as the job: it starts the job in a session of its own and
 * returns at once, `follow` reads the job's output from its start and ends with how the job ended
 * (`--now`: once caught up with a job that runs on), `cancel` ends the job's process group only
 * while the job's lock is held, and a keeper killed outright is told apart from a job that ended.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JOB_SCRIPT, JOB_SCRIPT_TEXT } from '../../../../src-engine/node/ssh-job';
import { tempDir } from '../export/torch-harness';

const PYTHON = '/usr/bin/python3';

/** A folder holding the script, as the project folder there does. */
function folder(): string {
  const dir = tempDir('ssh-job');
  writeFileSync(join(dir, JOB_SCRIPT), JOB_SCRIPT_TEXT);
  return dir;
}

const job = (dir: string, ...args: string[]) => spawnSync(PYTHON, [JOB_SCRIPT, ...args], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Whether `pid` runs (a zombie, dead but not yet reaped by a parent that never waits, does not). */
const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
};

describe.skipIf(!existsSync(PYTHON))('netwright_job.py: the job of a run over ssh, kept without its connection', () => {
  it('start returns the job id at once; follow --now catches up with a job that runs on; follow reads every line of both streams and then its exit status', async () => {
    const dir = folder();
    const started = job(dir, 'start', 'sh', '-c', 'echo one; echo "warn 1" >&2; sleep 3; echo two; printf three');
    expect(started.status, started.stderr).toBe(0);
    const pid = Number(started.stdout.trim());
    expect(Number.isInteger(pid) && alive(pid)).toBe(true);
    for (let i = 0; i < 50 && !readFileSync(join(dir, 'job.err'), 'utf8').includes('warn 1'); i++) await sleep(50);
    expect(job(dir, 'follow', '--now').stdout).toBe('o one\ne warn 1\nr\n');
    // A second job in the same folder while this one runs is refused.
    const second = job(dir, 'start', 'true');
    expect(second.status).not.toBe(0);
    expect(second.stderr).toMatch(/a job runs in this folder already/);
    expect(job(dir, 'follow').stdout).toBe('o one\ne warn 1\no two\no three\nx 0\n');
    expect(readFileSync(join(dir, 'job.exit'), 'utf8')).toBe('0');
    // Ended: cancel says so (exit 3), and the folder takes a new job.
    const cancelled = job(dir, 'cancel');
    expect(cancelled.status).toBe(3);
    expect(job(dir, 'start', 'sh', '-c', 'exit 7').status).toBe(0);
    expect(job(dir, 'follow').stdout).toBe('x 7\n');
  });

  it('cancel: SIGTERM to the job\'s process group, and its status is what the job made of it', () => {
    const dir = folder();
    // The job's shell waits on a child of its own; its trap waits for that child and prints how it ended.
    const script = 'sleep 30 & child=$!; trap "wait $child; echo child \\$?; exit 143" TERM; echo ready; wait';
    expect(job(dir, 'start', 'sh', '-c', script).status).toBe(0);
    for (let i = 0; i < 100 && !readFileSync(join(dir, 'job.out'), 'utf8').includes('ready'); i++) spawnSync('sleep', ['0.1']);
    expect(job(dir, 'cancel').status).toBe(0);
    // The child got it too (it ended by SIGTERM, 128 + 15, where alone it would sleep on): the whole group.
    // Its stdout and exit status only: sh reports the child's end on stderr ("Terminated") or not, as the
    // signal finds it (before, a `sleep 0.1` in a loop told it that way, and a signal between two sleeps missed it).
    const followed = job(dir, 'follow').stdout.split('\n').filter((line) => !line.startsWith('e '));
    expect(followed.join('\n')).toBe('o ready\no child 143\nx 143\n');
  });

  it('the keeper killed outright: the job is running while any of its processes holds the lock, then lost (no exit status)', async () => {
    const dir = folder();
    const started = job(dir, 'start', 'sh', '-c', 'sleep 3; echo late');
    const keeper = Number(started.stdout.trim());
    process.kill(keeper, 'SIGKILL');
    await sleep(200);
    expect(alive(keeper)).toBe(false);
    expect(job(dir, 'follow', '--now').stdout).toBe('r\n');
    expect(job(dir, 'follow').stdout).toBe('o late\nx lost\n');
    expect(existsSync(join(dir, 'job.exit'))).toBe(false);
  });
});
