import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import { RunStore, type RunSettings } from '../../../src-engine/node/run-store';

const graph: GraphIR = { format: 'netwright.graph', version: 2, name: 'tiny', nodes: [{ id: 'x', op: 'Input', attrs: { shape: [2] }, inputs: [] }], outputs: {} };
const settings: RunSettings = {
  training: { dataset: { name: 'iris' }, loss: 'loss', optimizer: { kind: 'adam', lr: 0.001 }, batchSize: 8, epochs: 1, seed: 1, metrics: [] },
  backend: 'reference',
  appVersion: '0.1.0',
};
const fresh = () => mkdtempSync(join(tmpdir(), 'nw-run-edits-'));
const runJson = (dir: string, id: string) => JSON.parse(readFileSync(join(dir, id, 'run.json'), 'utf8')) as { name: string; notes: string; status: string };

describe('editing a running run (#81 H7): the run\'s end keeps the edit', () => {
  it('a run of this process renamed and annotated while it runs ends with the new name and notes in run.json', () => {
    const dir = fresh();
    const store = new RunStore(dir);
    const run = store.create({ graph, settings, name: 'first try' });
    expect(store.update(run.id, { name: 'adam baseline', notes: 'lr from the sweep' })).toMatchObject({ name: 'adam baseline', notes: 'lr from the sweep', status: 'running' });
    expect(store.list()[0]).toMatchObject({ name: 'adam baseline', notes: 'lr from the sweep', status: 'running' });
    run.append({ kind: 'step', step: 1, epoch: 1, loss: 1, lr: 0.001, t: 0.01 });
    expect(run.finish('done', { steps: 1, epochs: 1, seconds: 0.01, metrics: {} })).toMatchObject({ name: 'adam baseline', notes: 'lr from the sweep', status: 'done' });
    expect(runJson(dir, run.id)).toMatchObject({ name: 'adam baseline', notes: 'lr from the sweep', status: 'done' });
    expect(store.list()[0]).toMatchObject({ name: 'adam baseline', notes: 'lr from the sweep', status: 'done' });
  });

  it('a run written by another store (as the CLI writes one) keeps an edit made through the app\'s store; each field is kept on its own', () => {
    const dir = fresh();
    const cli = new RunStore(dir);
    const app = new RunStore(dir);
    const run = cli.create({ graph, settings, name: 'cli run', notes: 'from the terminal' });
    app.update(run.id, { name: 'renamed in the app' });
    app.update(run.id, { notes: 'annotated in the app' });
    run.finish('stopped');
    expect(runJson(dir, run.id)).toMatchObject({ name: 'renamed in the app', notes: 'annotated in the app', status: 'stopped' });
    // An ended run has no writer: an edit now lands in run.json at once.
    app.update(run.id, { notes: 'after the end' });
    expect(runJson(dir, run.id)).toMatchObject({ name: 'renamed in the app', notes: 'after the end', status: 'stopped' });
    expect(cli.list()[0]).toMatchObject({ name: 'renamed in the app', notes: 'after the end' });
  });

  it('a run written by another process keeps the edit made while it ran', async () => {
    const dir = fresh();
    const script = `
      import { RunStore } from ${JSON.stringify(join(__dirname, '../../../src-engine/node/run-store.ts'))};
      const w = new RunStore(${JSON.stringify(dir)}, { flushMs: 20 }).create({ graph: ${JSON.stringify(graph)}, settings: ${JSON.stringify(settings)}, name: 'cli run' });
      process.stdout.write('ready\\n');
      process.stdin.once('data', () => { w.finish('done'); process.exit(0); });
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    onTestFinished(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout!.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`the writer exited early (${code})`)));
    });
    const store = new RunStore(dir);
    const [running] = store.list();
    expect(running).toMatchObject({ name: 'cli run', status: 'running' });
    store.update(running.id, { name: 'named while running', notes: 'kept' });
    const exited = new Promise((r) => child.once('exit', r));
    child.stdin!.write('finish\n');
    expect(await exited).toBe(0);
    expect(runJson(dir, running.id)).toMatchObject({ name: 'named while running', notes: 'kept', status: 'done' });
  }, 30_000);
});
