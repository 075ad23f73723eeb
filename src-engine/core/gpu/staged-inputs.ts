/// <reference types="@webgpu/types" />
/**
 * A plan's inputs written through staging buffers mapped for writing, where the device allows it
 * (`GpuContext.mappedWrites`: Dawn in Node, not the GPU wire). `queue.writeBuffer` copies a batch
 * into memory of Dawn's own before the device copies it: on the H200 one batch of 16 images at
 * 3×224×224 (9.6 MB) took 4.6 ms that way and 0.9 ms written into a mapped buffer
 * (docs/webgpu-backend.md, "On a real GPU").
 *
 * Each large input keeps its staging buffers. A write goes into a mapped one's range, which is
 * then unmapped; the copy into the input tensor is recorded at the start of the next step's
 * command buffer ({@link StagedInputs.encode}), and once that step is submitted the buffer is
 * mapped again (`mapAsync`), so that it is ready when the next batch comes. A write finding none
 * mapped (the last copy still running: a step nobody awaited) makes another, up to
 * {@link MAX_STAGING} per input, then goes through writeBuffer: the bits are the same either way.
 * A map that fails (a lost device, a disposed context) drops its buffer; the step's own readback
 * says why (`E_GPU_LOST`).
 *
 * A mapped buffer may also be lent ({@link StagedInputs.lend}): the caller (the training loop's
 * feeder) writes the batch into its range itself, and the {@link StagedInputs.write} of that view
 * only unmaps it, with no host copy of the batch in between.
 */
import type { GpuContext, GpuTensor } from './context';

/**
 * Writes smaller than this stay on `queue.writeBuffer` (labels, the MNIST models' batches): a
 * staged write costs a `mapAsync` and a mapped range each time, ~30–50 µs of CPU more than
 * writeBuffer up to 1 MiB on Dawn's null backend and on SwiftShader; at 9.4 MB it is 0.5–0.7 ms
 * less there, and 3.7 ms less on the H200 (`bench/gpu-host.ts`; docs/webgpu-backend.md, "Host
 * time of a step").
 */
export const STAGED_MIN_BYTES = 1024 * 1024;
/** Staging buffers per input at most (one in flight, one being written, one spare). */
export const MAX_STAGING = 3;
const MAP_WRITE = 0x2; // GPUMapMode.WRITE

interface Slot {
  /** Mapped, waiting for a batch. */
  readonly ready: GPUBuffer[];
  /** Holding a batch whose copy is not recorded yet, with its size in bytes. */
  pending: { buffer: GPUBuffer; bytes: number } | null;
  /** Recorded into a command buffer not yet submitted. */
  readonly recorded: GPUBuffer[];
  /** Mapped and lent ({@link StagedInputs.lend}), with the view over its range, until its write. */
  lent: { buffer: GPUBuffer; view: Float32Array } | null;
  made: number;
}

/** How a plan's input writes went, counted since it was made (tests, the bench). */
export interface InputWriteCounts {
  /** Through a mapped staging buffer. */
  staged: number;
  /** Through `queue.writeBuffer`. */
  written: number;
  /** Of `staged`, those written into a lent view ({@link StagedInputs.lend}): no copy on the host. */
  lent: number;
  /** Staging buffers alive (made, and not dropped after a failed map). */
  buffers: number;
}

/** One plan's input uploads (see the file comment). */
export class StagedInputs {
  private readonly slots = new Map<GpuTensor, Slot>();
  private staged = 0;
  private written = 0;
  private lentWrites = 0;

  /** `minBytes`: writes smaller than this go through writeBuffer (the bench sets 0 to time both ways at any size). */
  constructor(
    private readonly ctx: GpuContext,
    private readonly minBytes = STAGED_MIN_BYTES,
  ) {}

  get counts(): InputWriteCounts {
    let buffers = 0;
    for (const s of this.slots.values()) buffers += s.made;
    return { staged: this.staged, written: this.written, lent: this.lentWrites, buffers };
  }

  /** Queue `data` into `t` (from element 0), before the next step that reads it; as `GpuContext.write`. */
  write(t: GpuTensor, data: Float32Array): void {
    const lentTo = this.slots.get(t);
    if (lentTo?.lent?.view === data) {
      this.writeLent(lentTo);
      return;
    }
    const staged = this.ctx.mappedWrites && data.byteLength >= this.minBytes && data.length <= t.length;
    const slot = staged ? this.slotOf(t) : this.slots.get(t);
    const staging = staged && slot ? this.take(t, slot) : null;
    // An earlier batch not copied yet is superseded (its copy would land after a writeBuffer).
    if (slot?.pending) {
      this.remap(slot, slot.pending.buffer);
      slot.pending = null;
    }
    if (!slot || !staging) {
      this.ctx.write(t, data);
      this.written++;
      return;
    }
    new Float32Array(staging.getMappedRange(0, data.byteLength)).set(data);
    staging.unmap();
    slot.pending = { buffer: staging, bytes: data.byteLength };
    this.staged++;
  }

  /**
   * A view over the range of a staging buffer mapped for `t`'s first `elements` values, for the
   * caller to fill with its next batch and then pass to {@link write} (which then only unmaps it);
   * null where that write would not be staged (no mapped writes, under `minBytes`) or no buffer
   * is mapped now. Asked again before that write, the same view.
   */
  lend(t: GpuTensor, elements = t.length): Float32Array | null {
    if (!this.ctx.mappedWrites || elements * 4 < this.minBytes || elements > t.length) return null;
    const slot = this.slotOf(t);
    if (slot.lent) return slot.lent.view.length === elements ? slot.lent.view : null;
    const buffer = this.take(t, slot);
    if (!buffer) return null;
    slot.lent = { buffer, view: new Float32Array(buffer.getMappedRange(0, elements * 4)) };
    return slot.lent.view;
  }

  /** Record the copies of the batches written since the last step at the current point of `enc`; call {@link submitted} once it is submitted. */
  encode(enc: GPUCommandEncoder): void {
    for (const [t, slot] of this.slots) {
      if (!slot.pending) continue;
      enc.copyBufferToBuffer(slot.pending.buffer, 0, t.buffer, t.offset * 4, slot.pending.bytes);
      slot.recorded.push(slot.pending.buffer);
      slot.pending = null;
    }
  }

  /** The command buffer {@link encode} recorded into was submitted: map its staging buffers again for the next batches. */
  submitted(): void {
    for (const slot of this.slots.values()) {
      for (const b of slot.recorded) this.remap(slot, b);
      slot.recorded.length = 0;
    }
  }

  /** Submit the pending copies on their own (before something other than a step reads an input). */
  flush(): void {
    if (![...this.slots.values()].some((s) => s.pending)) return;
    const enc = this.ctx.device.createCommandEncoder({ label: 'inputs' });
    this.encode(enc);
    this.ctx.device.queue.submit([enc.finish()]);
    this.submitted();
  }

  private slotOf(t: GpuTensor): Slot {
    let slot = this.slots.get(t);
    if (!slot) this.slots.set(t, (slot = { ready: [], pending: null, recorded: [], lent: null, made: 0 }));
    return slot;
  }

  /** The lent view of `slot` written: its buffer holds the batch, to copy at the next step. */
  private writeLent(slot: Slot): void {
    const { buffer, view } = slot.lent!;
    const bytes = view.byteLength; // 0 once unmapped (its ArrayBuffer detached)
    if (slot.pending) this.remap(slot, slot.pending.buffer);
    buffer.unmap();
    slot.pending = { buffer, bytes };
    slot.lent = null;
    this.staged++;
    this.lentWrites++;
  }

  private take(t: GpuTensor, slot: Slot): GPUBuffer | null {
    const b = slot.ready.pop();
    if (b) return b;
    if (slot.made >= MAX_STAGING) return null;
    slot.made++;
    return this.ctx.createStaging(t.length * 4, 'input staging');
  }

  private remap(slot: Slot, b: GPUBuffer): void {
    b.mapAsync(MAP_WRITE).then(
      () => slot.ready.push(b),
      () => {
        slot.made--;
        this.ctx.release(b);
      },
    );
  }
}
