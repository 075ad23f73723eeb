import { DATA_LIMITS, DataError } from './types';

/** One array read from a NumPy `.npy`: values as float32 (int64 exactly up to 2²⁴), its shape and dtype. */
export interface NpyArray {
  dtype: 'float32' | 'float64' | 'uint8' | 'int8' | 'int32' | 'int64' | 'bool';
  shape: number[];
  data: Float32Array;
  /** Whether every value is a whole number (integer dtypes: always). */
  integer: boolean;
}

const DTYPES: Record<string, { dtype: NpyArray['dtype']; size: number }> = {
  '<f4': { dtype: 'float32', size: 4 },
  '<f8': { dtype: 'float64', size: 8 },
  '|u1': { dtype: 'uint8', size: 1 },
  '|i1': { dtype: 'int8', size: 1 },
  '|b1': { dtype: 'bool', size: 1 },
  '<i4': { dtype: 'int32', size: 4 },
  '<i8': { dtype: 'int64', size: 8 },
};

/**
 * Parse a NumPy `.npy` file (format versions 1–3, C order, little-endian float32/float64/uint8/
 * int8/int32/int64/bool). The header's shape must account for the data exactly: a header that
 * declares more (or fewer) values than the file holds is refused before anything is allocated.
 *
 * @throws DataError `DATA_NPY_BAD` naming `what`, `DATA_TOO_LARGE` past DATA_LIMITS.maxValues.
 */
export function parseNpy(bytes: Uint8Array, what: string): NpyArray {
  const bad = (why: string) => new DataError('DATA_NPY_BAD', `${what}: ${why}`);
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (bytes.length < 10 || !magic.every((b, i) => bytes[i] === b)) throw bad('not a NumPy .npy array (bad magic).');
  const major = bytes[6];
  if (major < 1 || major > 3) throw bad(`.npy format version ${major} is not supported (1–3 are).`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : bytes.length >= 12 ? view.getUint32(8, true) : Infinity;
  const start = major === 1 ? 10 : 12;
  if (start + headerLen > bytes.length || headerLen > 65_536) throw bad('truncated or oversized header.');
  const header = new TextDecoder('latin1').decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw bad('the header is not a NumPy array header (descr, fortran_order, shape).');
  const type = DTYPES[descr === '<u1' ? '|u1' : descr === '<i1' ? '|i1' : descr];
  if (!type) throw bad(`dtype ${JSON.stringify(descr.slice(0, 16))} is not supported; save float32, float64, uint8, int32 or int64 (little-endian).`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) throw bad('the header has a bad shape.');
  if (fortran === 'True' && shape.filter((d) => d > 1).length > 1) throw bad('Fortran-ordered arrays are not supported; save np.ascontiguousarray(a).');
  let count = 1;
  for (const d of shape) count *= d;
  const dataStart = start + headerLen;
  const have = bytes.length - dataStart;
  // Compare before allocating: a header may claim any shape.
  if (count * type.size !== have) {
    throw bad(`the header declares shape (${shape.join(', ')}) of ${type.dtype}, ${(count * type.size).toLocaleString('en-US')} bytes, but the file holds ${have.toLocaleString('en-US')}.`);
  }
  if (count > DATA_LIMITS.maxValues) throw new DataError('DATA_TOO_LARGE', `${what}: ${count.toLocaleString('en-US')} values, over the limit of ${DATA_LIMITS.maxValues.toLocaleString('en-US')}.`);
  const data = new Float32Array(count);
  let integer = type.dtype !== 'float32' && type.dtype !== 'float64';
  for (let i = 0; i < count; i++) {
    const o = dataStart + i * type.size;
    switch (type.dtype) {
      case 'float32':
        data[i] = view.getFloat32(o, true);
        break;
      case 'float64':
        data[i] = view.getFloat64(o, true);
        break;
      case 'uint8':
      case 'bool':
        data[i] = bytes[o];
        break;
      case 'int8':
        data[i] = view.getInt8(o);
        break;
      case 'int32':
        data[i] = view.getInt32(o, true);
        break;
      case 'int64':
        data[i] = Number(view.getBigInt64(o, true));
        break;
    }
  }
  if (!integer) {
    integer = true;
    for (let i = 0; i < count && integer; i++) integer = Number.isInteger(data[i]);
  }
  return { dtype: type.dtype, shape, data, integer };
}

/** The names a targets file takes beside a features file (scikit-learn's `X_train`/`y_train`, `x`/`y`, `features`/`labels`). */
const PAIRS: readonly [RegExp, readonly string[]][] = [
  [/(^|[^a-z])x(?=$|[^a-z])/i, ['y', 'Y']],
  [/(^|[^a-z])(features|data|images|inputs)(?=$|[^a-z])/i, ['labels', 'targets', 'label', 'target']],
];

/**
 * Where the targets of the features file `xPath` (an `.npy`) are: the file of the same name with
 * its `x` (or `features`, `data`, `images`, `inputs`) part turned into `y` (`labels`, `targets`…),
 * beside it — `X_train.npy` → `y_train.npy`, `digits-x.npy` → `digits-y.npy`,
 * `features.npy` → `labels.npy`. Candidates in that order; `exists` says which is there.
 */
export function npyTargetsPath(xPath: string, exists: (p: string) => boolean): string | undefined {
  const cut = Math.max(xPath.lastIndexOf('/'), xPath.lastIndexOf('\\')) + 1;
  const dir = xPath.slice(0, cut);
  const file = xPath.slice(cut);
  for (const [pattern, targets] of PAIRS) {
    if (!pattern.test(file)) continue;
    for (const t of targets) {
      const candidate = dir + file.replace(pattern, (_m, before: string) => `${before}${t}`);
      if (candidate !== xPath && exists(candidate)) return candidate;
    }
  }
  return undefined;
}
