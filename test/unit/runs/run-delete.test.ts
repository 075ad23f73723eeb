import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
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
const fresh = () => mkdtempSync(join(tmpdir(), 'nw-run-delete-'));

function refused(f: () => void): { code?: string; message: string } {
  try {
    f();
  } catch (e) {
    return e as { code?: string; message: string };
  }
  throw new Error('the delete was not refused');
}

describe('deleting a run that is still being written (#81 L7)', () => {
  it('a run another store writes (as the CLI does) is refused with E_RUN_ACTIVE and nothing is removed; once ended it is deleted', () => {
    const dir = fresh();
    const cli = new RunStore(dir, { flushMs: 1 });
    const app = new RunStore(dir);
    const run = cli.create({ graph, settings, name: 'cli run' });
    run.append({ kind: 'step', step: 1, epoch: 1, loss: 1, lr: 0.001, t: 0.01 });
    run.flush();
    const files = readdirSync(join(dir, run.id)).sort();
    expect(files).toEqual(expect.arrayContaining(['graph.json', 'log.nwr', 'run.json']));
    const e = refused(() => app.remove(run.id));
    expect(e.code).toBe('E_RUN_ACTIVE');
    expect(e.message).toMatch(/still being trained.*Nothing was deleted/);
    expect(readdirSync(join(dir, run.id)).sort()).toEqual(files);
    expect(readdirSync(dir)).toEqual([run.id]);
    expect(app.open(run.id).records).toHaveLength(1); // the run still opens (and exports): its graph and log are whole
    run.finish('done');
    app.remove(run.id);
    expect(readdirSync(dir)).toEqual([]);
    expect(app.list()).toEqual([]);
  });

  it('a run whose writer is gone (crashed) and a damaged run are deleted', () => {
    const dir = fresh();
    const run = new RunStore(dir).create({ graph, settings });
    const store = new RunStore(dir, { isAlive: () => false });
    expect(store.list()[0].status).toBe('crashed');
    store.remove(run.id);
    expect(readdirSync(dir)).toEqual([]);
    const torn = new RunStore(dir).create({ graph, settings });
    writeFileSync(join(dir, torn.id, 'run.json'), '{"format":"netwright.run","id":');
    expect(store.scan().damaged.map((d) => d.id)).toEqual([torn.id]);
    store.remove(torn.id);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a run a CLI in another process is training is refused, whole', async () => {
    const dir = fresh();
    const script = `
      import { RunStore } from ${JSON.stringify(join(__dirname, '../../../src-engine/node/run-store.ts'))};
      const w = new RunStore(${JSON.stringify(dir)}, { flushMs: 5 }).create({ graph: ${JSON.stringify(graph)}, settings: ${JSON.stringify(settings)}, name: 'cli run' });
      let step = 0;
      const timer = setInterval(() => w.append({ kind: 'step', step: ++step, epoch: 1, loss: 1, lr: 0.1, t: step }), 2);
      setTimeout(() => process.stdout.write('ready\\n'), 100);
      process.stdin.once('data', () => { clearInterval(timer); w.finish('done'); process.exit(0); });
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
    const [meta] = store.list();
    expect(meta.status).toBe('running');
    const e = refused(() => store.remove(meta.id));
    expect(e.code).toBe('E_RUN_ACTIVE');
    expect(e.message).toContain(`process ${child.pid}`);
    const exited = new Promise((r) => child.once('exit', r));
    child.stdin!.write('finish\n');
    expect(await exited).toBe(0);
    const opened = store.open(meta.id);
    expect(opened.meta.status).toBe('done');
    expect(opened.records.length).toBeGreaterThan(0);
    expect(opened.note).toBeUndefined();
  }, 30_000);
});
