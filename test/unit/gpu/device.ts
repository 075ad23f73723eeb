/**
 * The WebGPU device the GPU tests run on. Without a GPU (CI), Dawn gets Chromium's SwiftShader, a
 * software Vulkan driver (`.ci/run` installs chromium and libvulkan1); where the environment names
 * a Vulkan driver itself (VK_ICD_FILENAMES / VK_DRIVER_FILES), that one is used. No adapter is a
 * test failure with the reason, never a skip.
 */
import { existsSync } from 'node:fs';
import { acquireNodeGpu, type NodeGpu } from '../../../src-engine/node/gpu/device';

/** Chromium's SwiftShader ICD (Debian's chromium package). */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

let acquired: Promise<NodeGpu> | null = null;

/** The device for this test file (one per process), fallback adapters allowed. */
export function testGpu(): Promise<NodeGpu> {
  if (!process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES && existsSync(SWIFTSHADER_ICD)) {
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  }
  acquired ??= acquireNodeGpu({ allowFallback: true }).catch((e: Error) => {
    const hint = existsSync(SWIFTSHADER_ICD) ? '' : ` (${SWIFTSHADER_ICD} is missing: install chromium, or set VK_ICD_FILENAMES to a Vulkan driver)`;
    throw new Error(`The GPU tests need a WebGPU adapter and got none: ${e.message}${hint}`);
  });
  return acquired;
}
