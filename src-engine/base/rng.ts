/**
 * Where a stream stands (`Rng.state`, what a training checkpoint keeps of it): its four state
 * words as uint32, and the second Box–Muller value it holds for the next `normal()`, if any.
 */
export interface RngState {
  s: [number, number, number, number];
  spare?: number;
}

/**
 * Seeded pseudo-random numbers (xoshiro128**, seeded by splitmix32). The same seed gives the same
 * stream on every platform, which makes runs reproducible bit for bit on one backend.
 */
export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  /**
   * The second value of the last Box–Muller pair, while `hasSpare`. NOTE: a number field that is
   * never null, so V8 keeps it an unboxed double (a `number | null` field boxed every value it
   * held: one heap allocation per pair; ~15 % of `normal()`'s time in a noise transform's loop).
   */
  private spare = 0;
  private hasSpare = false;

  constructor(seed: number) {
    let x = seed >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  /** Uniform 32-bit unsigned integer. */
  nextU32(): number {
    // NOTE: state words are kept as signed int32 (`| 0`) so V8 keeps them in small-integer
    // registers; only the output is converted to unsigned. Same sequence as the unsigned form.
    const s0 = this.s0 | 0;
    const s1 = this.s1 | 0;
    let s2 = this.s2 | 0;
    let s3 = this.s3 | 0;
    const x = Math.imul(s1, 5);
    const result = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    this.s1 = s1 ^ s2;
    this.s0 = s0 ^ s3;
    this.s2 = s2 ^ t;
    this.s3 = (s3 << 11) | (s3 >>> 21);
    return result;
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal (Box–Muller, caching the second value). */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    this.hasSpare = true;
    return r * Math.cos(2 * Math.PI * v);
  }

  /** In-place Fisher–Yates shuffle. */
  shuffle<T extends { length: number; [i: number]: unknown }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** Where the stream stands: what `load` takes back to go on from here, draw for draw. */
  state(): RngState {
    const s: RngState['s'] = [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0];
    return this.hasSpare ? { s, spare: this.spare } : { s };
  }

  /** Continue from `st` (a `state()` of this stream or another): the next draws are the ones that followed it. */
  load(st: RngState): void {
    [this.s0, this.s1, this.s2, this.s3] = st.s.map((w) => w | 0);
    this.hasSpare = st.spare !== undefined;
    this.spare = st.spare ?? 0;
  }

  /** An independent generator derived from this one (for per-layer or per-worker streams). */
  fork(): Rng {
    return new Rng(this.nextU32());
  }
}

/**
 * Whether `v` is a stream's state as `Rng.state` writes it: four uint32 words, not all zero (the
 * one state xoshiro never leaves: it would draw zeros for ever), and a finite spare if any.
 */
export function isRngState(v: unknown): v is RngState {
  if (typeof v !== 'object' || v === null) return false;
  const { s, spare } = v as Partial<RngState>;
  const word = (w: unknown) => Number.isInteger(w) && (w as number) >= 0 && (w as number) <= 0xffffffff;
  return Array.isArray(s) && s.length === 4 && s.every(word) && s.some((w) => w !== 0) && (spare === undefined || Number.isFinite(spare));
}
