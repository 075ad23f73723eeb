import { TargetSpecError, declareTarget } from './types';

/** The most processes `torchrun:N` starts on one machine. */
export const TORCHRUN_MAX_PROCESSES = 256;

/**
 * N processes on this machine under PyTorch's torchrun, the exported train.py in DistributedDataParallel
 * (gloo on the CPU, nccl on GPUs), the global batch kept.
 */
export const torchrun = declareTarget({
  kind: 'torchrun',
  syntax: 'torchrun:N',
  doc: "N processes on this machine running the exported train.py under PyTorch's torchrun (DDP: gloo on CPU, nccl on GPUs).",
  parse(rest): { processes: number } {
    const n = rest === undefined ? 1 : /^[1-9]\d{0,3}$/.test(rest) ? Number(rest) : NaN;
    if (!(n >= 1 && n <= TORCHRUN_MAX_PROCESSES)) throw new TargetSpecError(`torchrun:N takes a whole number of processes from 1 to ${TORCHRUN_MAX_PROCESSES} (got "torchrun:${rest}")`);
    return { processes: n };
  },
  format: (o) => `torchrun:${o.processes}`,
});
