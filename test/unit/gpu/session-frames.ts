/**
 * A training session's probe frames, on the CPU or on the GPU (the GPU probe tests compare the
 * two): the session runs to its end, every frame is acknowledged at once (no flow control holds
 * one back), and the frames come back without their run id and sequence number.
 */
import type { GraphIR } from '../../../src-engine/base/ir/types';
import { TrainingSession } from '../../../src-engine/app/session';
import { compileGraph } from '../../../src-engine/core/autodiff/executor';
import { createReferenceBackend } from '../../../src-engine/core/backend/reference';
import type { PreparedData } from '../../../src-engine/core/data';
import type { GpuContext } from '../../../src-engine/core/gpu/context';
import { buildGpuTrainable } from '../../../src-engine/core/gpu/trainable';
import type { ProbeFrame, ProbeOptions } from '../../../src-engine/protocol';

export type Frame = Omit<ProbeFrame, 'runId' | 'seq'>;

/** A frame after every step (no rate limit). */
export const EVERY_STEP: ProbeOptions = { everySteps: 1, maxHz: 1e9, budget: 1e9 };

/** Run `graph` on `data` to the end, on `gpu` (a context) or the CPU (null), and collect its frames. */
export async function framesOf(graph: GraphIR, data: PreparedData, gpu: GpuContext | null, probes: ProbeOptions | false): Promise<{ frames: Frame[]; session: TrainingSession }> {
  const frames: Frame[] = [];
  const session: TrainingSession = new TrainingSession(gpu ? 'gpu' : 'cpu', graph, data, createReferenceBackend(), {
    compile: gpu ? (g, o) => buildGpuTrainable(g, { gpu, batchSize: o.batchSize, seed: o.seed }) : compileGraph,
    probes,
    emit: (event, d) => {
      if (event !== 'probe.frame') return;
      const { runId: _r, seq, ...frame } = d as ProbeFrame;
      frames.push(frame);
      queueMicrotask(() => session.ackFrame(seq));
    },
  });
  await session.run();
  return { frames, session };
}
