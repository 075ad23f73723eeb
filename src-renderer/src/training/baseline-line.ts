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

/** Every baseline's test figures, one line each: a tooltip (`heading`: what they were measured on). */
export const baselinesTitle = (b: BaselineFigures | undefined, heading = "Baselines on the same test split, fitted on the run's training split:"): string =>
  `${heading}\n${Object.entries(b ?? {})
    .map(([name, m]) => `${name}: ${Object.entries(m).map(([k, v]) => baselineFigure(k, v)).join(', ')}`)
    .join('\n')}`;

/** A stored run's baselines (its record's summary: test and validation figures, a note) as their test figures. */
export function storedTestFigures(stored: Readonly<Record<string, { test: Readonly<Record<string, number>> }>> | undefined): BaselineFigures | undefined {
  return stored && Object.keys(stored).length ? Object.fromEntries(Object.entries(stored).map(([name, b]) => [name, b.test])) : undefined;
}

/** What an evaluation answers of its model's baselines (`model.evaluate`: core/metrics/baselines.ts `evaluationBaselines`). */
export interface EvaluatedBaselines {
  metrics: Readonly<Record<string, unknown>>;
  baselines?: BaselineFigures;
  baselinesOn?: { split: 'test' | 'val'; sameSamples: boolean };
  baselineVerdict?: string;
}

/**
 * The line Evaluate sets under its figures: `Beside: majority accuracy 38.9 % · …` when the
 * baselines were measured on the very split evaluated, else whose they are
 * (`Baselines of the run's test split, not these samples: …`); the tooltip lists every figure.
 * Undefined for a model without baselines.
 */
export function evaluatedBaselineLine(e: EvaluatedBaselines): { text: string; title: string; sameSamples: boolean } | undefined {
  const line = baselineLine(e.metrics, e.baselines);
  if (!line || !e.baselinesOn) return undefined;
  const split = e.baselinesOn.split === 'val' ? 'validation' : 'test';
  const same = e.baselinesOn.sameSamples;
  return {
    text: same ? `Beside: ${line}` : `Baselines of the run's ${split} split, not these samples: ${line}`,
    title: baselinesTitle(e.baselines, same ? `Baselines on the same ${split} split, fitted on the run's training split:` : `Baselines measured on the ${split} split of the run that trained these weights (fitted on its training split), not on the samples evaluated here:`),
    sameSamples: same,
  };
}
