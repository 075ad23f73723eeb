/**
 * `netwright train --on ssh:[user@]host[:dir]` (#84): the project is copied over ssh as a tar
 * stream, torchrun runs train.py there, its report comes back over the connection into the run
 * store, and each checkpoint is fetched over ssh. Here a stand-in `ssh` on PATH logs its options and
 * destination and runs the command with `sh` in a folder standing for the remote home (with
 * `python3` there being the Python with PyTorch); test/accuracy/ssh-sshd.test.ts does the same
 * through a real sshd, with the faults (the command killed, runs show following the job again).
 * The one escaper for the remote shell is checked against `sh` itself.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { shellWord } from '../../../../src-engine/node/ssh-target';
import { main as trainCli } from '../../../../src-engine/node/train-cli';
import { RunStore } from '../../../../src-engine/node/run-store';
import type { RunRecord } from '../../../../src-engine/app/runs/types';
import { HAS_TORCH, TORCH_PYTHON, tempDir } from '../export/torch-harness';
import { runCli } from './cli-run';

const IRIS = join(import.meta.dirname, '../../../../examples/iris-mlp.json');

describe('shellWord: one word of the remote shell', () => {
  it('reads back as the same string in sh, for hostile and random strings', () => {
    let seed = 84;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const alphabet = ["'", '"', '\\', '$', '`', ' ', '\n', '\t', '*', '?', '~', ';', '&', '|', '(', ')', '<', '>', '!', '#', '{', '}', '[', ']', 'a', 'Z', '9', 'é', '🙂', '-', '%'];
    const words = ["it's", "'", "''", '$(reboot)', '`id`', '${HOME}', 'a\nb', '-rf', '', ...Array.from({ length: 120 }, () => Array.from({ length: Math.floor(rand() * 12) }, () => alphabet[Math.floor(rand() * alphabet.length)]).join(''))];
    const script = words.map((w) => `printf '%s\\0' ${shellWord(w)}`).join('\n');
    const r = spawnSync('sh', ['-c', script], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.split('\0').slice(0, -1)).toEqual(words);
  });
});

const saved = { PATH: process.env.PATH, SSH_HOME: process.env.SSH_HOME, SSH_LOG: process.env.SSH_LOG };
afterEach(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

/** A folder with a stand-in `ssh` and `python3` (PyTorch's), the folder standing for the remote home, and the stand-in's log. */
function standInSsh(): { home: string; log: string } {
  const bin = tempDir('ssh-bin');
  const home = tempDir('ssh-home');
  const log = join(tempDir('ssh-log'), 'ssh.log');
  writeFileSync(
    join(bin, 'ssh'),
    ['#!/bin/sh', 'while [ $# -gt 0 ]; do', '  case "$1" in', `    -o) printf '%s ' "$2" >> "$SSH_LOG"; shift 2 ;;`, '    --) shift; break ;;', '    *) break ;;', '  esac', 'done', `printf '%s\\n' "$1" >> "$SSH_LOG"`, 'cd "$SSH_HOME" || exit 255', 'exec sh -c "$2"', ''].join('\n'),
  );
  chmodSync(join(bin, 'ssh'), 0o755);
  symlinkSync(TORCH_PYTHON, join(bin, 'python3'));
  process.env.PATH = `${bin}:${process.env.PATH}`;
  process.env.SSH_HOME = home;
  process.env.SSH_LOG = log;
  return { home, log };
}

type Step = Extract<RunRecord, { kind: 'step' }>;

describe.skipIf(!HAS_TORCH)('netwright train --on ssh: (a stand-in ssh, python3-torch)', () => {
  it('iris, one epoch on ssh:tester@gpu-box:runs/iris: the project copied there, the run recorded as it trains with the local run\'s losses, its checkpoint fetched', async () => {
    const { home, log } = standInSsh();
    const runs = tempDir('ssh-runs');
    expect((await runCli(trainCli, [IRIS, '--runs', runs, '--epochs', '1'])).code).toBe(0);
    const r = await runCli(trainCli, [IRIS, '--runs', runs, '--epochs', '1', '--on', 'ssh:tester@gpu-box:runs/iris']);
    expect(r.code, r.err).toBe(0);
    expect(existsSync(join(home, 'runs/iris/train.py'))).toBe(true);
    expect(existsSync(join(home, 'runs/iris/checkpoints/last.safetensors'))).toBe(true);
    // Every connection: BatchMode (never a password prompt), to the destination named.
    const connections = readFileSync(log, 'utf8').trim().split('\n');
    expect(connections.length).toBeGreaterThanOrEqual(3); // copy, run, one checkpoint at least
    for (const c of connections) expect(c).toBe('BatchMode=yes ServerAliveInterval=15 ServerAliveCountMax=4 tester@gpu-box');

    const store = new RunStore(runs);
    const [remote, local] = [store.list().find((m) => m.target)!, store.list().find((m) => !m.target)!];
    expect(remote).toMatchObject({ status: 'done', target: { spec: 'ssh:tester@gpu-box:runs/iris' }, settings: { backend: 'PyTorch torchrun over ssh · tester@gpu-box:runs/iris' } });
    const steps = (id: string) => store.open(id).records.filter((x): x is Step => x.kind === 'step');
    const [a, b] = [steps(remote.id), steps(local.id)];
    expect(a.map((s) => s.step)).toEqual(b.map((s) => s.step));
    expect(Math.max(...a.map((s, i) => Math.abs(s.loss! - b[i].loss!) / b[i].loss!))).toBeLessThan(1e-5);
    const [theirs, ours] = [store.model(remote.id, 'last'), store.model(local.id, 'last')];
    for (const [k, w] of Object.entries(ours.params)) expect(Math.max(...Array.from(w, (v, i) => Math.abs(v - theirs.params[k][i])))).toBeLessThan(1e-6);
  }, 120_000);

  it('MNIST goes with its IDX files: the other machine has no copy of the folder Netwright read', async () => {
    const { home } = standInSsh();
    const runs = tempDir('ssh-mnist');
    const r = await runCli(trainCli, [join(import.meta.dirname, '../../../../examples/mnist-mlp.json'), '--runs', runs, '--epochs', '1', '--limit', '64', '--on', 'ssh:gpu-box:mnist']);
    expect(r.code, r.err).toBe(0);
    expect(readdirSync(join(home, 'mnist/data')).sort()).toEqual(['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte', 'train-images-idx3-ubyte', 'train-labels-idx1-ubyte']);
    expect(new RunStore(runs).list()[0]).toMatchObject({ status: 'done', summary: { steps: 1 } });
  }, 120_000);

  it('a machine ssh cannot reach: E_TARGET_LAUNCH with what ssh said, and no run', async () => {
    standInSsh();
    writeFileSync(join(process.env.PATH!.split(':')[0], 'ssh'), '#!/bin/sh\necho "ssh: Could not resolve hostname nowhere: Name or service not known" >&2\nexit 255\n');
    const runs = tempDir('ssh-unreachable');
    const r = await runCli(trainCli, [IRIS, '--runs', runs, '--epochs', '1', '--on', 'ssh:nowhere']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/error E_TARGET_LAUNCH: ssh:nowhere: the project could not be copied there \(ssh exited with 255\): ssh: Could not resolve hostname nowhere/);
    expect(new RunStore(runs).list()).toEqual([]);
  });
});
