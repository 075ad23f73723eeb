/**
 * torch-run-cache.ts keys a Python run by what it reads. A torchrun's rendezvous port (a free one
 * each run) is not among that: two torchruns of the same inputs on two ports are one run to the
 * cache, while any other argument still makes another.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { torchRunCache, type TorchRunner } from './torch-run-cache';

describe('the PyTorch run cache', () => {
  it('answers a torchrun on another port from the run on the first; another argument runs again', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'nw-run-cache-'));
    // Inputs no earlier test run had: the key reads the working folder's files.
    writeFileSync(join(cwd, 'inputs.txt'), randomUUID());
    const ran: string[][] = [];
    const runner: TorchRunner = async (argv) => {
      ran.push([...argv]);
      return { status: 0, signal: null, stdout: `[rank 0] ran ${ran.length}\n`, stderr: '' };
    };
    const cached = torchRunCache('/usr/bin/python3', runner);
    const torchrun = (port: number, epochs = '1') => cached(['torchrun_forked.py', '--nproc_per_node', '2', '--master_port', String(port), 'train.py', '--epochs', epochs], cwd);
    const first = await torchrun(30001);
    const again = await torchrun(30002);
    const other = await torchrun(30003, '2');
    // ACCURACY_CACHE=0 runs everything (as a clean clone does).
    const on = process.env.ACCURACY_CACHE !== '0';
    expect(ran.map((a) => a[4])).toEqual(on ? ['30001', '30003'] : ['30001', '30002', '30003']);
    expect(again.stdout).toBe(on ? first.stdout : '[rank 0] ran 2\n');
    expect(other.stdout).toBe(`[rank 0] ran ${ran.length}\n`);
  });
});
