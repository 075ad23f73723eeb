/**
 * The run store's requests as the Runs tab, Compare and the Start-from select make them: one
 * function a question, so components never name a protocol method (ESLint refuses `request(` in
 * src-renderer/src/components). The run's own commands are the run controller's.
 */
import type { ResultOf, RpcClient } from '../../../src-engine/protocol';

/** The stored runs, and the run folders that cannot be read. */
export const listRuns = (c: RpcClient): Promise<ResultOf<'runs.list'>> => c.request('runs.list', {});

/** A stored run: its record, curves and design. */
export const openRun = (c: RpcClient, id: string): Promise<ResultOf<'runs.open'>> => c.request('runs.open', { id });

/** A stored run's probe frame at `step` (or the last one before it). */
export const runFrame = (c: RpcClient, id: string, step: number): Promise<ResultOf<'runs.frame'>['frame']> => c.request('runs.frame', { id, step }).then((r) => r.frame);

/** Rename a stored run or change its notes. */
export const updateRun = (c: RpcClient, id: string, patch: { name?: string; notes?: string }): Promise<ResultOf<'runs.update'>> => c.request('runs.update', { id, ...patch });

/** Delete a stored run (or a damaged run folder) and everything recorded with it. */
export const deleteRun = (c: RpcClient, id: string): Promise<ResultOf<'runs.delete'>> => c.request('runs.delete', { id });
