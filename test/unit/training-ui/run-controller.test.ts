/**
 * The run controller over an in-memory channel pair (as VS Code tests its IPC): a stand-in engine
 * answers the run's requests and emits its events; the controller drives a run store of its own,
 * with no page and no global engine connection.
 */
import { afterEach, describe, expect, it, vi, beforeEach } from 'vitest';
import { RpcClient, RpcError, RpcServer, createMemoryChannelPair, type EventData, type Handlers, type ParamsOf } from '../../../src-engine/protocol';
import type { GraphIR } from '../../../src-engine/facade';
import { RunController } from '../../../src-renderer/src/state/run-controller';
import { createRunStore } from '../../../src-renderer/src/state/training-store';
import { twoMoonsGraph } from '../session/fixtures';
import { startResult } from './fixtures';
import { createWindowStores, type WindowStores } from '../../../src-renderer/src/state/window-stores';

/** A fresh window for each test: nothing carries over from the one before. */
let w: WindowStores;
beforeEach(() => {
  w = createWindowStores();
});

const progress = (step: number): EventData<'train.progress'> => ({ runId: 'run-1', epoch: 1, epochs: 2, step, stepInEpoch: step, stepsPerEpoch: 10, loss: 0.5, batchLoss: 0.5, lr: 0.01, samplesPerSec: 100, etaSeconds: 1, state: 'running' });

/** A controller and its own run store, talking to `handlers` over an in-memory channel pair. */
function rig(handlers: Partial<Handlers>) {
  const [a, b] = createMemoryChannelPair();
  const server = new RpcServer(b, handlers as Handlers);
  const client = new RpcClient(a);
  const run = createRunStore();
  const controller = new RunController({ ...w, run, client: () => client });
  const off = controller.bind(client);
  return { server, client, run, controller, off };
}

let offs: (() => void)[] = [];
afterEach(() => {
  offs.forEach((off) => off());
  offs = [];
});

describe('the run controller', () => {
  it('starts a run with the engine graph and the project name, then feeds the engine’s events into its store', async () => {
    const sent: ParamsOf<'train.start'>[] = [];
    const r = rig({
      'train.start': (params) => {
        sent.push(params);
        return startResult;
      },
    });
    offs.push(r.off);
    await r.controller.start(twoMoonsGraph(), undefined, { probes: false, pace: 4 });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ project: w.editor.getState().file.name, probes: false, pace: 4 });
    expect((sent[0].graph as GraphIR).nodes.map((n) => n.op)).toEqual(twoMoonsGraph().nodes.map((n) => n.op));
    expect(r.run.getState()).toMatchObject({ phase: 'running', runId: 'run-1', probes: false });
    r.server.emit('train.progress', progress(3));
    await vi.waitFor(() => expect(r.run.getState().progress?.step).toBe(3), { timeout: 5_000, interval: 5 });
  });

  it('shows a refused start with the engine’s code, in the store the UI reads', async () => {
    const r = rig({
      'train.start': () => {
        throw new RpcError('E_DATASET_MISSING', 'The dataset file is gone.');
      },
    });
    offs.push(r.off);
    await r.controller.start(twoMoonsGraph());
    expect(r.run.getState()).toMatchObject({ phase: 'failed', error: { code: 'E_DATASET_MISSING', message: 'The dataset file is gone.' } });
  });

  it('applies the events the engine sent before a pause reply together with the pause, not after it', async () => {
    const r = rig({
      'train.start': () => startResult,
      'train.control': ({ action }) => {
        // The engine's last progress goes out before its reply (as the session sends them).
        r.server.emit('train.progress', progress(7));
        return { state: action === 'pause' ? 'paused' : 'running', step: 7, pace: 0 };
      },
    });
    offs.push(r.off);
    await r.controller.start(twoMoonsGraph());
    await r.controller.control('pause');
    // No paced tick has run yet: the reply flushed the queued progress first.
    expect(r.run.getState()).toMatchObject({ phase: 'paused', progress: { step: 7 } });
  });

  it('attaches to the run the engine already holds, in its state, with its design', async () => {
    const r = rig({
      'train.current': () => ({ run: { start: startResult, state: 'paused', step: 12, graph: twoMoonsGraph() } }),
    });
    offs.push(r.off);
    await r.controller.attach(r.client);
    expect(r.run.getState()).toMatchObject({ phase: 'paused', runId: 'run-1' });
    expect(r.run.getState().graph).toEqual(twoMoonsGraph());
    // Attached once: asking again for the same run changes nothing.
    const before = r.run.getState();
    await r.controller.attach(r.client);
    expect(r.run.getState()).toBe(before);
  });
});
