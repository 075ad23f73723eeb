import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main as trainCli } from '../../../src-engine/node/train-cli';
import { RunStore } from '../../../src-engine/node/run-store';

/*
 * A reader of TensorBoard event files written from the formats' specs, sharing no code with the
 * writer: TFRecord framing (tensorflow/core/lib/io/record_writer.cc: uint64 length, masked CRC-32C
 * of the length, data, masked CRC-32C of the data), and the protobuf wire format decoded by hand
 * for tensorflow.Event (event.proto: wall_time 1 double, step 2 int64, file_version 3, summary 5),
 * Summary.Value (summary.proto: tag 1, simple_value 2 float, tensor 8, metadata 9 → plugin_data 1 →
 * plugin_name 1, content 2) and HParamsPluginData (plugin_data.proto: session_start_info 3 →
 * hparams 1 map<string, google.protobuf.Value>; session_end_info 4 → status 1).
 */

const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32c(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) c = CRC32C_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const masked = (data: Uint8Array) => {
  const c = crc32c(data);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
};

/** Every whole record; `torn` is the bytes left after the last one (a record cut short). A bad CRC throws. */
function readTfRecords(bytes: Uint8Array): { records: Uint8Array[]; torn: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (bytes.length - at < 12) break;
    const length = Number(view.getBigUint64(at, true));
    if (view.getUint32(at + 8, true) !== masked(bytes.subarray(at, at + 8))) throw new Error(`bad length CRC at ${at}`);
    if (at + 12 + length + 4 > bytes.length) break;
    const data = bytes.subarray(at + 12, at + 12 + length);
    if (view.getUint32(at + 12 + length, true) !== masked(data)) throw new Error(`bad data CRC at ${at}`);
    records.push(data);
    at += 16 + length;
  }
  return { records, torn: bytes.length - at };
}

type Field = { wire: 0; n: bigint } | { wire: 1 | 5; bytes: Uint8Array } | { wire: 2; bytes: Uint8Array };

/** A protobuf message's fields by number, in order (wire types 0, 1, 2, 5). */
function fields(buf: Uint8Array): Map<number, Field[]> {
  const out = new Map<number, Field[]>();
  let at = 0;
  const varint = (): bigint => {
    let v = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const b = buf[at++];
      if (b === undefined) throw new Error('varint past the end');
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
  };
  while (at < buf.length) {
    const key = Number(varint());
    const num = key >>> 3;
    const wire = key & 7;
    let f: Field;
    if (wire === 0) f = { wire, n: varint() };
    else if (wire === 1 || wire === 5) {
      const size = wire === 1 ? 8 : 4;
      f = { wire, bytes: buf.subarray(at, at + size) };
      at += size;
    } else if (wire === 2) {
      const len = Number(varint());
      f = { wire, bytes: buf.subarray(at, at + len) };
      at += len;
    } else throw new Error(`wire type ${wire}`);
    if (at > buf.length) throw new Error('field past the end');
    out.set(num, [...(out.get(num) ?? []), f]);
  }
  return out;
}

const bytesOf = (f: Field | undefined) => (f && f.wire !== 0 ? f.bytes : new Uint8Array(0));
const text = (f: Field | undefined) => new TextDecoder().decode(bytesOf(f));
const f64 = (f: Field | undefined) => (f ? new DataView(bytesOf(f).buffer, bytesOf(f).byteOffset, 8).getFloat64(0, true) : 0);
const f32 = (f: Field | undefined) => new DataView(bytesOf(f).buffer, bytesOf(f).byteOffset, 4).getFloat32(0, true);
const int = (f: Field | undefined) => (f && f.wire === 0 ? Number(f.n) : 0);

interface ReadEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  values: { tag: string; simple?: number; plugin?: string; content?: Uint8Array; tensor: boolean }[];
}

function decodeEvent(data: Uint8Array): ReadEvent {
  const e = fields(data);
  const summary = e.get(5)?.[0];
  const values = summary
    ? (fields(bytesOf(summary)).get(1) ?? []).map((v) => {
        const m = fields(bytesOf(v));
        const plugin = m.get(9) ? fields(bytesOf(fields(bytesOf(m.get(9)![0])).get(1)?.[0])) : undefined;
        return {
          tag: text(m.get(1)?.[0]),
          ...(m.get(2) ? { simple: f32(m.get(2)![0]) } : {}),
          ...(plugin ? { plugin: text(plugin.get(1)?.[0]), content: bytesOf(plugin.get(2)?.[0]) } : {}),
          tensor: m.has(8),
        };
      })
    : [];
  return { wallTime: f64(e.get(1)?.[0]), step: int(e.get(2)?.[0]), ...(e.get(3) ? { fileVersion: text(e.get(3)![0]) } : {}), values };
}

/** A run's event file: its events, and the bytes of a torn last record. */
function readRunEvents(folder: string): { events: ReadEvent[]; torn: number; name: string } {
  const names = readdirSync(folder).filter((f) => f.startsWith('events.out.tfevents.'));
  expect(names).toHaveLength(1);
  const { records, torn } = readTfRecords(readFileSync(join(folder, names[0])));
  return { events: records.map(decodeEvent), torn, name: names[0] };
}

/** `tag` → [step, value] in file order. */
function scalars(events: readonly ReadEvent[]): Map<string, [number, number][]> {
  const out = new Map<string, [number, number][]>();
  for (const e of events) for (const v of e.values) if (v.simple !== undefined) out.set(v.tag, [...(out.get(v.tag) ?? []), [e.step, v.simple]]);
  return out;
}

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
    const child = spawn(process.execPath, ['--import', 'tsx', 'src-engine/node/train-cli.ts', 'examples/iris-mlp.json', '--epochs', '100000', '--runs', dir, '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
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
