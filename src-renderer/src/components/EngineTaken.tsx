import { useEngine, useWindow } from '../state/window';

/**
 * Web mode drives the engine from one tab at a time: when another tab took it, this one says so at
 * the top of the window, where the user looks (the status bar's "Disconnected" was its only sign),
 * with "Use it here", which takes it back (and the other tab says the same).
 */
export function EngineTaken() {
  const w = useWindow();
  const taken = useEngine((s) => s.taken);
  if (!taken) return null;
  return (
    <div className="engine-taken" role="alert" data-testid="engine-taken">
      <span>
        <strong>Netwright was opened in another tab</strong>, which now has the engine: this tab cannot train, predict or export until it takes the engine back. The design here stays as it is; a run
        goes on in the other tab.
      </span>
      <button type="button" className="primary" data-testid="engine-use-here" onClick={() => w.engine.getState().useHere()}>
        Use it here
      </button>
    </div>
  );
}
