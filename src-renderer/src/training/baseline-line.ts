/** Test figures of simple models fitted on a run's training split, by baseline name then metric (core/metrics/baselines.ts). */
export type BaselineFigures = Readonly<Record<string, Readonly<Record<string, number>>>>;

/** `accuracy 91.2 %`, `mse 0.263`: one test figure as the dock and Runs show it. */
export const baselineFigure = (metric: string, v: number): string => (metric === 'accuracy' || metric === 'top5' ? `${metric} ${(100 * v).toFixed(1)} %` : `${metric} ${v.toPrecision(3)}`);

/**
 * Each baseline's test figure on the network's first metric that they were measured with, on one
 * line — what the network's own figure is to be read beside (#83: "baselines beside every
 * result"): `majority accuracy 33.3 % · logistic accuracy 96.7 %`. Undefined without baselines.
 */
export function baselineLine(test: Readonly<Record<string, unknown>> | undefined, baselines: BaselineFigures | undefined): string | undefined {
  const entries = Object.entries(baselines ?? {});
  if (entries.length === 0) return undefined;
  const metric = Object.keys(test ?? {}).find((m) => m !== 'loss' && typeof test?.[m] === 'number' && entries.some(([, b]) => typeof b[m] === 'number'));
  const shown = entries.map(([name, b]) => {
    const m = metric ?? Object.keys(b)[0];
    return m !== undefined && typeof b[m] === 'number' ? `${name} ${baselineFigure(m, b[m])}` : undefined;
  });
  const parts = shown.filter((s): s is string => s !== undefined);
  return parts.length ? parts.join(' · ') : undefined;
}

/** Every baseline's test figures, one line each: a tooltip. */
export const baselinesTitle = (b: BaselineFigures | undefined): string =>
  `Baselines on the same test split, fitted on the run's training split:\n${Object.entries(b ?? {})
    .map(([name, m]) => `${name}: ${Object.entries(m).map(([k, v]) => baselineFigure(k, v)).join(', ')}`)
    .join('\n')}`;
