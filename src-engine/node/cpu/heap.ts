/** Bytes per WebAssembly page. */
const PAGE = 65536;
/** Every allocation starts on a 64-byte boundary (a cache line; f32x4 loads need only 16). */
const ALIGN = 64;

/**
 * One shared WebAssembly.Memory holding every tensor the CPU backend computes on, so kernels on
 * any thread see the same data by byte address. Allocation is a bump pointer: a compiled graph
 * allocates its storage once (activations, gradients, optimizer state), and steady-state steps
 * allocate nothing. NOTE: growing a *shared* memory never detaches old buffers, so every
 * Float32Array handed out stays valid; `buffer` objects differ per size, hence `owns` keeps a set.
 */
export class SharedHeap {
  readonly memory: WebAssembly.Memory;
  private top: number;
  private readonly buffers = new Set<ArrayBufferLike>();

  constructor(initialBytes: number, maximumPages: number) {
    const initial = Math.max(1, Math.ceil(initialBytes / PAGE));
    this.memory = new WebAssembly.Memory({ initial, maximum: maximumPages, shared: true });
    this.buffers.add(this.memory.buffer);
    this.top = 0;
  }

  /** Reserve `bytes` (aligned), growing the memory when needed; returns the byte address. */
  reserve(bytes: number): number {
    const at = Math.ceil(this.top / ALIGN) * ALIGN;
    const end = at + Math.max(bytes, 0);
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      const pages = Math.ceil((end - have) / PAGE);
      try {
        this.memory.grow(pages);
      } catch (e) {
        throw new Error(
          `CPU001: the CPU backend ran out of memory growing its heap to ${Math.ceil(end / 2 ** 20)} MiB ` +
            `(${(e as Error).message}). Use a smaller batch size or model.`,
        );
      }
      this.buffers.add(this.memory.buffer);
    }
    this.top = end;
    return at;
  }

  /** Zeroed storage for `length` floats, as a view into the heap. */
  allocFloats(length: number): Float32Array {
    const at = this.reserve(length * 4);
    const view = new Float32Array(this.memory.buffer, at, length);
    // NOTE: with worker threads, V8 may hand out a new buffer object for the same memory after a
    // grow (when the grow reaches this thread again), so the one `reserve` recorded is not always
    // the one this view got: record the view's own, or `owns` would miss it and every kernel
    // would stage a copy of it.
    this.buffers.add(view.buffer);
    view.fill(0);
    return view;
  }

  /** Whether `array` is a view into this heap (so kernels can use its byteOffset directly). */
  owns(array: ArrayBufferView): boolean {
    return this.buffers.has(array.buffer);
  }

  /** A Float32Array over the whole current heap. */
  f32(): Float32Array {
    return new Float32Array(this.memory.buffer);
  }

  /** Bytes in use. */
  get used(): number {
    return this.top;
  }
}
