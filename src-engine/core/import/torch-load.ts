import { ModelError } from '../export/model';
import { DTYPE_BYTES, MAX_WEIGHTS_BYTES, MAX_WEIGHTS_LIMITS, MAX_WEIGHTS_RANK, decodeValues, type WeightsEntry, type WeightsIndex } from '../export/safetensors';
import { zipMemberBytes, zipMembers } from '../../base/zip-read';

/**
 * A PyTorch `state_dict` as `torch.save` writes it (the zip format of PyTorch ≥ 1.6:
 * `<name>/data.pkl`, `<name>/data/<key>` per storage), read without running any of the pickle's
 * code: a pickle machine of the few opcodes a dict of plain tensors uses, whose only callables are
 * `collections.OrderedDict` and `torch._utils._rebuild_tensor_v2`, and whose only other names are
 * the typed storages (`torch.FloatStorage`, …) its persistent ids cite. Any other name (`os.system`,
 * `builtins.eval`, a class to rebuild) or opcode is refused before anything is built
 * (`E_WEIGHTS_PICKLE`), as `torch.load(weights_only=True)` does.
 *
 * Nothing the file says is trusted for memory or time: the machine runs at most as many
 * instructions as a state dict of the tensors wanted needs (`weightsLimits`; every instruction
 * makes at most one value), the zip's sizes are checked (`zipMembers`), a storage is inflated only
 * when a tensor read needs it, once, and the inflated bytes count against `MAX_WEIGHTS_BYTES`.
 */

/** The storage classes a plain state dict cites, and the dtype of their bytes. */
const STORAGES: Record<string, string> = { FloatStorage: 'F32', DoubleStorage: 'F64', HalfStorage: 'F16', BFloat16Storage: 'BF16', LongStorage: 'I64' };
const CALLABLES = new Set(['collections.OrderedDict', 'torch._utils._rebuild_tensor_v2']);
/** Instructions between two turns given to the caller. */
const PICKLE_SLICE = 65_536;
/** Values of a view gathered between two turns given to the caller. */
const VALUES_SLICE = 1 << 20;

class Global {
  constructor(readonly name: string) {}
}
class StorageRef {
  constructor(
    readonly dtype: string,
    readonly key: string,
    readonly numel: number,
  ) {}
}
class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly size: number[],
    readonly stride: number[],
  ) {}
}
type PyValue = null | boolean | number | bigint | string | Global | StorageRef | TensorRef | PyValue[] | Map<PyValue, PyValue> | typeof MARK;
const MARK = Symbol('mark');

/**
 * The tensors of a `torch.save`d state dict (or of a checkpoint dict whose `state_dict`,
 * `model_state_dict` or `model` entry is one), described: a tensor's storage is inflated and its
 * values read only by its `read`. float32, float64, float16 and bfloat16 storages are read as
 * float32; int64 as int64 (BatchNorm's `num_batches_tracked`). A view is read by its offset, size
 * and strides (a stride of 0 repeats a value, as `expand` makes). The generator yields between
 * slices of work (the zip's members inflated, the pickle's instructions).
 *
 * @throws ModelError `E_WEIGHTS_PICKLE` for a pickle that names anything else, uses an opcode a
 *   plain state dict does not, or runs past `limits.pickleOps` instructions; `E_WEIGHTS_FILE` for a
 *   file that is not such a zip, a data.pkl larger than `limits.descriptionBytes`, a storage missing or too short, a view reading past its storage,
 *   or a dict that holds no tensors.
 */
export function* indexTorchStateDict(bytes: Uint8Array, file = 'the file', limits = MAX_WEIGHTS_LIMITS): Generator<void, WeightsIndex> {
  const bad = (why: string) => new ModelError('E_WEIGHTS_FILE', `${file} is not a PyTorch state_dict Netwright reads: ${why}.`);
  if (bytes[0] !== 0x50 || bytes[1] !== 0x4b) {
    throw bad(bytes[0] === 0x80 ? 'it was saved in the format before PyTorch 1.6; save it again with torch.save(model.state_dict(), path) from a newer PyTorch' : 'it is not a zip archive as torch.save writes');
  }
  const members = zipMembers(bytes, (why) => bad(`its zip archive cannot be read: ${why}`));
  yield;
  const pkl = [...members.values()].find((m) => /^[^/]+\/data\.pkl$/.test(m.name));
  if (!pkl) throw bad('it has no data.pkl');
  if (pkl.size > limits.descriptionBytes) throw bad(`its data.pkl is ${pkl.size} bytes, more than a state_dict of the tensors wanted needs (${limits.descriptionBytes})`);
  const prefix = pkl.name.slice(0, -'data.pkl'.length);
  const root = yield* unpickle(yield* zipMemberBytes(bytes, pkl, bad), file, limits.pickleOps);
  const dict = stateDictOf(root);
  if (!dict) throw bad('it holds no dict of tensors (a state_dict)');
  // Each storage inflated once, when a tensor read first needs it; all of them together within the bound.
  const storages = new Map<string, Uint8Array>();
  let inflated = 0;
  function* storageBytes(s: StorageRef): Generator<void, Uint8Array> {
    const member = members.get(`${prefix}data/${s.key}`)!;
    let raw = storages.get(s.key);
    if (!raw) {
      if (member.method !== 0 && (inflated += member.size) > MAX_WEIGHTS_BYTES) throw bad(`its storages inflate past ${MAX_WEIGHTS_BYTES / 2 ** 30} GiB`);
      raw = yield* zipMemberBytes(bytes, member, bad);
      storages.set(s.key, raw);
    }
    return raw.subarray(0, s.numel * DTYPE_BYTES[s.dtype]);
  }
  const tensors = new Map<string, WeightsEntry>();
  for (const [name, t] of dict) {
    const s = t.storage;
    const member = members.get(`${prefix}data/${s.key}`);
    if (!member || member.size < s.numel * DTYPE_BYTES[s.dtype]) throw bad(`the storage of "${name}" (data/${s.key}) is ${member ? 'shorter than its tensor' : 'missing'}`);
    if (t.size.length > MAX_WEIGHTS_RANK) throw bad(`"${name}" has ${t.size.length} dimensions; no tensor Netwright reads has more than ${MAX_WEIGHTS_RANK}`);
    // Checked before anything is read: a view reads inside its storage (one of size 0 reads nothing).
    const empty = t.size.includes(0);
    const last = t.offset + t.size.reduce((a, d, i) => a + Math.max(d - 1, 0) * t.stride[i], 0);
    if (!empty && last >= s.numel) throw bad(`"${name}" (size [${t.size.join(', ')}]) reads past its storage of ${s.numel} values`);
    tensors.set(name, {
      kind: s.dtype === 'I64' ? 'int64' : 'float32',
      shape: t.size,
      read: function* () {
        return empty ? (s.dtype === 'I64' ? new BigInt64Array(0) : new Float32Array(0)) : yield* viewValues(yield* storageBytes(s), s.dtype, t);
      },
    });
  }
  return { tensors, metadata: {} };
}

/** The state dict in an unpickled object: the object itself, or its `state_dict`/`model_state_dict`/`model` entry. */
function stateDictOf(root: PyValue): Map<string, TensorRef> | undefined {
  const asDict = (v: PyValue | undefined): Map<string, TensorRef> | undefined => {
    if (!(v instanceof Map) || v.size === 0) return undefined;
    for (const [k, x] of v) if (typeof k !== 'string' || !(x instanceof TensorRef)) return undefined;
    return v as Map<string, TensorRef>;
  };
  if (!(root instanceof Map)) return undefined;
  return asDict(root) ?? asDict(root.get('state_dict')) ?? asDict(root.get('model_state_dict')) ?? asDict(root.get('model'));
}

/**
 * The values of view `t` of a storage's raw bytes: the bytes it reads gathered in its order, then
 * converted (`decodeValues`). Its unit dimensions address nothing and are skipped, so the walk is
 * over at most log2(values) dimensions however many the view lists.
 */
function* viewValues(raw: Uint8Array, dtype: string, t: TensorRef): Generator<void, Float32Array | BigInt64Array> {
  const size = DTYPE_BYTES[dtype];
  const dims = t.size.flatMap((d, i) => (d === 1 ? [] : [i]));
  const sizes = dims.map((i) => t.size[i]);
  const strides = dims.map((i) => t.stride[i]);
  const n = sizes.reduce((a, b) => a * b, 1);
  const contiguous = strides.every((st, k) => st === sizes.slice(k + 1).reduce((a, b) => a * b, 1));
  // Contiguous (a scalar too: no dimension left): the values are the bytes from the offset on.
  if (contiguous) return yield* decodeValues(raw.subarray(t.offset * size, (t.offset + n) * size), dtype);
  // Gathered word by word (2 or 4 bytes; a value of 8 is two words): no value is converted twice.
  const word = Math.min(size, 4);
  const words = size / word;
  const aligned = raw.byteOffset % word ? new Uint8Array(raw) : raw;
  const gathered = new Uint8Array(n * size);
  const [src, dst] = word === 2 ? [new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.length / 2), new Uint16Array(gathered.buffer)] : [new Uint32Array(aligned.buffer, aligned.byteOffset, aligned.length / 4), new Uint32Array(gathered.buffer)];
  // An odometer over the outer dimensions, a straight run along the innermost.
  const r = sizes.length - 1;
  const inner = sizes[r];
  const step = strides[r];
  const idx = new Array<number>(r).fill(0);
  let at = t.offset;
  for (let i = 0; i < n; i += inner) {
    for (let j = 0, from = at * words, to = i * words; j < inner; j++, from += step * words, to += words) {
      for (let w = 0; w < words; w++) dst[to + w] = src[from + w];
    }
    for (let d = r - 1; d >= 0; d--) {
      if (++idx[d] < sizes[d]) {
        at += strides[d];
        break;
      }
      idx[d] = 0;
      at -= (sizes[d] - 1) * strides[d];
    }
    if (i % VALUES_SLICE < inner) yield;
  }
  return yield* decodeValues(gathered, dtype);
}

/**
 * Run the restricted pickle machine over `data` (pickle protocols 2 to 5, as torch.save writes),
 * at most `maxOps` instructions, of which at most a 16th make a container (a dict, a list, a tuple,
 * a tensor: a state dict makes ~6 of its ~40 a tensor): each instruction makes at most one value,
 * so these bound the memory and time the machine takes. Yields every `PICKLE_SLICE` instructions.
 */
function* unpickle(data: Uint8Array, file: string, maxOps: number): Generator<void, PyValue> {
  const m = new PickleMachine(data, file, Math.ceil(maxOps / 16));
  for (let ops = 1; ; ops++) {
    const op = m.u8();
    if (op === 0x2e) return m.pop(); // STOP
    const run = OPCODES.get(op);
    if (!run) throw m.refuse(`uses pickle opcode 0x${op.toString(16).padStart(2, '0')} at byte ${m.at - 1}`);
    if (ops > maxOps) throw m.refuse(`runs past ${maxOps} instructions, more than a state_dict of the tensors wanted needs`);
    run(m);
    if (ops % PICKLE_SLICE === 0) yield;
  }
}

/** The pickle machine's state: the bytes read so far, its stack and its memo. */
class PickleMachine {
  readonly stack: PyValue[] = [];
  readonly memo = new Map<number, PyValue>();
  at = 0;
  private readonly view: DataView;
  private readonly dec = new TextDecoder();

  private objects = 0;

  constructor(
    private readonly data: Uint8Array,
    private readonly file: string,
    private readonly maxObjects: number,
  ) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }

  /** `v`, a dict, list, tuple or tensor made, counted: these hold memory, the rest of a pickle's values are references and numbers. */
  made<T>(v: T): T {
    if (++this.objects > this.maxObjects) throw this.refuse(`makes more than ${this.maxObjects} dicts, lists and tuples, more than a state_dict of the tensors wanted needs`);
    return v;
  }

  refuse(why: string): Error {
    return new ModelError('E_WEIGHTS_PICKLE', `${this.file} was not loaded: its data.pkl ${why}. A plain state_dict needs nothing else, and Netwright runs no code from a weights file.`);
  }

  /** Skip `n` bytes; answers where they start. */
  take(n: number): number {
    if (this.at + n > this.data.length) throw this.refuse('ends in the middle of an instruction');
    const start = this.at;
    this.at += n;
    return start;
  }
  u8 = () => this.data[this.take(1)];
  u16 = () => this.view.getUint16(this.take(2), true);
  u32 = () => this.view.getUint32(this.take(4), true);
  i32 = () => this.view.getInt32(this.take(4), true);
  str = (n: number) => this.dec.decode(this.data.subarray(this.take(n), this.at));
  bytes = (n: number) => this.data.subarray(this.take(n), this.at);
  line(): string {
    const end = this.data.indexOf(0x0a, this.at);
    if (end < 0) throw this.refuse('ends in the middle of a name');
    const s = this.dec.decode(this.data.subarray(this.at, end));
    this.at = end + 1;
    return s;
  }
  push = (v: PyValue) => void this.stack.push(v);
  pop(): PyValue {
    if (this.stack.length === 0) throw this.refuse('pops an empty stack');
    return this.stack.pop()!;
  }
  top(): PyValue {
    if (this.stack.length === 0) throw this.refuse('reads an empty stack');
    return this.stack[this.stack.length - 1];
  }
  popMark(): PyValue[] {
    const m = this.stack.lastIndexOf(MARK);
    if (m < 0) throw this.refuse('has no mark to pop to');
    return this.stack.splice(m).slice(1);
  }
  /** Only the names a plain state dict cites; anything else is refused here, before it could be called. */
  global(module: string, name: string): Global {
    const full = `${module}.${name}`;
    if (CALLABLES.has(full) || (module === 'torch' && Object.hasOwn(STORAGES, name))) return new Global(full);
    throw this.refuse(`names ${full}, which a plain state_dict never does (only collections.OrderedDict, torch._utils._rebuild_tensor_v2 and the storage types)`);
  }
  setItems(items: PyValue[]): void {
    const dict = this.top();
    if (!(dict instanceof Map)) throw this.refuse('sets items of something that is not a dict');
    for (let i = 0; i + 1 < items.length; i += 2) dict.set(items[i], items[i + 1]);
  }
  getMemo(k: number): PyValue {
    if (!this.memo.has(k)) throw this.refuse(`reads memo ${k}, which was never set`);
    return this.memo.get(k)!;
  }
}

/** The top `n` items of the stack, popped, in order. */
function lastItems(m: PickleMachine, n: number): PyValue[] {
  const out: PyValue[] = [];
  for (let i = 0; i < n; i++) out.unshift(m.pop());
  return out;
}

/** LONG1's little-endian two's complement, as a number where it is safe, else a bigint. */
function long1(b: Uint8Array): number | bigint {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  if (b.length > 0 && b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/**
 * The opcodes a pickled dict of plain tensors uses (Python's Lib/pickletools.py names them), one
 * entry each; STOP ends the machine. Every other opcode (INST, OBJ, NEWOBJ, EXT*, PERSID's text
 * form, the byte strings…) is refused.
 */
const OPCODES = new Map<number, (m: PickleMachine) => void>([
  [0x80, (m) => void m.u8()], // PROTO
  [0x95, (m) => void m.take(8)], // FRAME
  [0x63, (m) => m.push(m.global(m.line(), m.line()))], // GLOBAL
  [
    0x93, // STACK_GLOBAL
    (m) => {
      const name = m.pop();
      const module = m.pop();
      if (typeof module !== 'string' || typeof name !== 'string') throw m.refuse('names a global that is not text');
      m.push(m.global(module, name));
    },
  ],
  [0x7d, (m) => m.push(m.made(new Map()))], // EMPTY_DICT
  [0x29, (m) => m.push(m.made([]))], // EMPTY_TUPLE
  [0x5d, (m) => m.push(m.made([]))], // EMPTY_LIST
  [0x28, (m) => m.push(MARK)], // MARK
  [0x74, (m) => m.push(m.made(m.popMark()))], // TUPLE
  [0x6c, (m) => m.push(m.made(m.popMark()))], // LIST
  [0x85, (m) => m.push(m.made([m.pop()]))], // TUPLE1
  [0x86, (m) => m.push(m.made(lastItems(m, 2)))], // TUPLE2
  [0x87, (m) => m.push(m.made(lastItems(m, 3)))], // TUPLE3
  [0x71, (m) => void m.memo.set(m.u8(), m.top())], // BINPUT
  [0x72, (m) => void m.memo.set(m.u32(), m.top())], // LONG_BINPUT
  [0x94, (m) => void m.memo.set(m.memo.size, m.top())], // MEMOIZE
  [0x68, (m) => m.push(m.getMemo(m.u8()))], // BINGET
  [0x6a, (m) => m.push(m.getMemo(m.u32()))], // LONG_BINGET
  [0x58, (m) => m.push(m.str(m.u32()))], // BINUNICODE
  [0x8c, (m) => m.push(m.str(m.u8()))], // SHORT_BINUNICODE
  [0x4a, (m) => m.push(m.i32())], // BININT
  [0x4b, (m) => m.push(m.u8())], // BININT1
  [0x4d, (m) => m.push(m.u16())], // BININT2
  [0x8a, (m) => m.push(long1(m.bytes(m.u8())))], // LONG1
  [0x88, (m) => m.push(true)], // NEWTRUE
  [0x89, (m) => m.push(false)], // NEWFALSE
  [0x4e, (m) => m.push(null)], // NONE
  [
    0x73, // SETITEM
    (m) => {
      const v = m.pop();
      m.setItems([m.pop(), v]);
    },
  ],
  [0x75, (m) => m.setItems(m.popMark())], // SETITEMS
  [
    0x61, // APPEND
    (m) => {
      const v = m.pop();
      const list = m.top();
      if (!Array.isArray(list)) throw m.refuse('appends to something that is not a list');
      list.push(v);
    },
  ],
  [
    0x65, // APPENDS
    (m) => {
      const items = m.popMark();
      const list = m.top();
      if (!Array.isArray(list)) throw m.refuse('appends to something that is not a list');
      for (const v of items) list.push(v);
    },
  ],
  [0x51, (m) => m.push(m.made(storageRef(m.pop(), (why) => m.refuse(why))))], // BINPERSID
  [
    0x52, // REDUCE
    (m) => {
      const args = m.pop();
      m.push(m.made(reduce(m.pop(), args, (why) => m.refuse(why))));
    },
  ],
  [
    0x62, // BUILD: the state a state_dict's OrderedDict carries (its `_metadata` of versions) is not needed.
    (m) => {
      m.pop();
      if (!(m.top() instanceof Map)) throw m.refuse('builds an object that is not a dict');
    },
  ],
]);

/** A persistent id `('storage', torch.FloatStorage, key, location, numel)`. */
function storageRef(pid: PyValue, refuse: (why: string) => Error): StorageRef {
  if (!Array.isArray(pid) || pid[0] !== 'storage' || !(pid[1] instanceof Global) || typeof pid[2] !== 'string' || typeof pid[4] !== 'number') throw refuse('cites a persistent object that is not a storage');
  const dtype = STORAGES[pid[1].name.replace(/^torch\./, '')];
  if (!dtype || !/^[A-Za-z0-9_]+$/.test(pid[2]) || !Number.isSafeInteger(pid[4]) || pid[4] < 0) throw refuse(`cites a storage Netwright does not read (${pid[1].name})`);
  return new StorageRef(dtype, pid[2], pid[4]);
}

/** The only two calls a plain state dict makes. */
function reduce(callable: PyValue, args: PyValue, refuse: (why: string) => Error): PyValue {
  if (!(callable instanceof Global) || !Array.isArray(args)) throw refuse('calls something that is not a known function');
  if (callable.name === 'collections.OrderedDict') {
    if (args.length !== 0) throw refuse('makes an OrderedDict from arguments');
    return new Map();
  }
  if (callable.name === 'torch._utils._rebuild_tensor_v2') {
    const [storage, offset, size, stride] = args;
    const ints = (v: PyValue): v is number[] => Array.isArray(v) && v.every((x) => Number.isSafeInteger(x) && (x as number) >= 0);
    if (!(storage instanceof StorageRef) || !ints([offset as PyValue]) || !ints(size) || !ints(stride) || size.length !== stride.length) throw refuse('rebuilds a tensor from arguments that are not a storage, offset, size and stride');
    return new TensorRef(storage, offset as number, size, stride);
  }
  throw refuse(`calls ${callable.name}`);
}
