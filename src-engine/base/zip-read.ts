import { Inflate } from 'fflate';

/**
 * The engine's one ZIP reader: the members of an archive as `torch.save` and `np.savez` write them
 * (stored or deflated, ZIP64 end records and sizes), trusting nothing the archive says about
 * itself: the entry count is bounded by the central directory's size (46 bytes an entry at least)
 * and by the caller's most (`MAX_ZIP_ENTRIES`), every header's signature and range is checked
 * against the file, and a deflated member is inflated into exactly the size its central directory
 * declares: one byte more is refused, so a member cannot expand past what the caller has agreed to
 * hold. What it reads, `core/export/archive.ts`'s `zipStore` writes with fflate's `zipSync`.
 */

/** One member, as its central directory and local header place it. */
export interface ZipMember {
  readonly name: string;
  /** 0 stored, 8 deflated. */
  readonly method: number;
  /** Where its local header starts. */
  readonly header: number;
  /** Where its (compressed) data starts, and how many bytes it has. */
  readonly start: number;
  readonly compressedSize: number;
  /** The size its central directory declares: no more is ever inflated. */
  readonly size: number;
}

/** The most members an archive may list unless the caller says (a state dict has one a storage, plus a few). */
export const MAX_ZIP_ENTRIES = 65_536;
/** Compressed bytes inflated between two turns given to the caller (deflate expands at most ~1032×: ~16 MiB of output). */
const INFLATE_SLICE = 16 * 1024;
const EOCD = 0x06054b50;
const EOCD64 = 0x06064b50;
const EOCD64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/**
 * The members of the archive `bytes` by name, in the central directory's order.
 *
 * @throws what `bad` makes, with why: no end record, a count or directory that does not fit the
 *   file, more than `maxMembers` members, a header with another signature, an encrypted member or
 *   another compression, a member whose data passes the file's end, a name listed twice.
 */
export function zipMembers(bytes: Uint8Array, bad: (why: string) => Error, maxMembers = MAX_ZIP_ENTRIES): Map<string, ZipMember> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (at: number) => view.getUint16(at, true);
  const u32 = (at: number) => view.getUint32(at, true);
  // Past 2^53 imprecise, and then far past any file's end: every use is checked against the file.
  const u64 = (at: number) => Number(view.getBigUint64(at, true));
  // The end record is within the last 22 + 65535 (comment) bytes.
  let end = -1;
  for (let at = bytes.length - 22; at >= Math.max(0, bytes.length - 22 - 0xffff); at--) {
    if (u32(at) === EOCD && at + 22 + u16(at + 20) === bytes.length) {
      end = at;
      break;
    }
  }
  if (end < 0) throw bad('it has no end of central directory record');
  let count = u16(end + 10);
  let cdSize = u32(end + 12);
  let cdOffset = u32(end + 16);
  let cdEnd = end;
  if (end >= 20 && u32(end - 20) === EOCD64_LOCATOR) {
    const at = u64(end - 12);
    if (!(at + 56 <= end - 20) || u32(at) !== EOCD64) throw bad('its ZIP64 end record is not where its locator says');
    count = u64(at + 32);
    cdSize = u64(at + 40);
    cdOffset = u64(at + 48);
    cdEnd = at;
  }
  if (!(cdOffset + cdSize <= cdEnd)) throw bad('its central directory passes the end of the file');
  if (count * 46 > cdSize) throw bad(`it claims ${count} members in a central directory of ${cdSize} bytes`);
  if (count > maxMembers) throw bad(`it has ${count} members, more than the ${maxMembers} read`);
  const dec = new TextDecoder();
  const members = new Map<string, ZipMember>();
  let at = cdOffset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > cdOffset + cdSize || u32(at) !== CENTRAL) throw bad(`its central directory's member ${i + 1} is not a member header`);
    const flags = u16(at + 8);
    const method = u16(at + 10);
    let compressedSize = u32(at + 20);
    let size = u32(at + 24);
    const nameLength = u16(at + 28);
    const extraLength = u16(at + 30);
    const next = at + 46 + nameLength + extraLength + u16(at + 32);
    if (next > cdOffset + cdSize) throw bad(`its central directory's member ${i + 1} passes the directory's end`);
    let local = u32(at + 42);
    const name = dec.decode(bytes.subarray(at + 46, at + 46 + nameLength));
    // ZIP64: the 64-bit sizes and offset, in that order, for the fields that hold 0xffffffff.
    const extraEnd = at + 46 + nameLength + extraLength;
    for (let x = at + 46 + nameLength; x + 4 <= extraEnd; x += 4 + u16(x + 2)) {
      if (u16(x) !== 0x0001) continue;
      let f = x + 4;
      const field = () => {
        if (f + 8 > Math.min(x + 4 + u16(x + 2), extraEnd)) throw bad(`"${name}" has a ZIP64 field too short for its sizes`);
        const v = u64(f);
        f += 8;
        return v;
      };
      if (size === 0xffffffff) size = field();
      if (compressedSize === 0xffffffff) compressedSize = field();
      if (local === 0xffffffff) local = field();
    }
    if (flags & 1) throw bad(`"${name}" is encrypted`);
    if (method !== 0 && method !== 8) throw bad(`"${name}" is compressed with method ${method} (only stored and deflated are read)`);
    if (method === 0 && compressedSize !== size) throw bad(`"${name}" is stored, yet its sizes differ (${compressedSize} and ${size})`);
    if (!(local + 30 <= cdOffset) || u32(local) !== LOCAL) throw bad(`"${name}" has no local header where its central directory says`);
    const start = local + 30 + u16(local + 26) + u16(local + 28);
    if (!(start + compressedSize <= cdOffset)) throw bad(`"${name}" passes the end of the archive's data`);
    if (members.has(name)) throw bad(`it lists "${name}" twice`);
    members.set(name, { name, method, header: local, start, compressedSize, size });
    at = next;
  }
  return members;
}

/**
 * Raw deflate `data` inflated, throwing rather than giving more than `size` bytes: the runtime's
 * own decoder where it has one (Node: `zlib.inflateRawSync` with `maxOutputLength`).
 */
export type RawInflate = (data: Uint8Array, size: number) => Uint8Array;

/**
 * The bytes of `member`: a view of the file when stored, else inflated into `member.size` bytes,
 * by `native` in one call when given, else in slices (the generator yields between them).
 *
 * @throws what `bad` makes when the data inflates to more or fewer bytes than declared, or is not deflate data.
 */
export function* zipMemberBytes(bytes: Uint8Array, member: ZipMember, bad: (why: string) => Error, native?: RawInflate): Generator<void, Uint8Array> {
  const data = bytes.subarray(member.start, member.start + member.compressedSize);
  if (member.method === 0) return data;
  if (native) {
    let whole: Uint8Array;
    try {
      whole = native(data, member.size);
    } catch (e) {
      throw bad(`"${member.name}" is not deflate data of the ${member.size} bytes its central directory declares (${(e as Error).message})`);
    }
    if (whole.length !== member.size) throw bad(`"${member.name}" inflates to ${whole.length} bytes, not the ${member.size} its central directory declares`);
    return whole;
  }
  const out = new Uint8Array(member.size);
  let written = 0;
  const inflate = new Inflate((chunk) => {
    if (written + chunk.length > out.length) throw bad(`"${member.name}" inflates past the ${member.size} bytes its central directory declares`);
    out.set(chunk, written);
    written += chunk.length;
  });
  try {
    for (let at = 0; ; ) {
      // Never more input than could fill the room left (deflate expands at most 1032×) and a byte: an overrun is caught at once.
      const slice = Math.min(INFLATE_SLICE, Math.max(256, Math.ceil((out.length - written + 1) / 1032)));
      const last = at + slice >= data.length;
      inflate.push(data.subarray(at, at + slice), last);
      if (last) break;
      at += slice;
      yield;
    }
  } catch (e) {
    if (e instanceof Error && 'code' in e) throw e;
    throw bad(`"${member.name}" is not deflate data (${(e as Error).message})`);
  }
  if (written !== out.length) throw bad(`"${member.name}" inflates to ${written} bytes, not the ${member.size} its central directory declares`);
  return out;
}
