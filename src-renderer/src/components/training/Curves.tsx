import { useEffect, useMemo, useState } from 'react';
import { ganChartOption, lossChartOption, metricChartOption } from '../../training/charts';
import { EChart, useChartTheme } from './EChart';
import { GanHints } from './GanSamples';
import { useEditor, useEngine, useRun } from '../../state/window';
import { listRuns } from '../../training/runs-client';
import { loadedWeightsNote } from '../../training/project-runs';
import type { RunMeta } from '../../training/compare';

/** A GAN's players: D and G loss by step, D(x) and D(G(z)); nothing for a graph without optimizer groups or GAN frames. */
function GanCurves() {
  const t = useChartTheme();
  const groupLoss = useRun((s) => s.groupLoss);
  const dReal = useRun((s) => s.dReal);
  const dFake = useRun((s) => s.dFake);
  const option = useMemo(() => ganChartOption(t, { groupLoss, dReal, dFake }), [t, groupLoss, dReal, dFake]);
  return (
    <div className="chart gan-curves">
      <EChart className="chart" option={option} data-testid="gan-chart" data-points={dReal.length} data-loss-points={Object.values(groupLoss).reduce((n, p) => n + p.length, 0)} />
      <GanHints />
    </div>
  );
}

/** Training and validation loss, the headline metric per epoch and the learning rate. */
export function Curves() {
  const t = useChartTheme();
  const loss = useRun((s) => s.loss);
  const batchLoss = useRun((s) => s.batchLoss);
  const valLoss = useRun((s) => s.valLoss);
  const trainMetric = useRun((s) => s.trainMetric);
  const valMetric = useRun((s) => s.valMetric);
  const stepMetric = useRun((s) => s.stepMetric);
  const lr = useRun((s) => s.lr);
  const metricName = useRun((s) => s.metricName);
  const stepsPerEpoch = useRun((s) => s.info?.stepsPerEpoch);
  const lossOption = useMemo(() => lossChartOption(t, { loss, batchLoss, valLoss, stepsPerEpoch }), [t, loss, batchLoss, valLoss, stepsPerEpoch]);
  const metricOption = useMemo(() => metricChartOption(t, { trainMetric, valMetric, stepMetric, lr, metricName, stepsPerEpoch }), [t, trainMetric, valMetric, stepMetric, lr, metricName, stepsPerEpoch]);
  // A GAN has no metric: its chart of the two players takes the metric chart's place.
  const gan = useRun((s) => s.dReal.length > 0);
  const first = loss[0]?.[1];
  const last = loss[loss.length - 1]?.[1];
  // Weights loaded from a file (an imported ONNX model) bring no curves: say so rather than draw empty axes.
  const loaded = useRun((s) => s.loaded?.source);
  const from = useStoredRun(useRun((s) => s.loaded?.origin?.runId));
  const file = useEditor((s) => s.file);
  if (loaded !== undefined && loss.length + batchLoss.length + valLoss.length + valMetric.length + stepMetric.length === 0 && !gan) {
    return (
      <p className="train-empty" data-testid="curves-none-loaded">
        {loadedWeightsNote(loaded, from, file)}
      </p>
    );
  }
  return (
    <div className="curves">
      <EChart
        className="chart"
        option={lossOption}
        data-testid="loss-chart"
        data-points={loss.length}
        data-first-step={loss[0]?.[0] ?? ''}
        data-first={first === undefined ? '' : first.toPrecision(4)}
        data-last={last === undefined ? '' : last.toPrecision(4)}
      />
      {gan ? <GanCurves /> : <EChart className="chart" option={metricOption} data-testid="metric-chart" data-points={valMetric.length} data-step-points={stepMetric.length} data-lr-points={lr.length} />}
    </div>
  );
}

/** The stored run `id` (loaded weights' `origin.runId`) when this run store has it. */
function useStoredRun(id: string | undefined): RunMeta | undefined {
  const client = useEngine((s) => (s.state === 'ready' ? s.client : undefined));
  const [run, setRun] = useState<RunMeta>();
  useEffect(() => {
    if (!client || !id) return;
    let live = true;
    listRuns(client)
      .then((r) => live && setRun(r.runs.find((m) => m.id === id)))
      .catch(() => {});
    return () => {
      live = false;
    };
  }, [client, id]);
  return id !== undefined && run?.id === id ? run : undefined;
}
