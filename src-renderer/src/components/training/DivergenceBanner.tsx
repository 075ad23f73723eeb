import { useState } from 'react';
import type { DeviceLostEvent, DivergedEvent } from '../../training/model';
import { parseSettingNumber, TRAINING_NUMBERS } from '../../editor/setting-fields';
import { FieldMessage } from '../TextField';
import { useRun, useWindow } from '../../state/window';

/**
 * Shown when the divergence guard paused the run: where (step, layer) the NaN/Inf or the
 * explosion first appeared, the hint, and a resume with a new learning rate from the last good
 * state.
 */
export function DivergenceBanner() {
  const d = useRun((s) => (s.phase === 'diverged' ? s.diverged : undefined));
  return d ? <DivergenceReport key={`${d.runId}:${d.step}`} d={d} /> : null;
}

function DivergenceReport({ d }: { d: DivergedEvent }) {
  const w = useWindow();
  // The engine's suggestion (10× lower, capped at a rate known to train); the user can change it.
  const [lr, setLr] = useState(String(d.suggestedLr ?? d.lr / 10));
  // Read as the Train dock's learning-rate field reads it, with the same messages.
  const parsed = parseSettingNumber(TRAINING_NUMBERS.lr, lr);
  const ok = parsed.ok;
  const value = parsed.ok ? parsed.value : NaN;
  return (
    <div className="diverged-banner" role="alert" data-testid="diverged-banner" data-step={d.step} data-node={d.nodeId} data-cause={d.cause} data-where={d.where}>
      <div className="diverged-banner__title">
        Training diverged at step <b data-testid="diverged-step">{d.step}</b> in{' '}
        <button type="button" className="linkish" data-testid="diverged-node" onClick={() => w.editor.getState().focusNode(d.nodeId)} title="Show on the canvas">
          {d.nodeId}
        </button>{' '}
        ({d.op}{d.param ? `.${d.param}` : ''}, {d.where})
      </div>
      <div className="diverged-banner__message">{d.message}</div>
      <div className="diverged-banner__hint">{d.hint}</div>
      <div className="diverged-banner__actions">
        <label>
          New learning rate <input data-testid="diverged-lr" value={lr} aria-invalid={!ok} onChange={(e) => setLr(e.target.value)} />
        </label>
        <FieldMessage testid="diverged-lr" error={parsed.ok ? undefined : parsed.message} warning={parsed.ok ? parsed.warning : undefined} />
        <button type="button" className="primary" data-testid="diverged-resume" disabled={!ok} title="Go on from the last good state at this rate; the Train dock's learning rate and the run's record take it" onClick={() => void w.runs.control('resume', value)}>
          Resume from step {d.restoredStep}
        </button>
        <button type="button" data-testid="diverged-stop" onClick={() => void w.runs.control('stop')}>
          Stop
        </button>
      </div>
    </div>
  );
}

/**
 * Shown when the run's GPU was lost (a driver reset, a crashed GPU window): the run paused, rolled
 * back to its last snapshot, and Resume goes on on the CPU from there.
 */
export function DeviceLostBanner() {
  const d = useRun((s) => (s.phase === 'paused' ? s.deviceLost : undefined));
  return d ? <DeviceLostReport d={d} /> : null;
}

function DeviceLostReport({ d }: { d: DeviceLostEvent }) {
  const w = useWindow();
  return (
    <div className="diverged-banner" role="alert" data-testid="device-lost-banner" data-step={d.step} data-resume-step={d.resumeStep}>
      <div className="diverged-banner__title">The GPU was lost at step {d.step}</div>
      <div className="diverged-banner__message">{d.message}</div>
      <div className="diverged-banner__actions">
        <button type="button" className="primary" data-testid="device-lost-resume" onClick={() => void w.runs.control('resume')} title={`Train on with ${d.backend}`}>
          Resume on the CPU from step {d.resumeStep}
        </button>
        <button type="button" data-testid="device-lost-stop" onClick={() => void w.runs.control('stop')}>
          Stop
        </button>
      </div>
    </div>
  );
}
