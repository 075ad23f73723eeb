import type { BufferSpec, InitKind, ParamSpec } from '../ops/types';
import type { Rng } from '../../base/rng';
import type { Tensor } from '../../base/tensor';
import type { ErrorCode } from '../../base/errors';

/**
 * Fill `t` in place as `spec.init` says, with PyTorch's formulas (`torch.nn.init`):
 *
 * | kind             | distribution                                   | PyTorch equivalent |
 * |------------------|------------------------------------------------|--------------------|
 * | `zeros`, `ones`  | constant                                       | `zeros_`, `ones_` |
 * | `torch_default`  | U(±1/√fanIn)                                   | `kaiming_uniform_(w, a=√5)` (Linear/Conv weight) |
 * | `torch_bias`     | U(±1/√fanIn), all zeros when fanIn = 0         | Linear/Conv bias default |
 * | `he_uniform`     | U(±√(6/fanIn))                                 | `kaiming_uniform_(w, nonlinearity='relu')` |
 * | `he_normal`      | N(0, 2/fanIn)                                  | `kaiming_normal_(w, nonlinearity='relu')` |
 * | `xavier_uniform` | U(±√(6/(fanIn+fanOut)))                        | `xavier_uniform_(w)` (gain 1) |
 * | `xavier_normal`  | N(0, 2/(fanIn+fanOut))                         | `xavier_normal_(w)` (gain 1) |
 *
 * The values differ from PyTorch's (a different random generator) but the distributions match.
 * Fan sizes come from the spec, not the tensor's shape, so an op decides what its fans are
 * (Conv2d: `inChannels·kH·kW` and `outChannels·kH·kW`, as PyTorch's `_calculate_fan_in_and_fan_out`).
 *
 * @example
 * ```ts
 * initTensor(weight, { name: 'weight', shape: [10, 784], init: 'torch_default', fanIn: 784, fanOut: 10, decay: true }, rng);
 * ```
 * @throws Error with code `INIT_BAD_FAN` when a random init has no positive fan to scale by.
 */
export function initTensor(t: Tensor, spec: ParamSpec | BufferSpec, rng: Rng): void {
  const data = t.data;
  const kind: InitKind = spec.init;
  if (kind === 'zeros') {
    data.fill(0);
    return;
  }
  if (kind === 'ones') {
    data.fill(1);
    return;
  }
  if (data.length === 0) return;
  const { fanIn, fanOut } = spec as ParamSpec;
  switch (kind) {
    case 'torch_bias':
      // PyTorch: bound = 1/√fanIn if fanIn > 0 else 0.
      fillUniform(data, fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0, rng);
      return;
    case 'torch_default':
      // kaiming_uniform(a=√5): gain = √(2/(1+a²)) = √(1/3); bound = √3·gain/√fanIn = 1/√fanIn.
      fillUniform(data, 1 / Math.sqrt(requireFan(spec, fanIn, 'fanIn')), rng);
      return;
    case 'he_uniform':
      fillUniform(data, Math.sqrt(6 / requireFan(spec, fanIn, 'fanIn')), rng);
      return;
    case 'he_normal':
      fillNormal(data, Math.sqrt(2 / requireFan(spec, fanIn, 'fanIn')), rng);
      return;
    case 'xavier_uniform':
      fillUniform(data, Math.sqrt(6 / requireFan(spec, fanIn + fanOut, 'fanIn + fanOut')), rng);
      return;
    case 'xavier_normal':
      fillNormal(data, Math.sqrt(2 / requireFan(spec, fanIn + fanOut, 'fanIn + fanOut')), rng);
      return;
    default: {
      const unknown: never = kind;
      throw codedError('INIT_UNKNOWN_KIND', `Unknown initialisation "${String(unknown)}" for "${spec.name}".`);
    }
  }
}

/** The bound (uniform kinds) or standard deviation (normal kinds) `initTensor` uses; 0 for constants. */
export function initScale(spec: ParamSpec | BufferSpec): number {
  const { fanIn, fanOut } = spec as ParamSpec;
  switch (spec.init) {
    case 'zeros':
    case 'ones':
      return 0;
    case 'torch_default':
    case 'torch_bias':
      return fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    case 'he_uniform':
      return Math.sqrt(6 / fanIn);
    case 'he_normal':
      return Math.sqrt(2 / fanIn);
    case 'xavier_uniform':
      return Math.sqrt(6 / (fanIn + fanOut));
    case 'xavier_normal':
      return Math.sqrt(2 / (fanIn + fanOut));
  }
}

function fillUniform(data: Float32Array, bound: number, rng: Rng): void {
  const width = 2 * bound;
  for (let i = 0; i < data.length; i++) data[i] = rng.uniform() * width - bound;
}

function fillNormal(data: Float32Array, std: number, rng: Rng): void {
  for (let i = 0; i < data.length; i++) data[i] = rng.normal() * std;
}

function requireFan(spec: ParamSpec | BufferSpec, fan: number, what: string): number {
  if (!(fan > 0) || !Number.isFinite(fan)) {
    throw codedError(
      'INIT_BAD_FAN',
      `Cannot initialise "${spec.name}" with ${spec.init}: ${what} is ${fan}, it must be a positive number.`,
    );
  }
  return fan;
}

function codedError(code: ErrorCode, message: string): Error & { code: ErrorCode } {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}
