/**
 * The Train dock's line about a frozen backbone's cache (#59): the run view keeps the engine's
 * last `train.features` (its line, code and reason) for the run it belongs to, and a new run starts without it.
 */
import { describe, expect, it } from 'vitest';
import { emptyRun, reduceRun, type RunAction, type RunView } from '../../../src-renderer/src/training/model';
import { startResult } from './fixtures';

const replay = (actions: RunAction[], from: RunView = emptyRun) => actions.reduce(reduceRun, from);

describe('the feature cache line', () => {
  it('shows the engine message of its run: progress, then the cache or why not; another run starts without it', () => {
    const runId = startResult.runId;
    const computing = { runId, state: 'computing' as const, done: 64, samples: 500, message: 'computing backbone features: 64 of 500 samples' };
    const ready = { runId, state: 'ready' as const, samples: 500, bytes: 1.6e6, seconds: 0.4, message: 'backbone features cached: 500 samples (1.6 MB, computed in 0.4 s); the frozen layers run no more' };
    const s = replay([{ type: 'starting' }, { type: 'started', result: startResult }, { type: 'features', data: computing }]);
    expect(s.features?.message).toBe(computing.message);
    expect(replay([{ type: 'features', data: ready }], s).features).toEqual(ready);
    // Another run's event is not this one's.
    expect(replay([{ type: 'features', data: { ...ready, runId: 'other' } }], s).features).toEqual(computing);
    const off = { runId, state: 'off' as const, code: 'FEATURES_RANDOM_TRANSFORM', reason: 'the input transform "salt and pepper" …', message: 'backbone features not cached: the input transform "salt and pepper" …' };
    expect(replay([{ type: 'features', data: off }], s).features?.code).toBe('FEATURES_RANDOM_TRANSFORM');
    const next = replay([{ type: 'starting' }, { type: 'started', result: { ...startResult, runId: 'run-2' } }], replay([{ type: 'features', data: ready }], s));
    expect(next.features).toBeUndefined();
  });

  it('keeps a GPU run\'s line about its training data on the device (train.residentData); a new run starts without it', () => {
    const runId = startResult.runId;
    const ready = { runId, state: 'ready' as const, samples: 60000, bytes: 1.88e8, seconds: 0.3, message: 'training data on the GPU: 60000 samples (188 MB, uploaded in 0.3 s); each batch is gathered there' };
    const s = replay([{ type: 'starting' }, { type: 'started', result: startResult }, { type: 'residentData', data: ready }]);
    expect(s.residentData).toEqual(ready);
    expect(replay([{ type: 'residentData', data: { ...ready, runId: 'other' } }], s).residentData).toEqual(ready);
    const next = replay([{ type: 'starting' }, { type: 'started', result: { ...startResult, runId: 'run-2' } }], s);
    expect(next.residentData).toBeUndefined();
  });
});
