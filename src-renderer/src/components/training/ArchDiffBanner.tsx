import { useTrainUi, useWindow } from '../../state/window';

/** Over the canvas while it shows an architecture diff: what it is compared against, what only the other has, and ✕. */
export function ArchDiffBanner() {
  const w = useWindow();
  const d = useTrainUi((s) => s.archDiff);
  if (!d) return null;
  const changed = Object.keys(d.changed).length;
  return (
    <div className="arch-banner" role="status" data-testid="arch-banner">
      <span>
        Differences from <b>{d.against}</b>: <span className="compare__added">{d.added.length} added</span> · <span className="compare__changed">{changed} changed</span>
        {d.removed.length ? <span className="arch-banner__removed"> · removed here: {d.removed.join(', ')}</span> : null}
      </span>
      <button type="button" data-testid="arch-banner-close" title="Stop colouring the differences" onClick={() => w.trainUi.getState().set({ archDiff: undefined })}>
        ✕
      </button>
    </div>
  );
}
