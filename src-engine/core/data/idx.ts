import { DATA_LIMITS, DataError } from './types';
import type { Dataset } from './types';
import { taskFor } from '../../catalog/tasks';

/** A parsed IDX array (the format of the MNIST family of files). */
export interface IdxArray {
  /** Dimension sizes, outermost first, e.g. `[60000, 28, 28]`. */
  dims: number[];
  /** The values as float32 (ubyte stays 0–255 here). */
  data: Float32Array;
}

const TYPE_BYTES: Record<number, { name: string; bytes: number }> = {
  0x08: { name: 'ubyte', bytes: 1 },
  0x09: { name: 'sbyte', bytes: 1 },
  0x0b: { name: 'int16', bytes: 2 },
  0x0c: { name: 'int32', bytes: 4 },
  0x0d: { name: 'float32', bytes: 4 },
  0x0e: { name: 'float64', bytes: 8 },
};

/**
 * Parse an IDX file (http://yann.lecun.com/exdb/mnist/): magic `00 00 <type> <ndims>`, then
 * `ndims` big-endian uint32 sizes, then the values, big-endian.
 *
 * @param bytes the whole file, already decompressed.
 * @param label a name for messages (the file name).
 * @throws DataError `DATA_IDX_*` when the header or length is wrong.
 */
export function parseIdx(bytes: Uint8Array, label = 'IDX file', maxValues: number = DATA_LIMITS.maxValues): IdxArray {
  if (bytes.length < 4) {
    throw new DataError('DATA_IDX_TRUNCATED', `${label}: ${bytes.length} bytes is too short for an IDX header (the file is truncated or not an IDX file).`);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const gz = bytes[0] === 0x1f && bytes[1] === 0x8b;
    throw new DataError(
      'DATA_IDX_BAD_MAGIC',
      gz
        ? `${label}: this is a gzip file; decompress it first (gunzip) or let the loader do it.`
        : `${label}: not an IDX file (magic bytes ${hex(bytes[0])} ${hex(bytes[1])}, expected 00 00).`,
    );
  }
  const type = TYPE_BYTES[bytes[2]];
  if (!type) throw new DataError('DATA_IDX_BAD_TYPE', `${label}: unknown IDX value type ${hex(bytes[2])} (expected 08, 09, 0B, 0C, 0D or 0E).`);
  const ndims = bytes[3];
  if (ndims < 1) throw new DataError('DATA_IDX_BAD_DIMS', `${label}: IDX header declares 0 dimensions.`);
  const headerLen = 4 + 4 * ndims;
  if (bytes.length < headerLen) {
    throw new DataError('DATA_IDX_TRUNCATED', `${label}: header declares ${ndims} dimensions but the file ends after ${bytes.length} bytes.`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let count = 1;
  for (let i = 0; i < ndims; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    if (d === 0) throw new DataError('DATA_IDX_BAD_DIMS', `${label}: dimension ${i} has size 0.`);
    dims.push(d);
    count *= d;
  }
  // Before the length check and the allocation: a header may declare 2³² × 2³² values.
  if (count > maxValues) {
    throw new DataError('DATA_TOO_LARGE', `${label}: the header declares ${dims.join('×')} values, over the limit of ${maxValues.toLocaleString('en-US')}.`);
  }
  const expected = headerLen + count * type.bytes;
  if (bytes.length !== expected) {
    throw new DataError(
      'DATA_IDX_BAD_LENGTH',
      `${label}: header says ${dims.join('×')} ${type.name} values (${expected} bytes in all) but the file has ${bytes.length} bytes` +
        (bytes.length < expected ? ' — it is truncated; download or copy it again.' : '.'),
    );
  }
  const data = new Float32Array(count);
  const base = headerLen;
  switch (bytes[2]) {
    case 0x08:
      for (let i = 0; i < count; i++) data[i] = bytes[base + i];
      break;
    case 0x09:
      for (let i = 0; i < count; i++) data[i] = view.getInt8(base + i);
      break;
    case 0x0b:
      for (let i = 0; i < count; i++) data[i] = view.getInt16(base + 2 * i, false);
      break;
    case 0x0c:
      for (let i = 0; i < count; i++) data[i] = view.getInt32(base + 4 * i, false);
      break;
    case 0x0d:
      for (let i = 0; i < count; i++) data[i] = view.getFloat32(base + 4 * i, false);
      break;
    case 0x0e:
      for (let i = 0; i < count; i++) data[i] = view.getFloat64(base + 8 * i, false);
      break;
  }
  return { dims, data };
}

/**
 * Combine an IDX image file `[N, H, W]` and label file `[N]` into a classification dataset with
 * features scaled to [0, 1] and shape `[1, H, W]` per sample.
 */
export function idxImageDataset(
  name: string,
  images: IdxArray,
  labels: IdxArray,
  classNames: string[],
): Dataset {
  if (images.dims.length !== 3) {
    throw new DataError('DATA_IDX_BAD_DIMS', `${name}: image file has ${images.dims.length} dimensions, expected 3 (count, height, width).`);
  }
  if (labels.dims.length !== 1) {
    throw new DataError('DATA_IDX_BAD_DIMS', `${name}: label file has ${labels.dims.length} dimensions, expected 1.`);
  }
  const [n, h, w] = images.dims;
  if (labels.dims[0] !== n) {
    throw new DataError('DATA_IDX_MISMATCH', `${name}: ${n} images but ${labels.dims[0]} labels; the image and label files do not belong together.`);
  }
  const features = images.data;
  // NOTE: multiply by the float32 of 1/255 would differ from torchvision's x/255 in the last bit;
  // divide instead so pixel values match ToTensor() exactly.
  for (let i = 0; i < features.length; i++) features[i] = features[i] / 255;
  return {
    name,
    task: taskFor('classes'),
    count: n,
    features,
    featureShape: [1, h, w],
    targets: labels.data,
    targetShape: [],
    numClasses: classNames.length,
    classNames,
  };
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0').toUpperCase();
}
