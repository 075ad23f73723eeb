/** A stored run's curves (`runs.open`) as the run view's series, as the live charts draw them. */
import type { ResultOf } from '../../../src-engine/protocol';
import { headlineMetric, type AttachedHistory, type Point } from './model';

/** A parent run's curves up to the checkpoint a resumed run starts from (a crash's lost tail is trained again). */
export function historyUpTo(h: AttachedHistory, from: { step: number; epoch: number } | undefined): AttachedHistory {
  if (!from) return { ...h, progress: undefined };
  const bySteps = (ps: readonly Point[]) => ps.filter(([x]) => x <= from.step);
  const byEpochs = (ps: readonly Point[]) => ps.filter(([x]) => x <= from.epoch);
  return {
    ...h,
    loss: bySteps(h.loss),
    batchLoss: bySteps(h.batchLoss),
    lr: bySteps(h.lr),
    stepMetric: bySteps(h.stepMetric ?? []),
    valLoss: byEpochs(h.valLoss),
    trainMetric: byEpochs(h.trainMetric),
    valMetric: byEpochs(h.valMetric),
    ...(h.groupLoss ? { groupLoss: Object.fromEntries(Object.entries(h.groupLoss).map(([k, v]) => [k, bySteps(v)])) } : {}),
    ...(h.dReal ? { dReal: bySteps(h.dReal) } : {}),
    ...(h.dFake ? { dFake: bySteps(h.dFake) } : {}),
    progress: undefined,
  };
}

/** A stored run's curves as the run view's series: batch loss, LR and a GAN's players by step, validation by epoch. */
export function storedHistory(view: Pick<ResultOf<'runs.open'>, 'curve' | 'epochs' | 'gan'>): AttachedHistory {
  const batchLoss: Point[] = [];
  const meanLoss: Point[] = [];
  const lr: Point[] = [];
  const { step, loss, epoch } = view.curve;
  // The live chart's "train loss (epoch mean)": the mean of the epoch's batch losses so far.
  let sum = 0;
  let n = 0;
  for (let i = 0; i < step.length; i++) {
    if (i > 0 && epoch[i] !== epoch[i - 1]) sum = n = 0;
    const l = loss[i];
    if (l !== null) {
      batchLoss.push([step[i], l]);
      sum += l;
      n++;
    }
    if (n > 0) meanLoss.push([step[i], sum / n]);
    lr.push([step[i], view.curve.lr[i]]);
  }
  const valLoss: Point[] = [];
  const trainMetric: Point[] = [];
  const valMetric: Point[] = [];
  let metricName: string | undefined;
  const stepMetric = epochSoFar(view.curve);
  for (const e of view.epochs) {
    const train = headlineMetric(e.metrics.train);
    const val = headlineMetric(e.metrics.val);
    const vl = e.metrics.val?.loss;
    if (typeof vl === 'number') valLoss.push([e.epoch, vl]);
    if (train) trainMetric.push([e.epoch, train.value]);
    if (val) valMetric.push([e.epoch, val.value]);
    metricName = val?.name ?? train?.name ?? metricName;
  }
  metricName ??= stepMetric?.name;
  return { loss: meanLoss, batchLoss, lr, valLoss, trainMetric, valMetric, ...(stepMetric && stepMetric.name === metricName ? { stepMetric: stepMetric.points } : {}), ...(metricName ? { metricName } : {}), ...players(view) };
}

/** A GAN's series as the live chart draws them: each optimizer group's batch loss by step (its steps without one skipped), D(x) and D(G(z)) at the probe frames. */
function players(view: Pick<ResultOf<'runs.open'>, 'curve' | 'gan'>): Pick<AttachedHistory, 'groupLoss' | 'dReal' | 'dFake'> {
  const { step, groupLosses } = view.curve;
  const gan = view.gan;
  const column = (values: readonly (number | null)[]): Point[] => values.flatMap((v, i) => (v === null ? [] : [[step[i], v] as const]));
  return {
    ...(groupLosses && Object.keys(groupLosses).length ? { groupLoss: Object.fromEntries(Object.entries(groupLosses).map(([k, v]) => [k, column(v)])) } : {}),
    ...(gan ? { dReal: gan.step.map((x, i) => [x, gan.dReal[i]] as const), dFake: gan.step.map((x, i) => [x, gan.dFake[i]] as const) } : {}),
  };
}

/** The headline metric of a stored run's steps as the live chart draws it: the mean of the epoch's batches so far, by step. */
function epochSoFar(curve: ResultOf<'runs.open'>['curve']): { name: string; points: Point[] } | undefined {
  const columns = curve.metrics ?? {};
  const name = headlineMetric(Object.fromEntries(Object.entries(columns).map(([k, c]) => [k, c.find((v) => v !== null)])))?.name;
  if (!name) return undefined;
  const values = columns[name];
  const points: Point[] = [];
  let sum = 0;
  let n = 0;
  for (let i = 0; i < curve.step.length; i++) {
    if (i > 0 && curve.epoch[i] !== curve.epoch[i - 1]) sum = n = 0;
    const v = values[i];
    if (v === null || v === undefined) continue;
    sum += v;
    n++;
    points.push([curve.step[i], sum / n]);
  }
  return { name, points };
}

/** The run view's series of a parent up to its child's checkpoint followed by the child's own (a resumed run's curve continues its parent's). */
export function continuedHistory(parent: AttachedHistory, from: { step: number; epoch: number }, child: AttachedHistory): AttachedHistory {
  const head = historyUpTo(parent, from);
  const join = (a: readonly Point[] | undefined, b: readonly Point[] | undefined): Point[] => [...(a ?? []), ...(b ?? [])];
  const groups = [...new Set([...Object.keys(head.groupLoss ?? {}), ...Object.keys(child.groupLoss ?? {})])];
  const metricName = child.metricName ?? head.metricName;
  // A metric series of another name (the design's headline changed) is not continued.
  const sameMetric = head.metricName === undefined || head.metricName === metricName;
  const metric = (a: readonly Point[] | undefined, b: readonly Point[] | undefined): Point[] => (sameMetric ? join(a, b) : [...(b ?? [])]);
  const stepMetric = metric(head.stepMetric, child.stepMetric);
  return {
    loss: join(head.loss, child.loss),
    batchLoss: join(head.batchLoss, child.batchLoss),
    lr: join(head.lr, child.lr),
    valLoss: join(head.valLoss, child.valLoss),
    trainMetric: metric(head.trainMetric, child.trainMetric),
    valMetric: metric(head.valMetric, child.valMetric),
    ...(stepMetric.length ? { stepMetric } : {}),
    ...(metricName ? { metricName } : {}),
    ...(groups.length ? { groupLoss: Object.fromEntries(groups.map((g) => [g, join(head.groupLoss?.[g], child.groupLoss?.[g])])) } : {}),
    ...(head.dReal || child.dReal ? { dReal: join(head.dReal, child.dReal) } : {}),
    ...(head.dFake || child.dFake ? { dFake: join(head.dFake, child.dFake) } : {}),
    ...(child.progress ? { progress: child.progress } : {}),
  };
}

/** How many ancestors a stored run's curves reach back through (a chain of Continues); a longer chain shows its newest part. */
export const LINEAGE_DEPTH = 32;

/**
 * A stored run's curves from its first ancestor on: a resumed run (`meta.resumedFrom`) shows its
 * parent's up to the step it resumed from, and so on up the chain, as its live view did. A parent
 * that cannot be opened (deleted, unreadable) ends the chain there; a chain that loops is cut.
 */
export async function lineageHistory(run: StoredRunView, open: (id: string) => Promise<StoredRunView>): Promise<AttachedHistory> {
  let history = storedHistory(run);
  const seen = new Set([run.meta.id]);
  let from = run.meta.resumedFrom;
  while (from && !seen.has(from.runId) && seen.size <= LINEAGE_DEPTH) {
    seen.add(from.runId);
    const parent = await open(from.runId).catch(() => undefined);
    if (!parent) break;
    history = continuedHistory(storedHistory(parent), from, history);
    from = parent.meta.resumedFrom;
  }
  return history;
}

/** What `lineageHistory` reads of a stored run. */
export type StoredRunView = Pick<ResultOf<'runs.open'>, 'curve' | 'epochs' | 'gan'> & { meta: Pick<ResultOf<'runs.open'>['meta'], 'id' | 'resumedFrom'> };
