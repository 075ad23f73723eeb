import { useMemo, useState } from 'react';
import type { GraphIR } from '../../../../src-engine/facade';
import { parseSweepValues, sweepTargets } from '../../training/sweep';
import { probeOptions } from '../../state/train-ui';
import { useSweep, useWindow } from '../../state/window';

/**
 * "Sweep…": vary one node attribute or setting over a list of values (optionally repeated over
 * seeds); the engine trains one run per value, one after another, each kept in the Runs tab with
 * its place in the sweep. While it runs: which value is training, and Cancel.
 */
export function SweepForm({ graph, disabled }: { graph: GraphIR; disabled: boolean }) {
  const w = useWindow();
  const sweep = useSweep();
  const targets = useMemo(() => sweepTargets(graph), [graph]);
  const [key, setKey] = useState<string | undefined>(undefined);
  const [values, setValues] = useState('');
  const [seeds, setSeeds] = useState('1');
  const [limit, setLimit] = useState('');
  const [problem, setProblem] = useState<string | undefined>(undefined);
  // Kept open across a sweep (the running status replaces the form meanwhile).
  const [open, setOpen] = useState(false);
  const target = targets.find((t) => t.key === key) ?? targets[0];
  const running = sweep.state === 'running' || sweep.state === 'starting';
  if (running) {
    return (
      <div className="sweep sweep--running" data-testid="sweep-status" data-state={sweep.state} data-index={sweep.run?.index ?? ''} data-total={sweep.total}>
        <span>
          Sweep {sweep.run ? `${sweep.run.index + 1}/${sweep.total}` : '…'}: <b>{sweep.run ? `${sweep.run.over} = ${sweep.run.value}${sweep.run.seed !== undefined ? ` · seed ${sweep.run.seed}` : ''}` : 'starting'}</b>
        </span>
        <button type="button" data-testid="sweep-cancel" onClick={() => void sweep.cancel()} title="Stop the run in progress (it is kept) and start no other">
          Cancel sweep
        </button>
        {sweep.failures.length ? <div className="sweep__problem">{sweep.failures.map((f) => `${f.value}: ${f.message}`).join(' · ')}</div> : null}
      </div>
    );
  }
  const submit = () => {
    if (!target) return;
    const parsed = parseSweepValues(values, target.numeric);
    if ('error' in parsed) return setProblem(parsed.error);
    const n = Number(seeds);
    if (!Number.isInteger(n) || n < 1 || n > 20) return setProblem('Repeat over 1 to 20 seeds.');
    const lim = limit.trim() === '' ? undefined : Number(limit);
    if (lim !== undefined && (!Number.isInteger(lim) || lim < 1)) return setProblem('Samples per run: a whole number, or empty for all.');
    setProblem(undefined);
    void sweep.start(graph, { over: target.over, values: parsed, ...(n > 1 ? { seeds: Array.from({ length: n }, (_, i) => i + 1) } : {}) }, { ...(lim ? { limit: lim } : {}), probes: probeOptions(w.trainUi.getState()), project: w.editor.getState().file.name, projectId: w.editor.getState().file.projectId });
  };
  return (
    <details className="sweep" data-testid="sweep" open={open} onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>Sweep…</summary>
      <div className="sweep__form">
        <label>
          Vary
          <select data-testid="sweep-target" value={target?.key} onChange={(e) => setKey(e.target.value)}>
            {targets.map((t) => (
              <option key={t.key} value={t.key}>
                {t.label}
                {t.current !== undefined ? ` (now ${t.current})` : ''}
              </option>
            ))}
          </select>
        </label>
        <label>
          over
          <input data-testid="sweep-values" value={values} placeholder={target?.numeric ? '8, 16, 32, 64' : 'adam, sgd'} onChange={(e) => setValues(e.target.value)} onKeyDown={(e) => e.key === 'Enter' && submit()} />
        </label>
        <label title="Train each value this many times, with seeds 1, 2, …: the results show the mean and the min–max range">
          seeds
          <input data-testid="sweep-seeds" type="number" min={1} max={20} value={seeds} onChange={(e) => setSeeds(e.target.value)} />
        </label>
        <label title="Train each run on at most this many samples (faster sweeps); empty: all">
          samples
          <input data-testid="sweep-limit" type="number" min={1} value={limit} placeholder="all" onChange={(e) => setLimit(e.target.value)} />
        </label>
        <button type="button" className="primary" data-testid="sweep-start" disabled={disabled || !target} onClick={submit}>
          Start sweep
        </button>
      </div>
      {problem || sweep.error ? (
        <div className="sweep__problem" data-testid="sweep-problem">
          {problem ?? sweep.error}
        </div>
      ) : null}
      {sweep.state === 'done' || sweep.state === 'cancelled' ? (
        <div className="runs__sub" data-testid="sweep-finished" data-state={sweep.state}>
          Last sweep {sweep.state === 'done' ? 'finished' : 'cancelled'}: its runs are in the Runs tab (Sweeps ▸ results).
        </div>
      ) : null}
    </details>
  );
}
