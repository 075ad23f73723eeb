import { isMapped } from '../core/ops/export-mapping';
import { listOps, type OpName } from '../core/ops/registry';
import { GPU_KERNELS } from '../core/gpu/kernels/registry';
import { CPU_KERNEL_OPS } from './cpu/overrides';

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
  /** What has no fast kernel or no mapping, in words (empty when the op is covered everywhere). */
  gaps: string[];
}

/**
 * Where each registered op is implemented and how it leaves and enters: one query the tests, the
 * GPU chooser's message and the docs read, instead of each keeping its own list.
 *
 * @example `opCoverage().filter((c) => !c.gpu)` — the ops a graph cannot use on the GPU.
 */
export function opCoverage(): OpCoverage[] {
  const cpu = new Set<string>(CPU_KERNEL_OPS);
  return listOps().map((def) => {
    const op = def.name as OpName;
    const c = {
      op,
      reference: true as const,
      cpu: cpu.has(op),
      gpu: GPU_KERNELS[op] !== undefined,
      onnxExport: isMapped(def.onnx),
      onnxImport: Object.keys(def.onnxImport ?? {}),
      pytorch: isMapped(def.torch),
    };
    const gaps = [
      ...(c.cpu ? [] : ['no CPU kernel (runs the reference kernels)']),
      ...(c.gpu ? [] : ['no GPU kernel']),
      ...(c.onnxExport ? [] : ['no ONNX form']),
      ...(c.onnxImport.length ? [] : ['not read from ONNX']),
      ...(c.pytorch ? [] : ['no PyTorch form']),
    ];
    return { ...c, gaps };
  });
}
