// The ONNX model as plain objects, and the pure helpers over them (no protobuf codec here: op files
// import their import rules' types from this module, and the renderer's bundle reaches the op files).
/**
 * The part of ONNX's `ModelProto` that Netwright writes and reads, as plain objects (field names
 * as in onnx.proto; int64 fields as numbers). protobufjs encodes and decodes them with the
 * embedded schema, so nothing here writes protobuf by hand.
 */
export interface OnnxModel {
  ir_version: number;
  opset_import: { domain?: string; version: number }[];
  producer_name?: string;
  producer_version?: string;
  doc_string?: string;
  graph: OnnxGraph;
  metadata_props?: { key: string; value: string }[];
}

export interface OnnxGraph {
  name?: string;
  doc_string?: string;
  node: OnnxNode[];
  initializer: OnnxTensor[];
  input: OnnxValueInfo[];
  output: OnnxValueInfo[];
  value_info?: OnnxValueInfo[];
}

export interface OnnxNode {
  name?: string;
  op_type: string;
  domain?: string;
  input: string[];
  output: string[];
  attribute?: OnnxAttribute[];
  doc_string?: string;
}

/** `AttributeProto.AttributeType` values used here. */
export const ATTR = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

export interface OnnxAttribute {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: OnnxTensor;
  floats?: number[];
  ints?: number[];
}

/** `TensorProto.DataType` values used here. */
export const DTYPE = { FLOAT: 1, INT32: 6, INT64: 7, DOUBLE: 11 } as const;

export interface OnnxTensor {
  name?: string;
  dims: number[];
  data_type: number;
  raw_data?: Uint8Array;
  float_data?: number[];
  int32_data?: number[];
  int64_data?: number[];
  double_data?: number[];
  data_location?: number;
  external_data?: { key: string; value: string }[];
}

export interface OnnxValueInfo {
  name: string;
  doc_string?: string;
  type?: { tensor_type?: { elem_type: number; shape?: { dim: { dim_value?: number; dim_param?: string }[] } } };
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** The UTF-8 bytes of a string attribute. */
export function utf8(s: string): Uint8Array {
  return enc.encode(s);
}

/** The text of a string attribute's bytes. */
export function fromUtf8(b: Uint8Array | undefined): string {
  return b ? dec.decode(b) : '';
}

/** Whether this host stores numbers little-endian, as ONNX's raw_data does (every host Netwright runs on). */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A float32 tensor, stored little-endian in `raw_data`. */
export function floatTensor(name: string, dims: readonly number[], values: ArrayLike<number>): OnnxTensor {
  const raw = new Uint8Array(values.length * 4);
  if (LITTLE_ENDIAN) {
    // raw_data is little-endian float32: on such a host, the floats' own bytes (a block copy from
    // a Float32Array; a DataView write per value cost the torchvision test's exports 2.9 s of CPU).
    new Float32Array(raw.buffer).set(values);
  } else {
    const view = new DataView(raw.buffer);
    for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  }
  return { name, dims: [...dims], data_type: DTYPE.FLOAT, raw_data: raw };
}

/** An int64 tensor (shapes, axes), in `int64_data`. */
export function int64Tensor(name: string, dims: readonly number[], values: readonly number[]): OnnxTensor {
  return { name, dims: [...dims], data_type: DTYPE.INT64, int64_data: [...values] };
}

/** Number of values a tensor of `dims` holds (1 for a scalar). */
export function sizeOf(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** Bytes per value in `raw_data`, and the typed field, of the tensor types `tensorValues` reads. */
const STORAGE: Readonly<Record<number, { bytes: number; name: string; field: 'float_data' | 'double_data' | 'int64_data' | 'int32_data' }>> = {
  [DTYPE.FLOAT]: { bytes: 4, name: 'float32', field: 'float_data' },
  [DTYPE.DOUBLE]: { bytes: 8, name: 'float64', field: 'double_data' },
  [DTYPE.INT64]: { bytes: 8, name: 'int64', field: 'int64_data' },
  [DTYPE.INT32]: { bytes: 4, name: 'int32', field: 'int32_data' },
};

/**
 * What is wrong with a tensor stored in the file, or undefined: its dims must be whole numbers
 * ≥ 0, and its data (in `raw_data` or the typed field) exactly as many values as they declare. A
 * file is a stranger's input: a negative dim, dims whose product is huge, or data cut short must be
 * refused before anything is allocated or read. Tensors stored outside the file and types
 * `tensorValues` does not read are left to their readers.
 */
export function tensorProblem(t: OnnxTensor): string | undefined {
  if (t.data_location === 1 || (t.external_data?.length ?? 0) > 0) return undefined;
  const dims = t.dims ?? [];
  if (!dims.every((d) => Number.isSafeInteger(d) && d >= 0)) return `its dims [${dims.join(', ')}] must be whole numbers ≥ 0`;
  const storage = STORAGE[t.data_type];
  if (!storage) return undefined;
  const n = sizeOf(dims);
  const declared = dims.length ? dims.join(' × ') : '1 (a scalar)';
  if (t.raw_data && t.raw_data.length > 0) {
    return t.raw_data.length === n * storage.bytes ? undefined : `it declares ${declared} values but holds ${t.raw_data.length} bytes of ${storage.name} data (${n * storage.bytes} expected)`;
  }
  const held = t[storage.field]?.length ?? 0;
  return held === n ? undefined : `it declares ${declared} values but holds ${held}`;
}

/**
 * The values of a float, double, int32 or int64 tensor as numbers (float32 precision for floats).
 * Returns undefined for other types and for data stored outside the file.
 *
 * @throws Error when the tensor's dims or data are malformed (`tensorProblem`); callers that read
 *   a stranger's file check every tensor with `tensorProblem` first.
 */
export function tensorValues(t: OnnxTensor): Float32Array | number[] | undefined {
  if (t.data_location === 1 || (t.external_data?.length ?? 0) > 0) return undefined;
  const problem = tensorProblem(t);
  if (problem) throw new Error(`tensor "${t.name ?? ''}": ${problem}`);
  const n = sizeOf(t.dims);
  const raw = t.raw_data && t.raw_data.length > 0 ? new DataView(t.raw_data.buffer, t.raw_data.byteOffset, t.raw_data.byteLength) : undefined;
  switch (t.data_type) {
    case DTYPE.FLOAT: {
      const out = new Float32Array(n);
      // The file's bytes are little-endian float32 as a little-endian host stores them: copied
      // whole (a byte copy, ~20× faster than a DataView read per value on tens of MB of weights).
      if (raw && LITTLE_ENDIAN) new Uint8Array(out.buffer).set(t.raw_data!.subarray(0, n * 4));
      else if (raw) for (let i = 0; i < n; i++) out[i] = raw.getFloat32(i * 4, true);
      else if (t.float_data) out.set(t.float_data.slice(0, n));
      return out;
    }
    case DTYPE.DOUBLE: {
      const out = new Float32Array(n);
      if (raw) for (let i = 0; i < n; i++) out[i] = raw.getFloat64(i * 8, true);
      else if (t.double_data) out.set(t.double_data.slice(0, n));
      return out;
    }
    case DTYPE.INT64: {
      if (!raw) return (t.int64_data ?? []).slice(0, n);
      const out: number[] = [];
      for (let i = 0; i < n; i++) out.push(Number(raw.getBigInt64(i * 8, true)));
      return out;
    }
    case DTYPE.INT32: {
      if (!raw) return (t.int32_data ?? []).slice(0, n);
      const out: number[] = [];
      for (let i = 0; i < n; i++) out.push(raw.getInt32(i * 4, true));
      return out;
    }
    default:
      return undefined;
  }
}
