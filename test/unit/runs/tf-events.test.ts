import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main as trainCli } from '../../../src-engine/node/train-cli';
import { RunStore } from '../../../src-engine/node/run-store';
import { bytesOf, crc32c, f64, fields, int, readRunEvents, readTfRecords, scalars, text } from './tf-reader';
import { engineBundle } from '../host/engine-bundle';

const runFolder = (dir: string) => join(dir, readdirSync(dir).filter((f) => !f.startsWith('.'))[0]);

describe('the spec reader itself', () => {
  it('computes CRC-32C (Castagnoli) as the standard check value says', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa); // RFC 3720 B.4: 32 bytes of zeros
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
  });
});

describe('runs that TensorBoard reads (events.out.tfevents.*)', () => {
  it('a CLI run writes its loss, metrics and learning rate under the charts\' names, and its settings as an HParams session', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nw-tfevents-'));
    const lines: string[] = [];
    const code = await trainCli(['examples/iris-mlp.json', '--epochs', '3', '--runs', dir, '--json'], (s) => lines.push(...s.split('\n').filter(Boolean)), () => {});
    expect(code).toBe(0);
    const printed = lines.map((l) => JSON.parse(l) as { type: string; epoch?: number; step?: number; batchLoss?: number; train?: Record<string, number>; val?: Record<string, number>; test?: Record<string, number> });
    const folder = runFolder(dir);
    const { events, torn, name } = readRunEvents(folder);
    expect(name).toMatch(/^events\.out\.tfevents\.\d+\..+\.\d+\.0$/);
    expect(torn).toBe(0);
    expect(events[0].fileVersion).toBe('brain.Event:2');
    const s = scalars(events);

    // Epoch losses and metrics: what the CLI printed, at each epoch's last step (float32 in the file).
    const epochs = printed.filter((p) => p.type === 'epoch');
    expect(epochs).toHaveLength(3);
    for (const tag of ['train loss', 'val loss', 'train accuracy', 'val accuracy']) {
      const [split, metric] = tag.split(' ') as ['train' | 'val', string];
      const want = epochs.map((e) => [e.step!, Math.fround(e[split]![metric])]);
      expect(s.get(tag), tag).toEqual(want);
    }
    const done = printed.find((p) => p.type === 'done')!;
    expect(s.get('test loss')).toEqual([[epochs[2].step, Math.fround(done.test!.loss)]]);

    // Every step's batch loss and learning rate, as the run's own log recorded them.
    const store = new RunStore(dir);
    const steps = store.open(store.list()[0].id).records.filter((r) => r.kind === 'step');
    expect(steps.length).toBe(epochs[2].step);
    expect(s.get('batch loss')).toEqual(steps.map((r) => [r.step, Math.fround(r.loss!)]));
    expect(s.get('lr')).toEqual(steps.map((r) => [r.step, Math.fround(r.lr)]));
    expect(s.get('train accuracy (epoch so far)')?.length).toBe(steps.length);
    // The last progress line's batch loss is the last step's.
    const lastProgress = printed.filter((p) => p.type === 'progress').at(-1)!;
    expect(s.get('batch loss')!.at(-1)![1]).toBe(Math.fround(lastProgress.batchLoss!));

    // HParams: a session start with the run's settings, and its end (STATUS_SUCCESS).
    const start = events.flatMap((e) => e.values).find((v) => v.tag === '_hparams_/session_start_info')!;
    expect(start.plugin).toBe('hparams');
    expect(start.tensor).toBe(true);
    const data = fields(start.content!);
    expect(int(data.get(1)?.[0])).toBe(0);
    const hparams = new Map(
      (fields(bytesOf(data.get(3)![0])).get(1) ?? []).map((entry) => {
        const kv = fields(bytesOf(entry));
        const v = fields(bytesOf(kv.get(2)![0]));
        return [text(kv.get(1)![0]), v.has(2) ? f64(v.get(2)![0]) : v.has(3) ? text(v.get(3)![0]) : int(v.get(4)![0]) === 1] as const;
      }),
    );
    const graph = JSON.parse(readFileSync('examples/iris-mlp.json', 'utf8')) as { training: { optimizer: { kind: string; lr: number }; batchSize: number; dataset: { name: string } } };
    expect(hparams.get('optimizer.lr')).toBe(graph.training.optimizer.lr);
    expect(hparams.get('optimizer.kind')).toBe(graph.training.optimizer.kind);
    expect(hparams.get('batchSize')).toBe(graph.training.batchSize);
    expect(hparams.get('epochs')).toBe(3);
    expect(hparams.get('dataset.name')).toBe(graph.training.dataset.name);
    const end = events.flatMap((e) => e.values).find((v) => v.tag === '_hparams_/session_end_info')!;
    expect(int(fields(bytesOf(fields(end.content!).get(4)![0])).get(1)?.[0])).toBe(1);
    // Wall times are seconds since 1970, in order.
    const walls = events.map((e) => e.wallTime);
    expect(walls[0]).toBeGreaterThan(1.6e9);
    expect([...walls].sort((a, b) => a - b)).toEqual(walls);
  }, 60_000);

  it('writes a lone surrogate in a node id, and a pair cut at 500 characters, as U+FFFD: every string is valid UTF-8 (#57)', async () => {
    // protobufjs wrote U+D800 as ED A0 80, which is not UTF-8: TensorBoard's parser refuses the event.
    const dir = mkdtempSync(join(tmpdir(), 'nw-tfevents-utf8-'));
    const design = readFileSync('examples/iris-mlp.json', 'utf8')
      .replace('{"id": "loss"', '{"id": "loss\\ud800"')
      .replace('"loss": "loss"}', '"loss": "loss\\ud800"}')
      .replace('"loss": "loss",', '"loss": "loss\\ud800",')
      .replace('"name": "iris",', `"name": "iris", "note": "${'x'.repeat(499)}😀",`);
    writeFileSync(join(dir, 'design.json'), design);
    const code = await trainCli([join(dir, 'design.json'), '--epochs', '1', '--runs', join(dir, 'runs'), '--json'], () => {}, () => {});
    expect(code).toBe(0);
    const { events } = readRunEvents(runFolder(join(dir, 'runs')));
    const strict = new TextDecoder('utf-8', { fatal: true });
    const start = events.flatMap((e) => e.values).find((v) => v.tag === '_hparams_/session_start_info')!;
    const hparams = (fields(bytesOf(fields(start.content!).get(3)![0])).get(1) ?? []).map((entry) => {
      const kv = fields(bytesOf(entry));
      const v = fields(bytesOf(kv.get(2)![0]));
      return [strict.decode(bytesOf(kv.get(1)![0])), v.has(3) ? strict.decode(bytesOf(v.get(3)![0])) : null] as const;
    });
    expect(new Map(hparams).get('loss')).toBe('loss\uFFFD');
    expect(new Map(hparams).get('dataset.note')).toBe('x'.repeat(499));
  }, 60_000);

  it('a run killed with SIGKILL mid-epoch leaves an event file the reader accepts, and a torn last record is skipped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nw-tfevents-kill-'));
    // The CLI bundled (host/engine-bundle.ts): what is checked is the store a killed run leaves, not how the CLI starts.
    const child = spawn(process.execPath, [engineBundle('node/train-cli.ts'), 'examples/iris-mlp.json', '--epochs', '100000', '--runs', dir, '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
    // Killed after the third epoch has ended and some steps of a later one were taken.
    await new Promise<void>((resolve, reject) => {
      let buffered = '';
      child.stdout!.on('data', (d: Buffer) => {
        buffered += d.toString();
        if (/"type":"progress","epoch":4,/.test(buffered)) resolve();
      });
      child.once('exit', (c) => reject(new Error(`the run exited early (${c})`)));
    });
    // The store writes what it buffered at least every 250 ms (RunWriter's flushMs): a second on, the
    // first epochs are on disk whatever the machine's speed, and the run is in some later epoch's middle.
    await new Promise((r) => setTimeout(r, 1000));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const folder = runFolder(dir);
    const { events, name } = readRunEvents(folder);
    const s = scalars(events);
    expect(s.get('train loss')!.length).toBeGreaterThanOrEqual(2);
    const batch = s.get('batch loss')!;
    expect(batch.map(([step]) => step)).toEqual(batch.map((_, i) => i + 1)); // a gapless prefix of the steps
    expect(events.some((e) => e.values.some((v) => v.tag === '_hparams_/session_end_info'))).toBe(false);

    // A record cut short (as a kill in the middle of a write leaves it): the reader keeps every one before it.
    const copy = join(dir, 'torn.tfevents');
    copyFileSync(join(folder, name), copy);
    const whole = readTfRecords(readFileSync(copy)).records.length;
    truncateSync(copy, statSync(copy).size - 5);
    const cut = readTfRecords(readFileSync(copy));
    expect(cut.records.length).toBe(whole - 1);
    expect(cut.torn).toBeGreaterThan(0);
  }, 60_000);
});
