import { useMemo } from 'react';
import { describeDiff, diffGraphs } from '../../../../src-engine/facade';
import { engineGraph } from '../../editor/analysis';
import { isLive } from '../../training/model';
import { useEditor, useRun } from '../../state/window';

/**
 * Says so when the charts show a run of another design than the canvas: the user edited the graph
 * during (or after) the run, which goes on with the design it started with.
 */
export function DesignBanner() {
  const runGraph = useRun((s) => s.graph);
  const phase = useRun((s) => s.phase);
  const canvas = useEditor((s) => s.history.present.graph);
  const diff = useMemo(() => (runGraph ? diffGraphs(runGraph, engineGraph(canvas)) : undefined), [runGraph, canvas]);
  if (!diff || !runGraph || phase === 'idle' || phase === 'starting') return null;
  const n = diff.added.length + diff.removed.length + diff.changed.length + diff.outputs.length;
  if (n === 0) return null;
  const live = isLive(phase);
  return (
    <div className="design-banner" role="status" data-testid="design-banner" title={describeDiff(diff, 50)}>
      <b>{live ? 'The canvas no longer matches the running design.' : 'These results are of an earlier version of this design.'}</b>{' '}
      {live ? 'The run goes on with the design it started with; train again to use your changes.' : 'Train again to see your changes.'}{' '}
      <span className="design-banner__diff">Changed since: {describeDiff(diff, 3)}</span>
    </div>
  );
}
