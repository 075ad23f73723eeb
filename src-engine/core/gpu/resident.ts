/// <reference types="@webgpu/types" />
/**
 * A training split kept on the GPU (`DeviceStep.holdSamples`): each held Input's values for every
 * sample uploaded once at the start of a run, then each step's batch gathered into the plan's
 * input tensors on the device from its sample indices — one small write of indices and one
 * dispatch per input at the start of the step's command buffer, in place of a batch assembled on
 * the host (`BatchFeeder.fill`) and uploaded (on the H200 a 16×3×224×224 batch took ~1.9 ms to
 * assemble and 1–4.6 ms to upload, against a frozen resnet18 step of 6.5 ms on the GPU). PyTorch
 * users do the same with a small dataset (bench/torch_bench.py's `bench_train` keeps every batch on
 * the device).
 *
 * The gather copies values, so the input tensor holds the bits the feeder would have written:
 * training is the same bit for bit (test/unit/gpu/resident.test.ts). The loop holds a split only
 * where that is true — in memory, nothing drawn per step (`drawnPerStep`) — see `TrainingLoop`'s
 * `prepareResidentData` and docs/webgpu-backend.md, "Training data on the GPU".
 */
import { byteSize as size } from '../train/resident-data';
import type { ResidentRefusal, SampleRows } from '../train/types';
import { GpuError, type GpuContext, type GpuTensor } from './context';
import type { GpuGraph } from './executor';
import { bindDispatch, grid1d, WORKGROUP, words } from './kernels/dispatch';
import type { GpuDispatch } from './passes';

/** A split's rows are uploaded in writes of at most this (Dawn copies each into memory of its own first; the wire sends each as one op). */
const UPLOAD_CHUNK_BYTES = 64 * 1024 * 1024;

const GATHER = `struct Params { size: u32, src: u32, dst: u32, rowStride: u32, total: u32, _a: u32, _b: u32, _c: u32, }
@group(0) @binding(0) var<storage, read> SRC: array<f32>;
@group(0) @binding(1) var<storage, read> IDX: array<u32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
@group(0) @binding(3) var<uniform> P: Params;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * P.rowStride + gid.x;
  if (i >= P.total) { return; }
  let row = i / P.size;
  Y[P.dst + i] = SRC[P.src + IDX[row] * P.size + (i - row * P.size)];
}
`;

/** One held input: its rows on the device. */
interface HeldInput {
  readonly input: string;
  readonly rows: GpuTensor;
  readonly size: number;
}

/** A plan's side of the gathers: its index buffer and one dispatch per held input. */
interface PlanGathers {
  readonly indices: GpuTensor;
  readonly words: Uint32Array;
  readonly dispatches: readonly (readonly [string, GpuDispatch])[];
}

/**
 * Hold `rows` on `ctx`'s device, or say why not: over `budget` bytes in all (rows shared by two
 * inputs count once), or a row set larger than one storage binding or buffer may be on this
 * device, or refused by the device (out of memory). The rows are written `chunkBytes` at a time
 * (a multiple of 4), each write waited for before the next.
 */
export async function holdSamples(ctx: GpuContext, rows: readonly SampleRows[], budget: number, chunkBytes = UPLOAD_CHUNK_BYTES): Promise<ResidentSamples | ResidentRefusal> {
  const distinct = [...new Set(rows.map((r) => r.values))];
  const bytes = distinct.reduce((a, v) => a + v.byteLength, 0);
  if (bytes > budget) return { state: 'off', code: 'RESIDENT_OVER_BUDGET', reason: `the training split takes ${size(bytes)}, over the ${size(budget)} a run keeps on the GPU` };
  const limits = ctx.device.limits;
  const largest = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  const over = distinct.find((v) => Math.ceil(v.byteLength / 16) * 16 > largest);
  if (over) return { state: 'off', code: 'RESIDENT_OVER_LIMIT', reason: `one input's values take ${size(over.byteLength)}, over the ${size(largest)} this GPU binds at once` };
  const made: GpuTensor[] = [];
  try {
    const tensors = await ctx.checked('Keeping the training data on the GPU', () =>
      distinct.map((v) => {
        const t = ctx.createTensor(v.length, 'resident samples');
        made.push(t);
        return t;
      }),
    );
    // One piece at a time: across the GPU wire each goes as its own message.
    const chunk = chunkBytes / 4;
    for (const [k, v] of distinct.entries()) {
      for (let at = 0; at < v.length; at += chunk) {
        ctx.write({ buffer: tensors[k].buffer, offset: at, length: v.length - at }, v.subarray(at, at + chunk));
        if (at + chunk < v.length) await ctx.device.queue.onSubmittedWorkDone();
      }
    }
    const byValues = new Map(distinct.map((v, i) => [v, tensors[i]]));
    return new ResidentSamples(
      ctx,
      rows.map((r) => ({ input: r.input, rows: byValues.get(r.values)!, size: r.size })),
      bytes,
    );
  } catch (e) {
    for (const t of made) ctx.release(t.buffer);
    if (e instanceof GpuError && e.code === 'E_GPU_DEVICE') return { state: 'off', code: 'RESIDENT_OVER_LIMIT', reason: `the GPU refused ${size(bytes)} for it (${e.message})` };
    throw e;
  }
}

/** A split's rows on the device and the gathers of each plan that reads them (see the file comment). */
export class ResidentSamples {
  private readonly plans = new Map<GpuGraph, PlanGathers>();

  constructor(
    private readonly ctx: GpuContext,
    private readonly held: readonly HeldInput[],
    readonly bytes: number,
  ) {}

  /** Samples `order[start .. start+count)` into `gpu`'s held inputs at the start of its next step (`count` is its batch). */
  feed(gpu: GpuGraph, order: Int32Array, start: number, count: number): void {
    if (count !== gpu.batchSize) throw new GpuError('E_GPU_BAD_ARGS', `A batch of ${count} samples fed to a plan of ${gpu.batchSize}: feed the plan of its size.`);
    const g = this.gathersOf(gpu);
    for (let i = 0; i < count; i++) g.words[i] = order[start + i];
    this.ctx.device.queue.writeBuffer(g.indices.buffer, g.indices.offset * 4, g.words.buffer, 0, count * 4);
    for (const [input, d] of g.dispatches) gpu.feedInput(input, d);
  }

  /** Let the rows go (the run's end). */
  dispose(): void {
    for (const b of new Set(this.held.map((h) => h.rows.buffer))) this.ctx.release(b);
    this.plans.clear();
  }

  /** `gpu`'s index buffer and gathers, made on its first batch. */
  private gathersOf(gpu: GpuGraph): PlanGathers {
    let g = this.plans.get(gpu);
    if (g) return g;
    const ctx = this.ctx;
    const indices = ctx.createTensor(gpu.batchSize, 'resident sample indices');
    const dispatches = this.held.map((h) => {
      const y = gpu.inputTensor(h.input);
      const total = gpu.batchSize * h.size;
      const grid = grid1d(ctx, total);
      const d = bindDispatch(ctx, 'data:gather', () => GATHER, [h.rows.buffer, indices.buffer, y.buffer], words([h.size, h.rows.offset, y.offset, grid.rowStride, total, 0, 0, 0]), grid.workgroups);
      // What it moves, for the profile: the rows it reads and the batch it writes, not the whole split it binds.
      return [h.input, { ...d, bytes: total * 8 + gpu.batchSize * 4 }] as const;
    });
    this.plans.set(gpu, (g = { indices, words: new Uint32Array(gpu.batchSize), dispatches }));
    return g;
  }
}
