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
import { appendFileSync, existsSync } from 'node:fs';
import { expect } from 'vitest';
import { GpuContext } from '../../../src-engine/core/gpu/context';
import { acquireNodeGpu, dawnGpu, nodeGpuAcquirer, type NodeGpu } from '../../../src-engine/node/gpu/device';
import { remoteGpuAcquirer } from '../../../src-engine/node/gpu/remote';
import { createMemoryChannelPair, type Channel } from '../../../src-engine/protocol/channel';
import { openRemoteGpu } from '../../../src-engine/protocol/gpu-client';
import { serveGpu } from '../../../src-engine/protocol/gpu-server';
import type { GpuWireCommand, GpuWireOp, GpuWireReply, GpuWireRequest } from '../../../src-engine/protocol/gpu-wire';
import { directOnlyNames, DIRECT_ONLY_FILES } from './wire-cases';

// Every GPU test checks that a pipeline key always names the same shader: the compiled pipelines
// are shared by every context on a device (GpuContext), and across test files in one process.
GpuContext.verifyPipelineKeys = true;

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
  serveGpu(gpu, TALLY ? tallied(server, 'reply') : server);
  return TALLY ? tallied(client, 'request') : client;
}

/**
 * `NETWRIGHT_GPU_WIRE_TALLY=FILE`: every message across the wire appends a line to FILE: the test
 * that sent it, whether that test runs across the wire without NETWRIGHT_GPU_WIRE_ALL, and the
 * kinds of message it holds (scripts/gpu-wire-coverage.mjs reads them).
 */
const TALLY = process.env.NETWRIGHT_GPU_WIRE_TALLY;

const commandKind = (c: GpuWireCommand): string =>
  c.c === 'pass'
    ? `pass${c.dispatches.some((d) => d.groups.length > 1) ? ':groups>1' : ''}${c.dispatches.some((d) => d.y > 1 || d.z > 1) ? ':2d' : ''}`
    : c.c === 'copy'
      ? `copy:${c.srcOffset || c.dstOffset ? 'at-offset' : 'at-0'}`
      : `clear:${c.offset !== undefined || c.size !== undefined ? 'ranged' : 'whole'}`;

function opKinds(o: GpuWireOp): string[] {
  switch (o.op) {
    case 'createBuffer':
      return [`createBuffer:usage=${o.usage}`];
    case 'createBindGroup':
      return [`createBindGroup:group=${o.group}:${o.entries.some((e) => e.offset || e.size !== undefined) ? 'ranged' : 'whole'}`];
    case 'writeBuffer':
    case 'mapRead':
      return [`${o.op}:${o.offset ? 'at-offset' : 'at-0'}`];
    case 'pushErrorScope':
      return [`pushErrorScope:${o.filter}`];
    case 'submit':
      return [`submit:${o.buffers.length > 1 ? 'several' : 'one'}`, ...o.buffers.flat().map(commandKind)];
    default:
      return [o.op];
  }
}

function messageKinds(m: GpuWireRequest | GpuWireReply): string[] {
  if (m.t === 'ops') return m.ops.flatMap(opKinds);
  if (m.t === 'scope') return [`scope:${m.error ? 'error' : 'none'}`];
  return [m.t];
}

function tallied(ch: Channel, side: 'request' | 'reply'): Channel {
  return {
    ...ch,
    send: (m) => {
      const { currentTestName, testPath } = expect.getState();
      const file = (testPath ?? '').split('/').pop()?.replace(/\.test\.ts$/, '') ?? '';
      const title = currentTestName?.split(' > ').at(-1);
      const wire = !DIRECT_ONLY_FILES.includes(file) && !(title !== undefined && directOnlyNames.has(title));
      appendFileSync(TALLY!, JSON.stringify({ file, test: currentTestName ?? '(outside a test)', wire, kinds: [...new Set(messageKinds(m as GpuWireRequest | GpuWireReply))].map((k) => `${side}:${k}`) }) + '\n');
      ch.send(m);
    },
  };
}

async function acquireOverWire(): Promise<NodeGpu> {
  const remote = await openRemoteGpu(await wireToDawn());
  const ctx = new GpuContext(remote.device, remote.adapter);
  return { ctx, adapter: remote.adapter, limits: remote.device.limits, features: [...remote.device.features] };
}

/**
 * The device for this test file, fallback adapters allowed: one per process, so the files of the
 * `gpu-shared` project (vitest.config.ts) that run one after another in a process share it and its
 * compiled pipelines.
 */
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
