import { useEffect, useRef, useState } from 'react';
import { emptyRun } from '../../training/model';
import { useEngine, useRun, useWindow } from '../../state/window';

/** Scrubbing requests a frame at most this often (ms); the newest position wins. */
const SCRUB_MS = 80;

/**
 * Shown while the dock shows a stored run: scrub it from its first probe frame to its last; the
 * Layers and Samples tabs and the canvas overlays show the stored frame at that step.
 */
export function Timeline() {
  const w = useWindow();
  const stored = useRun((s) => s.stored);
  const client = useEngine((s) => s.client);
  const [index, setIndex] = useState<number | undefined>(undefined);
  const [problem, setProblem] = useState<string | undefined>(undefined);
  const pending = useRef<number | undefined>(undefined);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  if (!stored) return null;
  const steps = stored.frameSteps;
  const at = index ?? Math.max(0, steps.length - 1);
  const scrub = (i: number) => {
    setIndex(i);
    pending.current = steps[i];
    if (timer.current !== undefined || !client) return;
    timer.current = setTimeout(() => {
      timer.current = undefined;
      const step = pending.current;
      if (step === undefined) return;
      w.runs.showStoredFrame(client, stored.id, step).then(
        () => setProblem(undefined),
        (e: Error) => setProblem(e.message),
      );
    }, SCRUB_MS);
  };
  return (
    <div className="timeline" data-testid="timeline" data-run={stored.id} data-step={stored.step ?? ''}>
      <span className="timeline__what" title={`Stored run ${stored.id}`}>
        Stored run <b>{stored.name}</b> <span className={`runs__status runs__status--${stored.status}`}>{stored.status}</span>
      </span>
      {steps.length > 1 ? (
        <>
          <input type="range" className="timeline__slider" data-testid="timeline-slider" aria-label="Step" min={0} max={steps.length - 1} value={at} onChange={(e) => scrub(Number(e.target.value))} />
          <span className="timeline__step" data-testid="timeline-step">
            step {stored.step ?? steps[at]} <span className="runs__sub">({at + 1} of {steps.length} frames)</span>
          </span>
        </>
      ) : (
        <span className="runs__sub">{steps.length ? `one probe frame, at step ${steps[0]}` : 'trained without probes: no layer or sample frames'}</span>
      )}
      {problem ? <span className="timeline__problem">{problem}</span> : null}
      <button type="button" data-testid="timeline-close" title="Stop showing this stored run" onClick={() => w.run.setState({ ...emptyRun })}>
        ✕
      </button>
    </div>
  );
}
