/// <reference types="@webgpu/types" />
/**
 * Small helpers every kernel file uses to turn a WGSL source, its buffers and its uniforms into a
 * {@link GpuDispatch}, and to size a 1-D grid.
 */
import type { GpuContext } from '../context';
import type { GpuDispatch } from '../passes';

/** Invocations per workgroup of the 1-D (elementwise and reduction) kernels. */
export const WORKGROUP = 256;

/** A storage binding of a WGSL kernel: its array's name and its access. */
export type StorageBinding = readonly [name: string, access: 'read' | 'read_write'];

/**
 * The WGSL of a 1-D kernel (one invocation per element of what it writes, on the grid of
 * {@link grid1d}): the `Params` struct (which must have `rowStride`), the storage arrays at
 * bindings 0…k−1 in the order given, the uniform `P` at binding k, and a `main` whose index
 * (`i`, or `opts.index`) is `gid.y·rowStride + gid.x` and which returns at and beyond
 * `opts.bound` (default `P.total`); `body` is the rest of `main`.
 */
export function kernel1d(params: string, storage: readonly StorageBinding[], body: string, opts: { index?: string; bound?: string } = {}): string {
  const index = opts.index ?? 'i';
  return `${params}
${bindings(storage)}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let ${index} = gid.y * P.rowStride + gid.x;
  if (${index} >= ${opts.bound ?? 'P.total'}) { return; }
${body}}
`;
}

/** The declarations of `f32` storage arrays at bindings 0…k−1 in the order given, then the uniform `P: Params` at k. */
export function bindings(storage: readonly StorageBinding[]): string {
  return `${storage.map(([name, access], b) => `@group(0) @binding(${b}) var<storage, ${access}> ${name}: array<f32>;`).join('\n')}
@group(0) @binding(${storage.length}) var<uniform> P: Params;`;
}

/**
 * A dispatch of the pipeline `key` (compiled from `source()` once per context): storage buffers
 * bound at 0…k−1 in the order given, then the uniform `words` at binding k.
 */
export function bindDispatch(
  ctx: GpuContext,
  key: string,
  source: () => string,
  buffers: readonly GPUBuffer[],
  words: Uint32Array,
  workgroups: readonly [number, number, number],
  flops = 0,
): GpuDispatch {
  const d = bindUpdatableDispatch(ctx, key, source, buffers, words, workgroups).dispatch;
  return flops ? { ...d, flops } : d;
}

/**
 * A dispatch whose uniforms change every step (an optimizer's learning rate and step count):
 * `update(words)` rewrites them through the queue before the step's commands are submitted.
 */
export interface UpdatableDispatch {
  dispatch: GpuDispatch;
  update(words: Uint32Array): void;
}

/** As {@link bindDispatch}, keeping the uniform buffer to rewrite. */
export function bindUpdatableDispatch(
  ctx: GpuContext,
  key: string,
  source: () => string,
  buffers: readonly GPUBuffer[],
  words: Uint32Array,
  workgroups: readonly [number, number, number],
): UpdatableDispatch {
  const pipeline = ctx.pipeline(key, source);
  const uniform = ctx.createUniform(words, key);
  const entries: GPUBindGroupEntry[] = buffers.map((buffer, binding) => ({ binding, resource: { buffer } }));
  entries.push({ binding: buffers.length, resource: { buffer: uniform } });
  const bindGroup = ctx.device.createBindGroup({ label: key, layout: pipeline.getBindGroupLayout(0), entries });
  const bytes = buffers.reduce((a, b) => a + b.size, 0);
  return { dispatch: { label: key, pipeline, bindGroup, workgroups, flops: 0, bytes }, update: (w) => ctx.writeUniform(uniform, w) };
}

/** One dispatch of a {@link UniformBlock}: its storage buffers (bound at 0…k−1) and grid. */
export interface BlockDispatch {
  buffers: readonly GPUBuffer[];
  workgroups: readonly [number, number, number];
}

/**
 * Dispatches of one pipeline whose uniforms all change every step (an optimizer's update, one
 * dispatch per parameter), their uniforms in one buffer at aligned offsets: a step rewrites them
 * all with one `writeBuffer` instead of one each (resnet18's Adam: 62 writes a step).
 */
export interface UniformBlock {
  dispatches: GpuDispatch[];
  /** Queue the uniforms of every dispatch, `words[i]` for dispatch i (each at most `maxWords` long). */
  update(words: readonly Uint32Array[]): void;
}

/** As {@link bindUpdatableDispatch} for several dispatches of `key` sharing one uniform buffer (see {@link UniformBlock}); `words` are the first uniforms. */
export function bindUniformBlock(ctx: GpuContext, key: string, source: () => string, list: readonly BlockDispatch[], words: readonly Uint32Array[]): UniformBlock {
  if (list.length === 0) return { dispatches: [], update: () => undefined };
  const pipeline = ctx.pipeline(key, source);
  const size = Math.max(...words.map((w) => w.byteLength));
  const align = ctx.device.limits.minUniformBufferOffsetAlignment;
  const stride = Math.ceil(size / align) * align;
  const block = new Uint32Array((stride / 4) * list.length);
  const fill = (ws: readonly Uint32Array[]) => ws.forEach((w, i) => block.set(w, (i * stride) / 4));
  fill(words);
  const uniform = ctx.createUniform(block, key);
  const dispatches = list.map(({ buffers, workgroups }, i) => {
    const entries: GPUBindGroupEntry[] = buffers.map((buffer, binding) => ({ binding, resource: { buffer } }));
    entries.push({ binding: buffers.length, resource: { buffer: uniform, offset: i * stride, size } });
    const bindGroup = ctx.device.createBindGroup({ label: key, layout: pipeline.getBindGroupLayout(0), entries });
    return { label: key, pipeline, bindGroup, workgroups, flops: 0, bytes: buffers.reduce((a, b) => a + b.size, 0) };
  });
  return {
    dispatches,
    update(ws) {
      fill(ws);
      ctx.writeUniform(uniform, block);
    },
  };
}

/**
 * Workgroups covering `n` invocations of `size` ({@link WORKGROUP} unless the shader says another):
 * along x up to the device's limit, then rows in y; `rowStride` is what the shader multiplies
 * `gid.y` by (`i = gid.y·rowStride + gid.x`).
 */
export function grid1d(ctx: GpuContext, n: number, size = WORKGROUP): { workgroups: [number, number, number]; rowStride: number } {
  const groups = Math.max(1, Math.ceil(n / size));
  const x = Math.min(groups, ctx.device.limits.maxComputeWorkgroupsPerDimension);
  return { workgroups: [x, Math.ceil(groups / x), 1], rowStride: x * size };
}

/** u32 uniform words, with the given f32 values stored at the given word positions. */
export function words(u32: readonly number[], f32: Readonly<Record<number, number>> = {}): Uint32Array {
  const len = Math.max(u32.length, ...Object.keys(f32).map((k) => Number(k) + 1));
  const w = new Uint32Array(Math.ceil(len / 4) * 4);
  w.set(u32);
  const f = new Float32Array(w.buffer);
  for (const [k, v] of Object.entries(f32)) f[Number(k)] = v;
  return w;
}
