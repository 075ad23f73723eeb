import type { Checkpoint, TrainableGraph } from './types';
import { TrainError } from './types';

/**
 * `live` (a checkpoint over the loop's live tensors) copied into `into` (a checkpoint of the same
 * loop): its arrays overwritten in place where they fit, so no tensor is allocated. Answers `into`.
 */
export function copyCheckpointInto(live: Checkpoint, into: Checkpoint): Checkpoint {
  const copy = (from: Record<string, Float32Array | readonly number[]>, to: Record<string, Float32Array | readonly number[]>) => {
    for (const [k, v] of Object.entries(from)) {
      const dst = to[k];
      if (dst instanceof Float32Array && dst.length === v.length) dst.set(v);
      else to[k] = Float32Array.from(v);
    }
  };
  copy(live.params, into.params);
  copy(live.buffers, into.buffers);
  const states = live.groups ?? [{ name: '', optimizer: live.optimizer, schedule: live.schedule }];
  const kept = into.groups ?? [{ name: '', optimizer: into.optimizer, schedule: into.schedule }];
  const fits = kept.length === states.length && states.every((s, i) => s.optimizer.kind === kept[i].optimizer.kind);
  const merged = states.map((s, i) => {
    const slots = fits ? kept[i].optimizer.slots : {};
    for (const [key, bufs] of Object.entries(s.optimizer.slots)) copy(bufs, (slots[key] ??= {}));
    return { ...s, optimizer: { ...s.optimizer, slots } };
  });
  Object.assign(into, { ...live, params: into.params, buffers: into.buffers, optimizer: merged[0].optimizer, schedule: merged[0].schedule });
  if (live.groups) into.groups = merged;
  else delete into.groups;
  if (live.batch === undefined) delete into.batch;
  if (live.hooks === undefined) delete into.hooks;
  if (live.random === undefined) delete into.random;
  return into;
}

/**
 * Whether `ck` fits `plan`: every parameter and buffer present with its size, epoch and step whole
 * numbers, a batch within an epoch of `stepsPerEpoch`, and the optimizer groups `groups` (their
 * names, in step order). A checkpoint of one group's state fits a design of one group only: a
 * version-1 checkpoint of a multi-group design kept the first group's alone, and resuming the others
 * afresh would not continue the run. Throws `E_RUN_CHECKPOINT_MISMATCH` naming the first misfit.
 */
export function checkFits(ck: Checkpoint, plan: Pick<TrainableGraph, 'params' | 'buffers'>, stepsPerEpoch: number, groups: readonly string[]): void {
  const misfit = (what: string) => {
    throw new TrainError('E_RUN_CHECKPOINT_MISMATCH', `The checkpoint does not fit this network (${what}); resume needs the run's own design.`);
  };
  if (!Number.isInteger(ck.epoch) || ck.epoch < 1 || !Number.isInteger(ck.step) || ck.step < 0) misfit(`epoch ${ck.epoch}, step ${ck.step}`);
  if (ck.batch !== undefined && !(Number.isInteger(ck.batch) && ck.batch >= 0 && ck.batch <= stepsPerEpoch)) misfit(`batch ${ck.batch} of an epoch of ${stepsPerEpoch}`);
  for (const [kind, list, stored] of [['parameter', plan.params, ck.params], ['buffer', plan.buffers, ck.buffers]] as const) {
    for (const t of list) {
      const key = `${t.nodeId}.${t.name}`;
      const v = Object.hasOwn(stored, key) ? stored[key] : undefined;
      if (!v) misfit(`${kind} ${key} is missing`);
      else if (v.length !== t.value.data.length) misfit(`${kind} ${key} has ${v.length} values, the network ${t.value.data.length}`);
    }
  }
  if (groups.length > 1 && !ck.groups) misfit(`it keeps one optimizer group's state, written before every group's was kept; the design trains ${groups.length}`);
  const kept = ck.groups?.map((g) => g.name) ?? [];
  if (ck.groups && (kept.length !== groups.length || kept.some((n, i) => n !== groups[i]))) misfit(`its optimizer groups are ${kept.join(', ')}; the design's ${groups.join(', ')}`);
}
