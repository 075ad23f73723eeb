/**
 * Whether Dawn finds an adapter, asked in a child process so that what Dawn and the Vulkan loader
 * write to the process's stderr while they look (`Warning: vkCreateInstance: Found no drivers!`,
 * a source path of the machine that built dawn.node, Mesa's `XDG_RUNTIME_DIR` complaint) goes to
 * a log file instead of the user's terminal or the web host's log. Native code writes to fd 2
 * directly, so only another process can take it away. Dawn is loaded in this process only when the
 * child found an adapter this process will use.
 */
import { spawn } from 'node:child_process';
import { closeSync, writeFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { GpuAdapterSummary } from '../../core/gpu/context';
import { createPrivateFile, keepAtExit } from '../temp-folder';

/** What the child found: the adapter Dawn would give, or why none; where Dawn's messages went. */
export interface AdapterProbe {
  adapter: GpuAdapterSummary | null;
  /** Why there is no adapter (with Dawn's first warning, e.g. `vkCreateInstance: Found no drivers!`). */
  reason?: string;
  /** The file holding what Dawn wrote to stderr while it looked; undefined when it wrote nothing. */
  log?: string;
}

/** The longest a probe may take (a driver that hangs at enumeration): then no adapter. */
const PROBE_TIMEOUT_MS = 30_000;

// The child: load npm `webgpu` by its resolved path, ask for an adapter as acquireNodeGpu does, print its info as JSON.
const CHILD = `
const [url, options] = JSON.parse(process.argv[1]);
const { create } = await import(url);
const adapter = await create(options).requestAdapter({ powerPreference: 'high-performance' });
const i = adapter?.info;
process.stdout.write(JSON.stringify(i ? { vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description, isFallbackAdapter: i.isFallbackAdapter === true } : null));
process.exit(0);
`;

/**
 * Ask Dawn for an adapter in a child process, its stderr kept in a log file (`gpu-probe-N.log` in
 * this process's private temporary folder, node/temp-folder.ts: a new file, never through a link;
 * removed at exit, or kept there until the next start reaps it when the probe found no adapter;
 * or `NETWRIGHT_GPU_LOG`); `NETWRIGHT_GPU_DEBUG=1` lets it through to this process's stderr instead.
 */
export async function probeAdapter(dawnOptions: readonly string[] = []): Promise<AdapterProbe> {
  let url: string;
  try {
    url = pathToFileURL(createRequire(import.meta.url).resolve('webgpu')).href;
  } catch (e) {
    return { adapter: null, reason: `the WebGPU module (npm "webgpu") is not installed (${(e as Error).message})` };
  }
  const debug = process.env.NETWRIGHT_GPU_DEBUG === '1';
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, JSON.stringify([url, dawnOptions])], { stdio: ['ignore', 'pipe', debug ? 'inherit' : 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (err += b.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), PROBE_TIMEOUT_MS);
  const code = await new Promise<number | null>((resolve) => {
    child.on('error', () => resolve(null));
    child.on('close', (c) => resolve(c));
  });
  clearTimeout(timer);
  const log = err.trim() ? writeLog(err) : undefined;
  // No adapter: the log the reason points to is kept past this process's exit (reaped by the next start).
  const failed = (probe: AdapterProbe): AdapterProbe => {
    if (log && process.env.NETWRIGHT_GPU_LOG === undefined) keepAtExit(basename(log));
    return probe;
  };
  const warning = firstWarning(err);
  const seeLog = log ? `; Dawn's messages: ${log}` : '';
  if (code !== 0) return failed({ adapter: null, reason: `the WebGPU module (npm "webgpu") failed while looking for an adapter (exit ${code ?? 'timeout'}${warning ? `: ${warning}` : ''})${seeLog}`, ...(log ? { log } : {}) });
  let info: (Omit<GpuAdapterSummary, 'isFallback'> & { isFallbackAdapter: boolean }) | null;
  try {
    info = JSON.parse(out) as typeof info;
  } catch {
    return failed({ adapter: null, reason: `the adapter probe answered no JSON${seeLog}`, ...(log ? { log } : {}) });
  }
  if (!info) return failed({ adapter: null, reason: `Dawn found no usable Vulkan, Metal or D3D12 driver${warning ? ` (${warning})` : ''}${seeLog}`, ...(log ? { log } : {}) });
  const { isFallbackAdapter, ...rest } = info;
  return { adapter: { vendor: rest.vendor ?? '', architecture: rest.architecture ?? '', device: rest.device ?? '', description: rest.description ?? '', isFallback: isFallbackAdapter }, ...(log ? { log } : {}) };
}

/** Dawn's first warning in `stderr`, without its `Warning: ` prefix and source location. */
function firstWarning(stderr: string): string | undefined {
  const line = stderr.split('\n').find((l) => /^Warning: /.test(l));
  return line?.replace(/^Warning: /, '').trim();
}

/** Probes this process has logged (the name of the next log). */
let probes = 0;

/** Write Dawn's messages to `NETWRIGHT_GPU_LOG` (the user's own path) or a new file in the private folder; its path, or undefined when it cannot be written. */
function writeLog(text: string): string | undefined {
  try {
    if (process.env.NETWRIGHT_GPU_LOG !== undefined) {
      writeFileSync(process.env.NETWRIGHT_GPU_LOG, text);
      return process.env.NETWRIGHT_GPU_LOG;
    }
    const { path, fd } = createPrivateFile(`gpu-probe-${++probes}.log`);
    try {
      const b = Buffer.from(text);
      for (let done = 0; done < b.length; ) done += writeSync(fd, b, done, b.length - done);
    } finally {
      closeSync(fd);
    }
    return path;
  } catch {
    return undefined;
  }
}
