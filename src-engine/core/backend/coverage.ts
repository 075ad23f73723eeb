/**
 * Op coverage as data (as onnxruntime-web resolves ops through one table): per registered op,
 * which backends have a kernel of their own and how it leaves and enters the app. The one query
 * the tests, the GPU chooser's messages and the palette's tooltip (through the facade) read,
 * instead of each keeping its own list.
 */
import { isMapped } from '../ops/export-mapping';
import { getOp, isOpName, listOps, type OpName } from '../ops/registry';
import { binarySimdOps, simdOps } from '../elementwise/simd';
import { lossCpuOps } from '../elementwise/loss-simd';
import { isGraphInput } from '../../base/ir/inputs';

/**
 * The ops the CPU backend (node/cpu, WebAssembly) brings a hand-written kernel of its own for
 * (GEMM, convolution, pooling, normalisation, attention, recurrent cells, …): declared here, where
 * every tier can read it, and held to its kernel table by the compiler (node/cpu/overrides
 * `satisfies Record<HandCpuKernelOp, …>`: a kernel missing there, or one not listed here, fails
 * `tsc`). The elementwise activations' kernels are generated from their op files (`simdOps`; the binary ones' `binarySimdOps`), and
 * the pointwise losses' likewise (`lossCpuOps`).
 */
export const HAND_CPU_KERNEL_OPS = [
  'Linear',
  'Conv2d',
  'ReLU',
  'MaxPool2d',
  'BatchNorm',
  'LayerNorm',
  'Sigmoid',
  'Dropout',
  'Flatten',
  'Reshape',
  'Softmax',
  'CrossEntropyLoss',
  'TokenCrossEntropyLoss',
  'LSTM',
  'GRU',
  'Add',
  'MultiHeadAttention',
  'ConvTranspose2d',
  'PositionalEmbedding',
  'Embedding',
  'GlobalAvgPool',
] as const satisfies readonly OpName[];

/** An op with a hand-written CPU kernel. */
export type HandCpuKernelOp = (typeof HAND_CPU_KERNEL_OPS)[number];

/**
 * Every op the CPU backend has a kernel of its own for: the hand-written ones, the elementwise
 * ops whose f32x4 kernels are generated from their expressions (the binary ones': Multiply), and the pointwise losses whose
 * kernels are (core/elementwise/loss-simd.ts). An op not listed runs its op
 * file's reference kernels on the CPU.
 */
export const CPU_KERNEL_OPS: readonly OpName[] = [
  ...HAND_CPU_KERNEL_OPS,
  ...simdOps().filter((op) => !(HAND_CPU_KERNEL_OPS as readonly string[]).includes(op)),
  ...binarySimdOps(),
  ...lossCpuOps(),
];

/**
 * The ops the GPU backend's kernel table (core/gpu/kernels/registry.ts) has a kernel of its own
 * for, besides the elementwise ops (activations, Add, Multiply) and the pointwise losses, whose kernels are printed from their op
 * file's `elementwise` or `pointwiseLoss`: declared
 * here, without the kernels, so the UI's tooltip (through the facade) does not carry the WGSL. Held to
 * the table by the compiler (`satisfies Record<GpuKernelOp, …>` there).
 */
export const GPU_KERNEL_OPS = [
  'Input',
  'Flatten',
  'Reshape',
  'Linear',
  'Conv2d',
  'Conv1d',
  'ConvTranspose2d',
  'MaxPool2d',
  'AvgPool2d',
  'GlobalAvgPool',
  'Upsample',
  'BatchNorm',
  'Dropout',
  'LayerNorm',
  'GroupNorm',
  'Transpose',
  'Slice',
  'PReLU',
  'Embedding',
  'PositionalEmbedding',
  'SequencePool',
  'TokenCrossEntropyLoss',
  'MultiHeadAttention',
  'RNN',
  'LSTM',
  'GRU',
  'Softmax',
  'Concat',
  'OneHot',
  'CrossEntropyLoss',
  'Noise',
  'RealFakeBatch',
  'GANLoss',
] as const satisfies readonly OpName[];

/** An op with a GPU kernel of its own in the kernel table (the activations' come from their op files). */
export type GpuKernelOp = (typeof GPU_KERNEL_OPS)[number];

/** Where one op runs and where it can go: the answer of `opCoverage`. */
export interface OpCoverage {
  op: OpName;
  /** The op file's own forward and backward (every op has them: the reference backend). */
  reference: true;
  /** A CPU kernel of its own (else the CPU backend runs the reference kernels: correct, slower). */
  cpu: boolean;
  /** A WebGPU kernel (else a graph using it trains on the CPU). */
  gpu: boolean;
  /** Written to ONNX (else the export refuses a graph whose output needs it, naming the node). */
  onnxExport: boolean;
  /** The ONNX op types read back as this op (empty: none). */
  onnxImport: string[];
  /** Written to model.py (a module or an expression in forward()). */
  pytorch: boolean;
  /**
   * A graph input (`Input`): no computation to give a kernel, and in every format as the model's
   * input (ONNX `graph.input`, an argument of `forward()`), not as a node.
   */
  graphInput: boolean;
  /** What has no fast kernel or no mapping, in words (empty when the op is covered everywhere). */
  gaps: string[];
}

/** The gap `opCoverage` names for an op without a GPU kernel. */
export const NO_GPU_KERNEL = 'no GPU kernel (a graph with it trains on the CPU)';

/**
 * Where each registered op is implemented and how it leaves and enters, in registry order, as
 * declared (the GPU executor asks its kernel table, `gpuKernel`, which a test may hide a kernel of).
 *
 * @example `opCoverage().filter((c) => !c.gpu)` — the ops a graph cannot use on the GPU.
 */
export function opCoverage(): OpCoverage[] {
  return listOps().map((def) => coverageOf(def.name)!);
}

/** `op`'s coverage, or undefined for a name the registry lacks. */
export function coverageOf(op: string): OpCoverage | undefined {
  if (!isOpName(op)) return undefined;
  const def = getOp(op)!;
  // NOTE: an Input computes nothing (the trainer writes each batch into its storage) and every
  // format has it as the model's input, so none of the gaps below is one for it.
  const graphInput = isGraphInput({ op });
  const c = {
    op,
    reference: true as const,
    cpu: graphInput || CPU_KERNEL_OPS.includes(op),
    gpu: graphInput || (GPU_KERNEL_OPS as readonly string[]).includes(op) || def.elementwise !== undefined || def.pointwiseLoss !== undefined,
    onnxExport: graphInput || isMapped(def.onnx),
    onnxImport: Object.keys(def.onnxImport ?? {}),
    pytorch: graphInput || isMapped(def.torch),
    graphInput,
  };
  const gaps = [
    ...(c.cpu ? [] : ['no CPU kernel (runs the reference kernels)']),
    ...(c.gpu ? [] : [NO_GPU_KERNEL]),
    ...(c.onnxExport ? [] : ['no ONNX form']),
    ...(c.onnxImport.length || graphInput ? [] : ['not read from ONNX']),
    ...(c.pytorch ? [] : ['no PyTorch form']),
  ];
  return { ...c, gaps };
}

/** One line on where `op` runs and goes, for a tooltip: what it has, then what it lacks. */
export function coverageLine(c: OpCoverage): string {
  if (c.graphInput) return 'The model\'s input in every format: ONNX graph.input, an argument of forward() in PyTorch; it computes nothing, so it needs no kernel.';
  const has = [
    c.cpu ? 'CPU kernel' : '',
    c.gpu ? 'GPU kernel' : '',
    c.onnxExport ? 'ONNX export' : '',
    c.onnxImport.length ? `ONNX import (${c.onnxImport.join(', ')})` : '',
    c.pytorch ? 'PyTorch' : '',
  ].filter(Boolean);
  return `${has.length ? `Has: ${has.join(' · ')}.` : ''}${c.gaps.length ? `${has.length ? ' ' : ''}Not yet: ${c.gaps.join('; ')}.` : ''}`;
}
