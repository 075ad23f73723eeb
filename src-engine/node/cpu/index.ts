export { createCpuBackend, createBestBackend, defaultThreadCount, type CpuBackend, type CpuBackendOptions } from './backend';
export { detectWasmFeatures, type WasmFeatures } from './features';
