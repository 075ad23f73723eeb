/**
 * Ops with no WebGPU kernel yet, and why: a graph using one trains on the CPU backend (the device
 * choice and `opCoverage` say so). #31's sequence ops.
 */
export const CPU_ONLY: Record<string, string> = {
  RNN: 'issue #31: recurrent kernels are a later step; a graph with an RNN trains on the CPU',
  LSTM: 'issue #31: recurrent kernels are a later step; a graph with an LSTM trains on the CPU',
  GRU: 'issue #31: recurrent kernels are a later step; a graph with a GRU trains on the CPU',
};
