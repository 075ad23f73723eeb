import CRC32C from 'crc-32/crc32c.js';

/**
 * Append-only record framing, the TFRecord way: each record is
 * `length (u32 LE) · masked CRC-32C of the length bytes · data · masked CRC-32C of the data`.
 * A record torn by a crash (a short tail) or damaged on disk fails its length or data check, and
 * a reader keeps every record before it.
 */
export const RECORD_OVERHEAD = 12;
/** A bigger length can only be a damaged header (probe frames are a few hundred KB). */
export const MAX_RECORD_BYTES = 256 << 20;

const MASK_DELTA = 0xa282ead8;

/** TFRecord's masked CRC: a CRC stored inside CRC-checked data would otherwise check itself. */
export function maskedCrc32c(data: Uint8Array): number {
  const c = CRC32C.buf(data) >>> 0;
  return ((((c >>> 15) | (c << 17)) >>> 0) + MASK_DELTA) >>> 0;
}

/**
 * One TFRecord, as TensorFlow's and TensorBoard's readers take it: the same framing with a 64-bit
 * length, `length (u64 LE) · masked CRC-32C of the length bytes · data · masked CRC-32C of the data`.
 */
export function frameTfRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length + 16);
  const view = new DataView(out.buffer);
  // The u64 as two u32 halves (no BigInt on the hot path; a record is far below 2^53 bytes).
  view.setUint32(0, data.length >>> 0, true);
  view.setUint32(4, Math.floor(data.length / 2 ** 32), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

/** One framed record for `data`. */
export function frameRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length + RECORD_OVERHEAD);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length, true);
  view.setUint32(4, maskedCrc32c(out.subarray(0, 4)), true);
  out.set(data, 8);
  view.setUint32(8 + data.length, maskedCrc32c(data), true);
  return out;
}

export interface ReadRecords {
  records: Uint8Array[];
  /** Bytes after the last good record (0 when the file is whole). */
  droppedBytes: number;
  /** Why reading stopped early: a torn tail, or a damaged record. */
  problem?: 'truncated' | 'corrupt';
}

/** Every whole, checksum-valid record of `bytes`, in order, up to the first bad one. */
export function readRecords(bytes: Uint8Array): ReadRecords {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (bytes.length - at < 8) return { records, droppedBytes: bytes.length - at, problem: 'truncated' };
    const length = view.getUint32(at, true);
    if (view.getUint32(at + 4, true) !== maskedCrc32c(bytes.subarray(at, at + 4)) || length > MAX_RECORD_BYTES) {
      return { records, droppedBytes: bytes.length - at, problem: 'corrupt' };
    }
    const end = at + 8 + length + 4;
    if (end > bytes.length) return { records, droppedBytes: bytes.length - at, problem: 'truncated' };
    const data = bytes.subarray(at + 8, at + 8 + length);
    if (view.getUint32(at + 8 + length, true) !== maskedCrc32c(data)) return { records, droppedBytes: bytes.length - at, problem: 'corrupt' };
    records.push(data);
    at = end;
  }
  return { records, droppedBytes: 0 };
}
