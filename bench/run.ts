/**
 * `npm run bench`: training throughput and GEMM speed of the CPU (WebAssembly SIMD) backend
 * against PyTorch on the same machine (when `/usr/bin/python3 -c "import torch"` works), with 1
 * thread and all threads. Prints a table and writes `bench/results/<date>-<host>.json`.
 *
 * NOTE: the machine may be shared, and a single run's figure moves by 2–3× with other people's
 * load. So ours and PyTorch are interleaved: in each of BENCH_ROUNDS rounds, every workload is
 * measured by both sides back to back (which side goes first alternates by round), with the same
 * thread count (our worker count; PyTorch's `set_num_threads` plus OMP/MKL/OPENBLAS_NUM_THREADS in
 * its process). The figure is the median over rounds of the per-round ratio ours / PyTorch, with
 * its min–max spread and a bootstrap 95 % interval (bench/ratio.ts). The CPU model, core count
 * and load average before and after go into the output.
 *
 * NOTE (PyTorch's threading): on more than one thread, PyTorch is measured in each configuration of
 * TORCH_CONFIGS and compared in the one that trains (or multiplies) fastest, workload by workload.
 * Debian's PyTorch runs its element-wise ops on OpenMP threads and its GEMMs on OpenBLAS's own
 * pthreads; after a parallel region each pool spins waiting for work (libgomp for a while,
 * OpenBLAS up to 2²⁸ cycles), so on a 2-core machine each pool takes the cores from the other.
 * Measured alone on a 2-vCPU Zen 4: MNIST MLP 13–17k samples/s on 2 threads against 46k on one;
 * with OMP_WAIT_POLICY=PASSIVE 34–45k; MNIST CNN 1.2–1.5k, and 2.4–2.8k with OMP_WAIT_POLICY=PASSIVE
 * and OPENBLAS_THREAD_TIMEOUT=4 (OpenMathLib/OpenBLAS#3187). A ratio against the default
 * configuration would measure that contention, not our kernels.
 *
 * Options (env): BENCH_ROUNDS (default 5), BENCH_SECONDS (per measurement window, default 2; GEMMs
 * take half), BENCH_THREADS (comma list, default 1 and all), BENCH_MODELS (comma list, default
 * mnist-mlp,mnist-cnn,mnist-denoise-ae,mnist-lstm,tiny-gpt and the real sizes resnet18,
 * resnet18-frozen, mobilenet_v3_small, mobilenet_v3_small-frozen; tiny-gpt trains on its own
 * fortunes text), BENCH_SKIP_TORCH=1, BENCH_SKIP_GPU=1,
 * BENCH_FMA=0 (our kernels without relaxed-SIMD fused multiply-adds, which the app's engine turns on
 * where the runtime has them: `enableRelaxedSimd`).
 *
 * Against the machine's limit: in each round and at each thread count, the 128-bit multiply-add
 * peak is measured in the same WebAssembly build (bench/kernel-share.ts), and each GEMM's GFLOP/s
 * is printed as a share of it; each model's step is profiled once after its timed window for the
 * share of its time in the GEMM kernels and the GFLOP/s they reach there, against the same peak.
 *
 * Real sizes (#59; bench/workloads.ts): torchvision's resnet18 and mobilenet_v3_small at 224×224,
 * batch 16, from torch.onnx exports (random weights, made once into a cache) imported as the app
 * imports them, with a new 3-class head: full training, and `-frozen` (the backbone frozen, the
 * head alone trained); PyTorch trains torchvision's own module the same way. A step takes seconds,
 * so these warm up for 1 step (not 10) and time at least 2 (not 5), and their kernel profile runs
 * 1 step. Each side's CPU time per sample (its process's, all threads) is recorded beside the wall
 * clock's figure: on a loaded machine its ratio moves less.
 *
 * The `gpu` lines (bench/gpu.ts) are the WebGPU backend on the adapter Dawn finds, measured once after the rounds;
 * on a fallback adapter (SwiftShader) its figures are a CPU emulation's, labelled as such.
 */
import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, hostname, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Backend } from '../src-engine/core/backend/types';
import { createCpuBackend, defaultThreadCount, enableRelaxedSimd, type CpuBackend } from '../src-engine/node/cpu';
import { formatKernelTable } from '../src-engine/core/gpu/passes';
import { benchGpu, type GpuResults } from './gpu';
import { loadDataset } from '../src-engine/node/datasets';
import { createOptimizer } from '../src-engine/core/optim';
import { formatInterval, formatRatio, median, summarizeRatios, type RatioSummary } from './ratio';
import { BATCH, BENCH_SAMPLES, compileWorkload, REAL_WORKLOADS, resolveWorkload, type Workload } from './workloads';
import { peakGflops, stepKernelShare, type StepKernelShare } from './kernel-share';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The kernels the app's engine runs: fused multiply-adds where the runtime has them (BENCH_FMA=0: without). */
const FMA = process.env.BENCH_FMA !== '0' && enableRelaxedSimd();
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const ROUNDS = Math.max(1, Math.floor(Number(process.env.BENCH_ROUNDS ?? 5)));
const GEMM_SIZES: [number, number, number][] = [
  [64, 784, 128],
  [256, 256, 256],
  [1024, 1024, 1024],
];
const MODELS = (process.env.BENCH_MODELS ?? ['mnist-mlp', 'mnist-cnn', 'mnist-denoise-ae', 'mnist-lstm', 'tiny-gpt', ...REAL_WORKLOADS].join(',')).split(',').filter(Boolean);

const ALL = defaultThreadCount();
const THREADS = process.env.BENCH_THREADS ? [...new Set(process.env.BENCH_THREADS.split(',').map(Number).filter((t) => t >= 1))] : [...new Set([1, ALL])];

/**
 * PyTorch's thread-pool settings tried on more than one thread (see the NOTE above): the
 * environment its process starts with, besides OMP/MKL/OPENBLAS_NUM_THREADS.
 */
const TORCH_CONFIGS: { name: string; env: Record<string, string> }[] = [
  { name: 'default', env: {} },
  // OpenMP threads sleep as soon as a parallel region ends.
  { name: 'passive', env: { OMP_WAIT_POLICY: 'PASSIVE' } },
  // …and OpenBLAS's threads spin 2⁴ cycles, not 2²⁸, before they sleep.
  { name: 'passive+blas', env: { OMP_WAIT_POLICY: 'PASSIVE', OPENBLAS_THREAD_TIMEOUT: '4' } },
];
const torchConfigsFor = (threads: number): typeof TORCH_CONFIGS => (threads > 1 ? TORCH_CONFIGS : TORCH_CONFIGS.slice(0, 1));
/** Pause after each PyTorch measurement (ms): longer than its thread pools spin once idle. */
const TORCH_SETTLE_MS = 300;

/** One workload at one thread count: each side's figure per round, and the ratio summary. */
interface Paired {
  ours: number[];
  /** PyTorch in the configuration with the highest median (`torchConfig`), round by round. */
  torch: number[];
  /** Every configuration's figures, round by round (on one thread: `default` only). */
  torchConfigs?: Record<string, number[]>;
  torchConfig?: string;
  ratio?: RatioSummary;
  /** CPU seconds per sample (the process's, all threads), round by round: ours, and PyTorch's in each configuration (trained models only). */
  oursCpu?: number[];
  torchCpu?: Record<string, number[]>;
}

interface Machine {
  cpu: string;
  /** Logical processors the OS reports. */
  cores: number;
  /** The SIMD flags that decide each side's peak (PyTorch's MKL uses AVX-512 where present). */
  flags: string[];
}

interface Results {
  date: string;
  /** `git describe --always --dirty` of the tree measured, when git is available. */
  commit: string;
  host: string;
  node: string;
  machine: Machine;
  /** 1-, 5- and 15-minute load averages just before the first and after the last measurement. */
  load: { before: number[]; after: number[] };
  rounds: number;
  seconds: number;
  backend: Record<string, string>;
  /** Keyed by workload, then thread count. */
  gemm: Record<string, Record<string, Paired>>;
  train: Record<string, Record<string, Paired> | { skipped: string }>;
  /** Keyed by thread count, then configuration (TORCH_CONFIGS). */
  torch: { version: string; threads: Record<string, Record<string, TorchInfo>> } | { error: string } | { skipped: string };
  /**
   * The 128-bit multiply-add peak (bench/kernel-share.ts), GFLOP/s per thread count and round,
   * measured in each round before the GEMMs; `fma`: with fused multiply-adds, else a mul and an add.
   */
  peak: { fma: boolean; gflops: Record<string, number[]> };
  /** Per model and thread count, round by round: its step's time in the GEMM and conv kernels (a profiled pass after the timed window). */
  kernels: Record<string, Record<string, StepKernelShare[]>>;
  gpu?: GpuResults;
}

function readMachine(): Machine {
  let text = '';
  try {
    text = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    // not Linux: os.cpus() below
  }
  const model = /^model name\s*:\s*(.+)$/m.exec(text)?.[1].trim() ?? cpus()[0]?.model ?? 'unknown';
  const processors = text.match(/^processor\s*:/gm)?.length ?? cpus().length;
  const flags = new Set((/^flags\s*:\s*(.+)$/m.exec(text)?.[1] ?? '').split(/\s+/));
  return { cpu: model, cores: processors, flags: ['sse4_2', 'avx', 'avx2', 'fma', 'avx512f', 'avx512_vnni', 'avx512_bf16'].filter((f) => flags.has(f)) };
}

/** GFLOP/s of one GEMM over one window of BENCH_SECONDS / 2 (after 3 warm-up products). */
function gemmGflops(be: Backend, m: number, k: number, n: number): number {
  const a = be.alloc(m * k).fill(0.5);
  const b = be.alloc(k * n).fill(0.25);
  const c = be.alloc(m * n);
  const run = (): void => be.gemm({ transA: false, transB: false, m, n, k, a, b, c, accumulate: false });
  for (let i = 0; i < 3; i++) run();
  let reps = 0;
  const t0 = performance.now();
  let elapsed = 0;
  do {
    run();
    reps++;
    elapsed = (performance.now() - t0) / 1000;
  } while (elapsed < SECONDS / 2);
  return (2 * m * n * k * reps) / elapsed / 1e9;
}

/**
 * A full training step (copy the next batch in, forward, backward, Adam step) on a graph compiled
 * once as the trainer runs it (frozen parameters left out of the optimizer, as training does).
 */
function trainStepper(be: Backend, w: Workload): () => void {
  const { g, params } = compileWorkload(w, be);
  const opt = createOptimizer({ kind: 'adam', lr: w.lr }, params, be);
  const x = g.input(w.featureInput).data;
  const y = g.input(w.targetInput).data;
  const fs = x.length;
  const ts = y.length;
  const nb = w.samples / w.batch;
  let i = 0;
  const step = (): void => {
    const b = i++ % nb;
    x.set(w.features.subarray(b * fs, (b + 1) * fs));
    y.set(w.targets.subarray(b * ts, (b + 1) * ts));
    g.forward(true);
    g.backward();
    opt.step();
  };
  return step;
}

/** Warm-up and least timed steps: a real-size step takes seconds, a small model's a few ms. */
const stepsFor = (w: Workload): { warmupSteps: number; minSteps: number } => (w.torchvision ? { warmupSteps: 1, minSteps: 2 } : { warmupSteps: 10, minSteps: 5 });

/** CPU milliseconds of this process so far, all its threads (the workers are threads). */
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/**
 * Samples/s of `step` over one window of BENCH_SECONDS (after the workload's warm-up steps), and
 * CPU seconds per sample over the same steps.
 */
function trainSamplesPerSec(step: () => void, w: Workload): { rate: number; cpu: number } {
  const { warmupSteps, minSteps } = stepsFor(w);
  for (let k = 0; k < warmupSteps; k++) step();
  let steps = 0;
  let elapsed = 0;
  const c0 = cpuMs();
  const t0 = performance.now();
  do {
    step();
    steps++;
    elapsed = (performance.now() - t0) / 1000;
  } while (elapsed < SECONDS || steps < minSteps);
  return { rate: (steps * w.batch) / elapsed, cpu: (cpuMs() - c0) / 1000 / (steps * w.batch) };
}

function gitDescribe(): string {
  const r = spawnSync('git', ['describe', '--always', '--dirty', '--exclude', '*'], { cwd: ROOT, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : 'unknown';
}

function torchUnavailable(): string | undefined {
  if (process.env.BENCH_SKIP_TORCH) return 'PyTorch skipped (BENCH_SKIP_TORCH)';
  const r = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' });
  return r.status === 0 ? undefined : 'PyTorch not available (/usr/bin/python3 -c "import torch" failed): ours only, no ratios';
}

/** What torch_bench.py reports about its threads. */
interface TorchInfo {
  torch: string;
  numThreads: number;
  interopThreads: number;
  env: Record<string, string | null>;
}

/**
 * bench/torch_bench.py as a server: one process per thread count and configuration, its threads
 * pinned through the environment before PyTorch loads, answering one measurement per request line.
 */
class TorchServer {
  private readonly pending: ((line: string) => void)[] = [];
  private exited: string | undefined;

  private constructor(private readonly proc: ChildProcessByStdio<Writable, Readable, null>) {
    createInterface({ input: proc.stdout }).on('line', (line) => this.pending.shift()?.(line));
    proc.on('exit', (code) => {
      this.exited = `torch_bench.py exited (${code})`;
      for (const resolve of this.pending.splice(0)) resolve(JSON.stringify({ error: this.exited }));
    });
  }

  static async start(threads: number, data: object, config: Record<string, string>): Promise<{ server: TorchServer; info: TorchInfo }> {
    const n = String(threads);
    const env: NodeJS.ProcessEnv = { ...process.env, OMP_NUM_THREADS: n, MKL_NUM_THREADS: n, OPENBLAS_NUM_THREADS: n };
    // Each configuration sets its own thread-pool variables, whatever the caller's shell has.
    for (const c of TORCH_CONFIGS) for (const k of Object.keys(c.env)) delete env[k];
    const proc = spawn('/usr/bin/python3', [join(ROOT, 'bench/torch_bench.py')], { env: { ...env, ...config }, stdio: ['pipe', 'pipe', 'inherit'] });
    const server = new TorchServer(proc);
    const info = (await server.ask({ threads, data })) as unknown as TorchInfo;
    return { server, info };
  }

  async ask(request: object): Promise<Record<string, unknown>> {
    if (this.exited) throw new Error(this.exited);
    const line = new Promise<string>((resolve) => this.pending.push(resolve));
    this.proc.stdin.write(JSON.stringify(request) + '\n');
    const answer = JSON.parse(await line) as Record<string, unknown>;
    if (typeof answer.error === 'string') throw new Error(answer.error);
    return answer;
  }

  async value(request: object): Promise<number> {
    return (await this.ask(request)).value as number;
  }

  close(): void {
    this.proc.stdin.end();
  }
}

function fmt(v: number | undefined, digits = 1): string {
  if (v === undefined || !Number.isFinite(v)) return '—';
  return v >= 1000 ? Math.round(v).toLocaleString('en-US') : v.toFixed(digits);
}

const medianOf = (xs: number[]): number | undefined => (xs.length ? median(xs) : undefined);
const load = (): number[] => loadavg().map((v) => Math.round(v * 100) / 100);

async function main(): Promise<void> {
  const startedAt = Date.now();
  const machine = readMachine();
  const results: Results = {
    date: new Date().toISOString(),
    commit: gitDescribe(),
    host: hostname(),
    node: process.version,
    machine,
    load: { before: load(), after: [] },
    rounds: ROUNDS,
    seconds: SECONDS,
    backend: {},
    gemm: {},
    train: {},
    torch: { skipped: '' },
    peak: { fma: FMA, gflops: {} },
    kernels: {},
  };
  const workloads: Workload[] = [];
  for (const name of MODELS) {
    const w = resolveWorkload(name);
    if (typeof w === 'string') {
      console.warn(`bench: skipping ${name}: ${w}`);
      results.train[name] = { skipped: w };
    } else workloads.push(w);
  }

  /** Per thread count, one server per configuration (torchConfigsFor). */
  const servers = new Map<number, { name: string; server: TorchServer }[]>();
  const dir = join(tmpdir(), `netwright-bench-${process.pid}`);
  const skipTorch = torchUnavailable();
  if (skipTorch) {
    console.log(`bench: ${skipTorch}.`);
    results.torch = { skipped: skipTorch };
  } else {
    mkdirSync(dir, { recursive: true });
    const ds = loadDataset({ name: 'mnist' }).train;
    const size = ds.features.length / ds.count;
    const data = { features: join(dir, 'features.f32'), labels: join(dir, 'labels.f32'), n: BENCH_SAMPLES };
    writeFileSync(data.features, Buffer.from(ds.features.slice(0, BENCH_SAMPLES * size).buffer));
    writeFileSync(data.labels, Buffer.from(ds.targets.slice(0, BENCH_SAMPLES).buffer));
    // A workload on its own set (not MNIST) hands PyTorch its own samples, the ones ours trains on.
    for (const w of workloads) {
      if (!w.ownData) continue;
      w.data = { features: join(dir, `${w.name}.features.f32`), targets: join(dir, `${w.name}.targets.f32`) };
      writeFileSync(w.data.features, Buffer.from(w.features.buffer, w.features.byteOffset, w.features.byteLength));
      writeFileSync(w.data.targets, Buffer.from(w.targets.buffer, w.targets.byteOffset, w.targets.byteLength));
    }
    try {
      const torch = { version: '', threads: {} as Record<string, Record<string, TorchInfo>> };
      for (const t of THREADS) {
        const list: { name: string; server: TorchServer }[] = [];
        servers.set(t, list);
        for (const config of torchConfigsFor(t)) {
          const { server, info } = await TorchServer.start(t, data, config.env);
          list.push({ name: config.name, server });
          torch.version = info.torch;
          (torch.threads[String(t)] ??= {})[config.name] = info;
        }
      }
      results.torch = torch;
    } catch (e) {
      results.torch = { error: (e as Error).message.split('\n')[0] };
      console.log(`bench: PyTorch failed to start (${results.torch.error}): ours only.`);
      for (const list of servers.values()) for (const s of list) s.server.close();
      servers.clear();
    }
  }

  const cell = (table: Record<string, Record<string, Paired>>, key: string, t: number): Paired => ((table[key] ??= {})[String(t)] ??= { ours: [], torch: [] });
  /** Both sides on one workload, back to back; PyTorch (each configuration in turn) first in odd rounds. */
  const pair = async (p: Paired, round: number, ours: () => number | { rate: number; cpu: number }, torch: { name: string; server: TorchServer }[] | undefined, request: object): Promise<void> => {
    const theirs = async (): Promise<void> => {
      for (const { name, server } of torch ?? []) {
        const figures = ((p.torchConfigs ??= {})[name] ??= []);
        try {
          const answer = await server.ask({ ...request, seconds: 'gemm' in request ? SECONDS / 2 : SECONDS });
          figures.push(answer.value as number);
          if (typeof answer.cpu === 'number') ((p.torchCpu ??= {})[name] ??= []).push(answer.cpu);
        } catch (e) {
          console.warn(`bench: PyTorch (${name}) measurement failed: ${(e as Error).message}`);
          figures.push(NaN);
        }
        // Its idle thread pools may still spin (OpenBLAS for up to 2²⁸ cycles, ~0.1 s): let them
        // sleep before the next measurement, ours or another configuration's, starts its window.
        await new Promise((resolve) => setTimeout(resolve, TORCH_SETTLE_MS));
      }
    };
    if (round % 2) await theirs();
    const figure = ours();
    if (typeof figure === 'number') p.ours.push(figure);
    else {
      p.ours.push(figure.rate);
      (p.oursCpu ??= []).push(figure.cpu);
    }
    if (!(round % 2)) await theirs();
  };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      console.log(`bench: round ${round + 1}/${ROUNDS} (load ${load().join(' ')})`);
      for (const t of THREADS) {
        const be: CpuBackend = await createCpuBackend({ threads: t, relaxedSimd: FMA });
        results.backend[String(t)] = be.description;
        const torch = servers.get(t);
        try {
          // The peak before and after the round's work at this thread count, the higher kept: a
          // bound each figure of the round is stated against, on the cores other jobs left.
          const peakBefore = peakGflops(be, SECONDS / 4);
          for (const [m, k, n] of GEMM_SIZES) await pair(cell(results.gemm, `${m}x${k}x${n}`, t), round, () => gemmGflops(be, m, k, n), torch, { gemm: [m, k, n] });
          for (const w of workloads) {
            const { graph, lr, featureShape, targetShape, targetIsFeatures, noisyInput } = w;
            // A real-size workload: PyTorch builds torchvision's module, not the graph.
            const model = { name: w.name, batch: w.batch, ...(w.torchvision ? { torchvision: w.torchvision } : { graph }), lr, featureShape, targetShape, targetIsFeatures, noisyInput, ...stepsFor(w), ...(w.data ? { data: w.data } : {}) };
            // A real-size workload trains on a backend of its own, given back after: one step holds
            // ~1 GiB of activations, and the next one's graph would not fit beside it in the heap.
            const own = w.torchvision ? await createCpuBackend({ threads: t, relaxedSimd: FMA }) : be;
            try {
              const step = trainStepper(own, w);
              await pair(cell(results.train as Record<string, Record<string, Paired>>, w.name, t), round, () => trainSamplesPerSec(step, w), torch, { train: model });
              // Where the step's time goes, after the timed window (the profile adds a clock read per kernel call).
              ((results.kernels[w.name] ??= {})[String(t)] ??= []).push(w.torchvision ? stepKernelShare(own, step, 1, 0, 1) : stepKernelShare(own, step, 20, SECONDS / 4));
            } finally {
              if (own !== be) own.dispose();
            }
          }
          (results.peak.gflops[String(t)] ??= []).push(Math.max(peakBefore, peakGflops(be, SECONDS / 4)));
        } finally {
          be.dispose();
        }
      }
    }
  } finally {
    for (const list of servers.values()) for (const s of list) s.server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  results.load.after = load();
  for (const table of [results.gemm, results.train]) {
    for (const row of Object.values(table)) {
      if ('skipped' in row) continue;
      for (const p of Object.values(row as Record<string, Paired>)) {
        // PyTorch in its fastest configuration for this workload and thread count (by median).
        const configs = Object.entries(p.torchConfigs ?? {});
        const score = (xs: number[]): number => medianOf(xs.filter(Number.isFinite)) ?? -Infinity;
        const fastest = configs.reduce<[string, number[]] | undefined>((a, c) => (a && score(a[1]) >= score(c[1]) ? a : c), undefined);
        if (fastest) [p.torchConfig, p.torch] = [fastest[0], fastest[1]];
        p.ratio = summarizeRatios(p.ours, p.torch);
      }
    }
  }
  // Each side at its own best thread count, round by round: the stricter comparison where PyTorch
  // trains these small models slower on 2 threads than on 1 (its OpenMP threads wait on a core).
  for (const row of Object.values(results.train)) {
    if ('skipped' in row || THREADS.length < 2) continue;
    const byThreads = THREADS.map((t) => (row as Record<string, Paired>)[String(t)]).filter((p): p is Paired => p !== undefined);
    const bestOf = (side: 'ours' | 'torch'): number[] => byThreads[0][side].map((_, i) => Math.max(...byThreads.map((p) => p[side][i] ?? NaN).filter(Number.isFinite)));
    const best: Paired = { ours: bestOf('ours'), torch: bestOf('torch') };
    best.ratio = summarizeRatios(best.ours, best.torch);
    (row as Record<string, Paired>).best = best;
  }

  if (!process.env.BENCH_SKIP_GPU) results.gpu = await benchGpu(GEMM_SIZES, workloads.filter((w) => !w.torchvision), { batch: BATCH, samples: BENCH_SAMPLES, seconds: SECONDS, profile: process.env.BENCH_GPU_PROFILE === '1' });
  const gpu = results.gpu && 'adapter' in results.gpu ? results.gpu : undefined;

  // — table —
  const torch = 'version' in results.torch ? results.torch : undefined;
  const header = ['workload', 'unit', 'threads', 'ours', 'GEMM % of step', '% of peak', ...(torch ? ['torch', 'ours/torch median [min–max]', '95 % CI'] : []), ...(gpu ? ['ours gpu'] : [])];
  const rows: string[][] = [];
  /** `share(t)`: the GEMM's share of the step and of the peak at t threads (medians over rounds). */
  const addRows = (label: string, unit: string, row: Record<string, Paired>, share: (t: number) => [string, string], gpuFigure: string): void => {
    for (const t of THREADS) {
      const p = row[String(t)];
      if (!p) continue;
      rows.push([label, unit, `${t}T`, fmt(medianOf(p.ours)), ...share(t), ...(torch ? [fmt(medianOf(p.torch.filter(Number.isFinite))), formatRatio(p.ratio), formatInterval(p.ratio)] : []), ...(gpu ? [t === THREADS[0] ? gpuFigure : ''] : [])]);
    }
    const best = row.best;
    if (best && torch) rows.push([label, unit, 'best', fmt(medianOf(best.ours)), '', '', fmt(medianOf(best.torch.filter(Number.isFinite))), formatRatio(best.ratio), formatInterval(best.ratio), ...(gpu ? [''] : [])]);
  };
  const peakOf = (t: number): number[] => results.peak.gflops[String(t)] ?? [];
  /** Median over rounds of figure / that round's peak, as a percentage. */
  const ofPeak = (figures: number[], t: number): string => {
    const s = summarizeRatios(figures, peakOf(t));
    return s ? `${(100 * s.median).toFixed(0)} %` : '—';
  };
  const pct = (xs: number[]): string => (xs.length ? `${(100 * median(xs)).toFixed(0)} %` : '—');
  for (const [key, r] of Object.entries(results.train)) {
    if ('skipped' in r) continue;
    const g = gpu?.train[key];
    const shares = (t: number): [string, string] => {
      const k = results.kernels[key]?.[String(t)] ?? [];
      return [pct(k.map((x) => x.gemmMs / x.stepMs)), ofPeak(k.map((x) => x.gemmGflops), t)];
    };
    const w = workloads.find((x) => x.name === key);
    addRows(`train ${key} (b${w?.batch ?? BATCH}, Adam)`, 'samples/s', r as Record<string, Paired>, shares, typeof g === 'number' ? fmt(g) : w?.torchvision ? 'n/a' : '—');
  }
  for (const [key, r] of Object.entries(results.gemm)) addRows(`GEMM ${key}`, 'GFLOP/s', r, (t) => ['', ofPeak(r[String(t)]?.ours ?? [], t)], gpu ? fmt(gpu.gemm[key], gpu.gemm[key] < 1 ? 3 : 1) : '');
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(`\nNetwright CPU backend: ${Object.values(results.backend).join(', ')} · Node ${results.node}${torch ? ` · PyTorch ${torch.version}` : ''}`);
  console.log(`Machine: ${machine.cpu} · ${machine.cores} logical cores · ${machine.flags.join(' ')} · load average (1/5/15 min) ${results.load.before.join(' ')} before, ${results.load.after.join(' ')} after`);
  console.log(`${ROUNDS} interleaved rounds of ${SECONDS} s windows (GEMM ${SECONDS / 2} s); figures are medians over rounds, the ratio is the median of per-round ratios; 'best': each side's faster thread count in each round`);
  if (torch) {
    const threadsLine = Object.entries(torch.threads).map(([t, configs]) => {
      const i = configs.default ?? Object.values(configs)[0];
      return `${t}T → set_num_threads ${i.numThreads}, OMP/MKL/OPENBLAS ${i.env.OMP_NUM_THREADS}/${i.env.MKL_NUM_THREADS}/${i.env.OPENBLAS_NUM_THREADS}`;
    });
    console.log(`PyTorch threads: ${threadsLine.join('; ')}; on more than one thread, compared in its fastest configuration of ${TORCH_CONFIGS.map((c) => `${c.name}${Object.keys(c.env).length ? ` (${Object.entries(c.env).map(([k, v]) => `${k}=${v}`).join(' ')})` : ''}`).join(', ')}`);
  }
  const peakLine = THREADS.map((t) => `${t}T ${fmt(medianOf(peakOf(t)))} GFLOP/s [${fmt(Math.min(...peakOf(t)))}–${fmt(Math.max(...peakOf(t)))}]`).join(', ');
  console.log(`128-bit peak, measured (gemm.wat fmaPeak: 12 f32x4 ${FMA ? 'fused multiply-add (relaxed_madd)' : 'mul+add'} chains, same build and threads; median [min–max] over rounds): ${peakLine}`);
  console.log(`'GEMM % of step': time in the shared GEMM kernels (gemm, gemmMany, gemmBatched) per step, from a profiled pass after each timed window; '% of peak': a GEMM's GFLOP/s, or a model's GEMM GFLOP/s in its step, over the same round's peak`);
  console.log(line(header));
  console.log(widths.map((w) => '─'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
  // Each model at a glance: its ratio at each thread count, and what a second thread gives each side.
  for (const [key, r] of Object.entries(results.train)) {
    if ('skipped' in r) continue;
    const row = r as Record<string, Paired>;
    const ratios = torch ? THREADS.map((t) => `${t}T ${row[String(t)]?.ratio ? `${row[String(t)].ratio!.median.toFixed(2)}×` : '—'}`).join(', ') : '';
    const scaling = (side: 'ours' | 'torch'): string => {
      const lo = row[String(THREADS[0])];
      const hi = row[String(THREADS[THREADS.length - 1])];
      const s = lo && hi && THREADS.length > 1 ? summarizeRatios(hi[side], lo[side]) : undefined;
      return s ? `${s.median.toFixed(2)}×` : '—';
    };
    const conv = THREADS.map((t) => pct((results.kernels[key]?.[String(t)] ?? []).map((x) => x.convMs / x.stepMs))).join(' / ');
    const convNote = (results.kernels[key]?.[String(THREADS[0])] ?? []).some((x) => x.convMs > 0) ? `; conv kernels ${conv} of the step` : '';
    // CPU time per sample, each side (PyTorch in the configuration compared), and its ratio: on a loaded machine, steadier than the wall clock's.
    const cpuRatios = THREADS.map((t) => {
      const p = row[String(t)];
      const theirs = p?.torchConfig ? p.torchCpu?.[p.torchConfig] : undefined;
      const s = p?.oursCpu && theirs ? summarizeRatios(theirs, p.oursCpu) : undefined;
      return s ? `${t}T ${(1000 * median(p.oursCpu!)).toFixed(1)} / ${(1000 * median(theirs!)).toFixed(1)} ms → ${s.median.toFixed(2)}×` : undefined;
    }).filter(Boolean);
    const cpuNote = torch && cpuRatios.length ? `; CPU ms per sample ours / torch, and torch/ours (a rate's ratio) ${cpuRatios.join(', ')}` : '';
    console.log(`${key}: ${torch ? `ours/torch ${ratios}; ` : ''}${THREADS.length > 1 ? `${THREADS[THREADS.length - 1]}T/${THREADS[0]}T scaling ours ${scaling('ours')}${torch ? `, torch ${scaling('torch')}` : ''}` : ''}${convNote}${cpuNote}`);
  }
  if (torch && THREADS.some((t) => t > 1)) {
    console.log(`PyTorch by configuration (median; * = the one compared):`);
    const tables: [string, Record<string, Record<string, Paired> | { skipped: string }>][] = [
      ['train', results.train],
      ['GEMM', results.gemm],
    ];
    for (const [kind, table] of tables) {
      for (const [key, row] of Object.entries(table)) {
        if ('skipped' in row) continue;
        for (const t of THREADS.filter((n) => n > 1)) {
          const p = (row as Record<string, Paired>)[String(t)];
          if (!p?.torchConfigs) continue;
          const figures = Object.entries(p.torchConfigs).map(([name, xs]) => `${name} ${fmt(medianOf(xs.filter(Number.isFinite)))}${name === p.torchConfig ? '*' : ''}`);
          console.log(`  ${kind} ${key} ${t}T: ${figures.join(' · ')}`);
        }
      }
    }
  }
  if ('error' in results.torch) console.log(`PyTorch run failed: ${results.torch.error}`);
  if (gpu) {
    console.log(`ours gpu: WebGPU on ${gpu.adapter}${gpu.adapter.endsWith('fallback') ? ' — a software adapter (CPU emulation): not a GPU figure' : ''}`);
    console.log(`  fp32 FMA peak, measured: ${fmt(gpu.peak, gpu.peak < 10 ? 2 : 0)} GFLOP/s; GEMM against it: ${Object.entries(gpu.gemm).map(([k, v]) => `${k} ${fmt(v, v < 1 ? 3 : 1)} GFLOP/s (${((100 * v) / gpu.peak).toFixed(gpu.peak > 0 && v / gpu.peak < 0.01 ? 2 : 0)}%)`).join(', ')}`);
    for (const note of gpu.skipped ?? []) console.log(`  ${note}`);
    if (gpu.inputs) console.log(`  ${gpu.inputs}`);
    for (const [key, g] of Object.entries(gpu.train)) if (typeof g === 'string') console.log(`  ${key}: ${g}`);
    for (const [key, records] of Object.entries(gpu.profiles ?? {})) console.log(`  profile ${key} (one step, batch ${BATCH}):\n${formatKernelTable(records).replace(/^/gm, '  ')}`);
  } else if (results.gpu && 'error' in results.gpu) console.log(`ours gpu: none (${results.gpu.error})`);

  const outDir = join(ROOT, 'bench/results');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `${results.date.slice(0, 19).replace(/:/g, '-')}-${results.host}.json`);
  writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
  console.log(`\nwrote ${file} (${((Date.now() - startedAt) / 1000).toFixed(0)} s)`);
}

await main();
