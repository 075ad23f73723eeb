/**
 * torchProcess (torch-harness.ts): the runs the PyTorch tests make through torch_fork_server.py
 * are what `python3 argv…` in their folder would be — their own arguments, path, modules,
 * environment and exit status, stdout and stderr apart — so a test that reads them checks no less
 * than it did with a fresh interpreter each.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HAS_TORCH, tempDir, torchProcess } from './torch-harness';

describe.skipIf(!HAS_TORCH)('python runs forked from an interpreter that has imported torch', () => {
  it('a script: its argv, sys.path[0] and folder, stdout and stderr apart, its exit status', async () => {
    const dir = tempDir('fork');
    writeFileSync(join(dir, 'run.py'), "import os, sys\nprint(sys.argv, sys.path[0] == os.getcwd(), __name__)\nprint('to stderr', file=sys.stderr)\nsys.exit(3)\n");
    const r = await torchProcess(['run.py', 'a', 'b'], dir);
    expect(r).toEqual({ status: 3, signal: null, stdout: "['run.py', 'a', 'b'] True __main__\n", stderr: 'to stderr\n' });
  });

  it('-c: its argv and a traceback with status 1 for an exception; sys.exit with a message: status 1', async () => {
    const dir = tempDir('fork');
    const r = await torchProcess(['-c', "import sys, torch; print(sys.argv, repr(sys.path[0]), torch.get_num_threads()); raise ValueError('boom')", 'x'], dir);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("['-c', 'x'] '' 1\n");
    expect(r.stderr).toMatch(/Traceback[^]*ValueError: boom\n$/);
    const exits = await torchProcess(['-c', "import sys; sys.exit('no data')"], dir);
    expect(exits).toMatchObject({ status: 1, stderr: 'no data\n' });
  });

  it('each run imports its own modules (two projects with a model.py each), with its own environment', async () => {
    const runs = await Promise.all(
      ['first', 'second'].map((name) => {
        const dir = join(tempDir('fork'), name);
        mkdirSync(dir);
        writeFileSync(join(dir, 'model.py'), `NAME = '${name}'\n`);
        return torchProcess(['-c', "import os, model; print(model.NAME, os.environ.get('NW_FORK_TEST'))"], dir, name === 'first' ? { NW_FORK_TEST: 'set' } : {});
      }),
    );
    expect(runs.map((r) => r.stdout)).toEqual(['first set\n', 'second None\n']);
  });

  it('a run past its timeout is ended (status null), and the next run is answered', async () => {
    const dir = tempDir('fork');
    const slow = await torchProcess(['-c', 'import time; time.sleep(30)'], dir, {}, 1000);
    expect(slow.status).toBeNull();
    expect((await torchProcess(['-c', "print('next')"], dir)).stdout).toBe('next\n');
  });
});
