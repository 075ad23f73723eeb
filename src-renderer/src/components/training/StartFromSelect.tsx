import { useEffect, useRef, useState } from 'react';
import { RUN_CHECKPOINTS, START_FROM_KINDS, describeStartFrom, sameStartFrom, startFromOf, type StartFrom, type TrainingConfig } from '../../../../src-engine/facade';
import { weightsFor } from '../../state/training-store';
import { listRuns } from '../../training/runs-client';
import type { RunMeta } from '../../training/compare';
import { loadWeightsFile } from '../../training/export';
import { isProjectRun } from '../../training/project-runs';
import { PickerInput } from '../PickerInput';
import { useEditor, useEngine, useRun, useSession, useWindow } from '../../state/window';

/** A start as the select's option value (`fresh`, `loaded`, `run:<id>:best`). */
const valueOf = (s: StartFrom): string => (s.kind === 'run' ? `run:${s.run}:${s.checkpoint}` : s.kind);

/**
 * Where the design's runs start (`training.startFrom`, base/ir/start-from.ts): fresh
 * initialisation, the weights loaded with the design, or a stored run's last or best checkpoint
 * (this project's runs that ended). A design edit like the other settings: undoable, saved with
 * the project, kept for every run until changed here.
 */
export function StartFromSelect({ training, disabled, onChange }: { training: TrainingConfig; disabled: boolean; onChange(startFrom: StartFrom | undefined): void }) {
  const w = useWindow();
  const start = startFromOf(training);
  const weights = useRun((s) => s.weights);
  const loadSeq = useEditor((s) => s.loadSeq);
  const project = useEditor((s) => s.file.name);
  const projectId = useEditor((s) => s.file.projectId);
  const loaded = weightsFor(weights, loadSeq);
  const loading = useSession((s) => s.loadingWeights);
  const runs = useStoredRuns(project, projectId);
  const name = (id: string) => runs.find((r) => r.id === id)?.name;
  const options: { value: string; label: string; start: StartFrom; title: string }[] = [];
  const doc = (kind: StartFrom['kind']) => START_FROM_KINDS.find((k) => k.kind === kind)!.doc;
  options.push({ value: 'fresh', label: describeStartFrom({ kind: 'fresh' }), start: { kind: 'fresh' }, title: doc('fresh') });
  options.push({ value: 'loaded', label: `${describeStartFrom({ kind: 'loaded' })}${loaded ? ` (${loaded.source})` : ' (none loaded)'}`, start: { kind: 'loaded' }, title: doc('loaded') });
  for (const r of runs) {
    for (const checkpoint of RUN_CHECKPOINTS) {
      const s: StartFrom = { kind: 'run', run: r.id, checkpoint };
      options.push({ value: valueOf(s), label: describeStartFrom(s, name), start: s, title: doc('run') });
    }
  }
  // A stored run this list does not offer (deleted, another project's): still shown as chosen.
  if (!options.some((o) => sameStartFrom(o.start, start))) options.push({ value: valueOf(start), label: describeStartFrom(start, name), start, title: doc(start.kind) });
  const missing = start.kind === 'loaded' && !loaded;
  const chosen = options.find((o) => sameStartFrom(o.start, start))!;
  const picker = useRef<HTMLInputElement>(null);
  return (
    <label className="train-field train-field--wide" title={START_FROM_KINDS.map((k) => `${k.label}: ${k.doc}`).join('\n')}>
      <span>Start from</span>
      <span className="train-field__row">
        <select
          data-testid="train-start-from"
          data-value={start.kind}
          title={chosen.label}
          value={valueOf(start)}
          disabled={disabled}
          onChange={(e) => {
            const s = options.find((o) => o.value === e.target.value)!.start;
            onChange(s.kind === 'fresh' ? undefined : s);
          }}
        >
          {options.map((o) => (
            <option key={o.value} value={o.value} title={o.title}>
              {o.label}
            </option>
          ))}
        </select>
        <button
          type="button"
          className="train-field__add"
          data-testid="train-load-weights"
          disabled={disabled}
          title="Load weights saved by PyTorch into this design: a .safetensors file, or a state_dict saved with torch.save (.pt, .pth), named as Netwright's PyTorch export names them. Runs then start from them."
          onClick={() => picker.current?.click()}
        >
          Load weights…
        </button>
        <PickerInput inputRef={picker} testId="train-load-weights-file" accept=".safetensors,.pt,.pth,.bin" onFiles={(list) => void loadWeightsFile(w, list[0]).then((ok) => ok && onChange({ kind: 'loaded' }))} />
      </span>
      {missing && loading ? (
        <span className="train-field__hint" data-testid="start-from-loading">
          Loading the trained weights of “{loading}” from beside its file…
        </span>
      ) : missing ? (
        <span className="train-field__hint train-field__hint--warn" data-testid="start-from-missing">
          No weights were loaded with this design: Load weights…, import the model or open the project saved with its weights, or start fresh.
        </span>
      ) : null}
    </label>
  );
}

/** This project's stored runs that ended (they have checkpoints to start from), newest first; refreshed as runs start and end. */
function useStoredRuns(project: string, projectId: string): RunMeta[] {
  const client = useEngine((s) => (s.state === 'ready' ? s.client : undefined));
  const phase = useRun((s) => s.phase);
  const [runs, setRuns] = useState<RunMeta[]>([]);
  useEffect(() => {
    if (!client) return;
    let live = true;
    listRuns(client)
      .then((r) => live && setRuns(r.runs.filter((m) => isProjectRun(m, { name: project, projectId }) && m.status !== 'running')))
      .catch(() => live && setRuns([]));
    return () => {
      live = false;
    };
  }, [client, project, projectId, phase]);
  return runs;
}
