/**
 * The WebGPU device the GPU tests run on. Without a GPU (CI), Dawn gets Chromium's SwiftShader, a
 * software Vulkan driver (`.ci/run` installs chromium and libvulkan1); where the environment names
 * a Vulkan driver itself (VK_ICD_FILENAMES / VK_DRIVER_FILES), that one is used. No adapter is a
 * test failure with the reason, never a skip.
 *
 * With `NETWRIGHT_GPU_TEST_WIRE=1` (the `gpu-wire` project of vitest.config.ts) the same tests run
 * on a device **across the GPU wire**: the engine's side holds a remote device (gpu-client.ts),
 * and a wire server (gpu-server.ts) in this process replays its ops on Dawn over a
 * structured-cloning in-memory channel — the path Electron's engine takes to the GPU window.
 */
import { existsSync } from 'node:fs';
import { GpuContext } from '../../../src-engine/core/gpu/context';
import { acquireNodeGpu, dawnGpu, nodeGpuAcquirer, type NodeGpu } from '../../../src-engine/node/gpu/device';
import { remoteGpuAcquirer } from '../../../src-engine/node/gpu/remote';
import { createMemoryChannelPair, type Channel } from '../../../src-engine/protocol/channel';
import { openRemoteGpu } from '../../../src-engine/protocol/gpu-client';
import { serveGpu } from '../../../src-engine/protocol/gpu-server';

/** Chromium's SwiftShader ICD (Debian's chromium package). */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** The tests run over the GPU wire (see above). */
export const OVER_WIRE = process.env.NETWRIGHT_GPU_TEST_WIRE === '1';

let acquired: Promise<NodeGpu> | null = null;

function pointAtSwiftShader(): void {
  if (!process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES && existsSync(SWIFTSHADER_ICD)) {
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  }
}

/** A channel to a wire server on Dawn in this process. */
export async function wireToDawn(): Promise<Channel> {
  const gpu = await dawnGpu();
  const [client, server] = createMemoryChannelPair();
  serveGpu(gpu, server);
  return client;
}

async function acquireOverWire(): Promise<NodeGpu> {
  const remote = await openRemoteGpu(await wireToDawn());
  const ctx = new GpuContext(remote.device, remote.adapter);
  return { ctx, adapter: remote.adapter, limits: remote.device.limits, features: [...remote.device.features] };
}

/** The device for this test file (one per process), fallback adapters allowed. */
export function testGpu(): Promise<NodeGpu> {
  pointAtSwiftShader();
  acquired ??= (OVER_WIRE ? acquireOverWire() : acquireNodeGpu({ allowFallback: true })).catch((e: Error) => {
    const hint = existsSync(SWIFTSHADER_ICD) ? '' : ` (${SWIFTSHADER_ICD} is missing: install chromium, or set VK_ICD_FILENAMES to a Vulkan driver)`;
    throw new Error(`The GPU tests need a WebGPU adapter and got none: ${e.message}${hint}`);
  });
  return acquired;
}

/** The engine's `acquireGpu` for service tests: Dawn in this process, or Dawn across the wire. */
export function testGpuAcquirer(): (allowFallback: boolean) => Promise<GpuContext> {
  pointAtSwiftShader();
  return OVER_WIRE ? remoteGpuAcquirer(wireToDawn) : nodeGpuAcquirer();
}
