/**
 * Ops with no WebGPU kernel yet, and why: a graph using one trains on the CPU backend (the device
 * choice and `opCoverage` say so). None since the recurrent ops (RNN, LSTM, GRU) got theirs (#31);
 * the GPU suites read this list, so an op added without a kernel names itself here.
 */
export const CPU_ONLY: Record<string, string> = {};
