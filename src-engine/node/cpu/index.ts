export { createCpuBackend, createBestBackend, defaultThreadCount, type CpuBackend, type CpuBackendOptions } from './backend';
export { detectWasmFeatures, enableRelaxedSimd, type WasmFeatures } from './features';
