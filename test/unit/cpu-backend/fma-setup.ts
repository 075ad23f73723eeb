/**
 * Setup of vitest.config.ts's `cpu-fma` project: the CPU backend's test files again, with the
 * kernels the app's engine runs where the runtime has relaxed SIMD — fused multiply-adds
 * (`enableRelaxedSimd`, called at the engine's and the CLIs' entries). It runs before each file's
 * imports, so the backend's feature detection sees the flag.
 */
import { enableRelaxedSimd } from '../../../src-engine/node/cpu';

if (!enableRelaxedSimd()) throw new Error(`relaxed SIMD does not validate on Node ${process.versions.node}: the cpu-fma project cannot test the fused kernels`);
