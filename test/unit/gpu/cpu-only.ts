/**
 * Ops with no WebGPU kernel yet, and why: a graph using one trains on the CPU backend (the device
 * choice and `opCoverage` say so). The GPU suites read this list, so an op added without a kernel
 * names itself here.
 */
export const CPU_ONLY: Record<string, string> = {
  DiceLoss: 'added for segmentation (#48) with its reference kernel only: a graph with it trains on the CPU',
};
