/**
 * Issue #57: the files the command-line tools read from paths typed on their command line (the
 * design or project, the model, the weights, a `--data` table) are read as the engine reads data:
 * a device, a FIFO or a file over the limit is refused at once with a coded message and exit 2,
 * never read into memory nor waited on. Each case runs in milliseconds; a FIFO's writer comes after
 * 5 s (test/unit/fifo.ts), so code that waited on it fails here rather than hanging.
 */
import { existsSync, mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main as evaluateCli } from '../../../../src-engine/node/evaluate-cli';
import { main as exportCli } from '../../../../src-engine/node/export-cli';
import { main as importCli } from '../../../../src-engine/node/import-cli';
import { main as trainCli } from '../../../../src-engine/node/train-cli';
import { cpuMs } from '../../cpu-time';
import { boundedFifo } from '../../fifo';
import { runCli } from './cli-run';

const EXAMPLES = join(import.meta.dirname, '../../../../examples');

const dir = mkdtempSync(join(tmpdir(), 'nw-cli-files-'));
const weights = join(dir, 'w.safetensors');
writeFileSync(weights, 'not read past the design');
const out = join(dir, 'out.json');

/** Each CLI with `file` where it takes a design, project or model. */
const asDesign: [string, (file: string) => Promise<{ code: number; out: string; err: string }>][] = [
  ['train', (f) => runCli(trainCli, [f, '--threads', '1'])],
  ['evaluate', (f) => runCli(evaluateCli, [f, '--threads', '1'])],
  ['export', (f) => runCli(exportCli, [f, '--format', 'onnx', '--out', join(dir, 'model.onnx')])],
  ['import --design', (f) => runCli(importCli, [weights, '--design', f, '--out', out])],
  ['import (the weights)', (f) => runCli(importCli, [f, '--design', join(EXAMPLES, 'two-moons-mlp.json'), '--out', out])],
];

describe('the CLIs refuse a device, a FIFO or a huge file named as their input (#57)', () => {
  const fifos: { release(): void }[] = [];
  afterEach(() => fifos.splice(0).forEach((f) => f.release()));

  it.each(asDesign)('%s /dev/zero: CLI_NOT_A_FILE, exit 2, nothing read', async (_name, cli) => {
    if (!existsSync('/dev/zero')) return;
    const t0 = cpuMs();
    const r = await cli('/dev/zero');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^error CLI_NOT_A_FILE: \/dev\/zero is not a regular file/);
    expect(r.err).toContain('help: Name a regular file, not a folder, device or pipe.');
    expect(cpuMs() - t0, 'CPU ms').toBeLessThan(1000);
  });

  it.each(asDesign)('%s FIFO: CLI_NOT_A_FILE, without waiting for a writer', async (name, cli) => {
    const fifo = boundedFifo(mkdtempSync(join(tmpdir(), 'nw-cli-fifo-')), 'design.json');
    if (!fifo) return; // no mkfifo here
    fifos.push(fifo);
    const t0 = Date.now();
    const r = await cli(fifo.path);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^error CLI_NOT_A_FILE: .*design\.json is not a regular file/);
    // Its writer (after 5 s) never came: the CLI did not wait for one.
    expect(Date.now() - t0, `${name}: ms`).toBeLessThan(5000);
  }, 20_000);

  it.each(asDesign.slice(0, 4))('%s a 1 GiB design: CLI_TOO_LARGE from its size (not ERR_STRING_TOO_LONG after reading it)', async (_name, cli) => {
    const huge = join(dir, 'huge.json');
    writeFileSync(huge, '');
    truncateSync(huge, 2 ** 30); // sparse: no disk, no time
    const t0 = cpuMs();
    const r = await cli(huge);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^error CLI_TOO_LARGE: .*huge\.json is 1024 MiB; Netwright reads such files up to 512 MiB\./);
    expect(cpuMs() - t0, 'CPU ms').toBeLessThan(1000);
  });

  it('train --data FIFO.csv: the data loader refuses it (DATA_NOT_A_FILE); the target column is not looked for in it', async () => {
    const fifo = boundedFifo(mkdtempSync(join(tmpdir(), 'nw-cli-fifo-')), 'iris.csv');
    if (!fifo) return;
    fifos.push(fifo);
    const t0 = Date.now();
    const r = await runCli(trainCli, [join(EXAMPLES, 'iris-mlp.json'), '--data', fifo.path, '--epochs', '1', '--threads', '1']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/DATA_NOT_A_FILE: .*iris\.csv is not a regular file/);
    expect(Date.now() - t0, 'ms').toBeLessThan(5000);
  }, 20_000);

  it('train --runs FILE: E_RUN_WRITE, a file in the way of the run folder (it was a raw EEXIST)', async () => {
    const runs = join(dir, 'runs.txt');
    writeFileSync(runs, 'a file');
    for (const where of [runs, join(runs, 'below')]) {
      const r = await runCli(trainCli, [join(EXAMPLES, 'two-moons-mlp.json'), '--epochs', '1', '--limit', '32', '--threads', '1', '--runs', where]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/^error E_RUN_WRITE: The run folder .*runs\.txt.* could not be made \((EEXIST|ENOTDIR)\): a file is in the way/m);
    }
  });

  it('negative control: a regular design still trains, and a missing one is CLI_NO_FILE', async () => {
    expect((await runCli(trainCli, [join(EXAMPLES, 'two-moons-mlp.json'), '--epochs', '1', '--limit', '32', '--threads', '1'])).code).toBe(0);
    const missing = await runCli(importCli, [weights, '--design', join(dir, 'nothing.json'), '--out', out]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/^error CLI_NO_FILE: .*nothing\.json: no such file\./);
  });
});
