/// <reference types="@webgpu/types" />
/**
 * Dispatches, the compute passes they are encoded in, and where a GPU step's time goes, kernel by
 * kernel (issue #61). While a {@link GpuProfiler} is set on a context (`ctx.profiler`),
 * {@link encodeComputePass} records every dispatch in a compute pass of
 * its own, and — where the device has `timestamp-query` — writes the GPU's timestamps at the
 * pass's beginning and end. `finish()` resolves them: per dispatch, its pipeline key, the phase it
 * ran in (forward, backward, update), its workgroups, the bytes of the buffers it binds and its
 * milliseconds on the GPU. Without timestamps (SwiftShader here, a browser without the feature)
 * the counts are there and the times are `null`.
 *
 * One pass per dispatch is what WebGPU allows without the experimental in-pass timestamps; a pass
 * boundary is also a barrier, so a profiled step runs its kernels one after another, as the
 * unprofiled step's dependencies mostly make them do anyway. Only the profiled steps pay for it.
 * NOTE: Dawn quantizes timestamps unless its `timestamp_quantization` toggle is off
 * (`PROFILE_DAWN_OPTIONS`, which the bench passes when it acquires the device).
 */

/** One compute dispatch, made once (pipeline, bind group, uniforms) and encoded every step. */
export interface GpuDispatch {
  readonly label: string;
  readonly pipeline: GPUComputePipeline;
  readonly bindGroup: GPUBindGroup;
  readonly workgroups: readonly [number, number, number];
  /** Floating-point operations it performs (for throughput figures); 0 where not meaningful. */
  readonly flops: number;
  /** Bytes of the storage it binds (the profile's "bytes moved", at most once each); absent where not counted. */
  readonly bytes?: number;
}

/** What holds the profiler a pass is recorded by: a `GpuContext`. */
export interface ProfiledOwner {
  readonly profiler: GpuProfiler | null;
}

/** Dawn's options that give unquantized timestamps (npm `webgpu`'s `create` flags). */
export const PROFILE_DAWN_OPTIONS = ['disable-dawn-features=timestamp_quantization'];

/** One profiled dispatch. */
export interface ProfiledDispatch {
  /** The pipeline key: what the kernel is, without its sizes. */
  readonly kernel: string;
  /** The pass it was encoded in (`forward`, `backward`, `update`, …). */
  readonly phase: string;
  /** Workgroups dispatched (x·y·z). */
  readonly workgroups: number;
  /** Bytes of the storage buffers it binds: what it can read and write at most once each. */
  readonly bytes: number;
  /** Floating-point operations, where the kernel states them (the GEMMs). */
  readonly flops: number;
  /** Its time on the GPU between its pass's timestamps, or `null` without timestamp queries. */
  ms: number | null;
}

/** Timestamps a profiler can hold: two per dispatch (WebGPU allows 4096 queries per set). */
const MAX_QUERIES = 4096;

/** Records the dispatches of the steps encoded while it is `ctx.profiler`; see the file's comment. */
export class GpuProfiler {
  readonly records: ProfiledDispatch[] = [];
  /** Whether the device writes timestamps (otherwise only the counts are recorded). */
  readonly timed: boolean;
  private readonly querySet: GPUQuerySet | null;

  constructor(private readonly device: GPUDevice) {
    this.timed = device.features.has('timestamp-query');
    this.querySet = this.timed ? device.createQuerySet({ type: 'timestamp', count: MAX_QUERIES }) : null;
  }

  /** Encode `d` into `enc` in a compute pass of its own, timestamped where the device can. */
  encode(enc: GPUCommandEncoder, phase: string, d: GpuDispatch): void {
    const i = this.records.length;
    const [x, y, z] = d.workgroups;
    this.records.push({ kernel: d.label, phase, workgroups: x * y * z, bytes: d.bytes ?? 0, flops: d.flops, ms: null });
    const timestampWrites = this.querySet && 2 * i + 1 < MAX_QUERIES ? { querySet: this.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } : undefined;
    const pass = enc.beginComputePass({ label: d.label, ...(timestampWrites ? { timestampWrites } : {}) });
    pass.setPipeline(d.pipeline);
    pass.setBindGroup(0, d.bindGroup);
    pass.dispatchWorkgroups(x, y, z);
    pass.end();
  }

  /** The records so far, with their times read back (after the work queued so far), and the query set freed. */
  async finish(): Promise<ProfiledDispatch[]> {
    const n = Math.min(this.records.length, MAX_QUERIES / 2);
    if (this.querySet && n > 0) {
      const device = this.device;
      const bytes = 2 * n * 8;
      const resolved = device.createBuffer({ label: 'profile timestamps', size: bytes, usage: 0x200 | 0x4 }); // QUERY_RESOLVE | COPY_SRC
      const staging = device.createBuffer({ label: 'profile timestamps readback', size: bytes, usage: 0x1 | 0x8 }); // MAP_READ | COPY_DST
      const enc = device.createCommandEncoder({ label: 'profile timestamps' });
      enc.resolveQuerySet(this.querySet, 0, 2 * n, resolved, 0);
      enc.copyBufferToBuffer(resolved, 0, staging, 0, bytes);
      device.queue.submit([enc.finish()]);
      await staging.mapAsync(0x1);
      const ns = new BigInt64Array(staging.getMappedRange().slice(0));
      staging.unmap();
      staging.destroy();
      resolved.destroy();
      for (let i = 0; i < n; i++) {
        const d = ns[2 * i + 1] - ns[2 * i];
        // A pass the driver could not time resolves to 0s; a negative span is a wrapped or missing one.
        this.records[i].ms = ns[2 * i] > 0n && d >= 0n ? Number(d) / 1e6 : null;
      }
    }
    this.querySet?.destroy();
    return this.records;
  }
}

/**
 * Encode `lists` of dispatches, in order, as one compute pass labelled `phase` — or, while
 * `ctx.profiler` is set, as one timestamped pass each, recorded by the profiler.
 */
export function encodeComputePass(ctx: ProfiledOwner, enc: GPUCommandEncoder, phase: string, ...lists: readonly (readonly GpuDispatch[])[]): void {
  const profiler = ctx.profiler;
  if (profiler) {
    for (const list of lists) for (const d of list) profiler.encode(enc, phase, d);
    return;
  }
  const pass = enc.beginComputePass({ label: phase });
  for (const list of lists) {
    for (const d of list) {
      pass.setPipeline(d.pipeline);
      pass.setBindGroup(0, d.bindGroup);
      pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1], d.workgroups[2]);
    }
  }
  pass.end();
}

/** One kernel (pipeline key) of a profiled step: its dispatches added up. */
export interface KernelProfile {
  kernel: string;
  phase: string;
  dispatches: number;
  workgroups: number;
  bytes: number;
  flops: number;
  /** Milliseconds on the GPU, or `null` without timestamps. */
  ms: number | null;
}

/** A profiled step summed per kernel and phase, the most expensive first (by time, else by bytes). */
export function kernelTable(records: readonly ProfiledDispatch[]): KernelProfile[] {
  const rows = new Map<string, KernelProfile>();
  for (const r of records) {
    const key = `${r.phase}\u0000${r.kernel}`;
    let row = rows.get(key);
    if (!row) rows.set(key, (row = { kernel: r.kernel, phase: r.phase, dispatches: 0, workgroups: 0, bytes: 0, flops: 0, ms: r.ms === null ? null : 0 }));
    row.dispatches++;
    row.workgroups += r.workgroups;
    row.bytes += r.bytes;
    row.flops += r.flops;
    row.ms = row.ms === null || r.ms === null ? null : row.ms + r.ms;
  }
  return [...rows.values()].sort((a, b) => (b.ms ?? 0) - (a.ms ?? 0) || b.bytes - a.bytes);
}

/** Per dispatch, the median of its times over several profiled steps of the same plan (same dispatches in the same order). */
export function medianRecords(steps: readonly (readonly ProfiledDispatch[])[]): ProfiledDispatch[] {
  const first = steps[0] ?? [];
  return first.map((r, i) => {
    const times = steps.map((s) => s[i]?.ms).filter((t): t is number => typeof t === 'number').sort((a, b) => a - b);
    return { ...r, ms: times.length ? times[Math.floor(times.length / 2)] : null };
  });
}

/** A kernel table as text: one line per kernel, `top` of them, with the step's totals. */
export function formatKernelTable(records: readonly ProfiledDispatch[], top = 15): string {
  const rows = kernelTable(records);
  const total = rows.reduce((a, r) => a + (r.ms ?? 0), 0);
  const timed = rows.some((r) => r.ms !== null);
  const mib = (b: number) => (b / 2 ** 20).toFixed(1);
  const lines = [
    `${records.length} dispatches, ${rows.length} kernels, ${mib(rows.reduce((a, r) => a + r.bytes, 0))} MiB bound${timed ? `, ${total.toFixed(3)} ms on the GPU` : ' (no timestamp queries: counts only)'}`,
    ...rows.slice(0, top).map((r) => {
      const t = r.ms === null ? '' : `${r.ms.toFixed(3).padStart(8)} ms ${((100 * r.ms) / (total || 1)).toFixed(1).padStart(5)} %  `;
      const gbs = r.ms ? `  ${(r.bytes / 1e6 / r.ms).toPrecision(3)} GB/s` : '';
      const tf = r.ms && r.flops ? `  ${(r.flops / 1e9 / r.ms).toPrecision(3)} TFLOP/s` : '';
      return `  ${t}${String(r.dispatches).padStart(4)}× ${r.phase.padEnd(8)} ${r.kernel}  wg ${r.workgroups}  ${mib(r.bytes)} MiB${gbs}${tf}`;
    }),
  ];
  return lines.join('\n');
}
