import { Handle, Position, useStore, useUpdateNodeInternals, type NodeProps } from '@xyflow/react';
import { memo, useEffect, useRef } from 'react';
import { getOp, formatShape, isProbedOp } from '../../../src-engine/facade';
import type { OpFlowNode } from '../editor/flow';
import { OUTPUT_HANDLE, inputHandle } from '../editor/flow';
import { isVariadic, slotName } from '../editor/graph';
import { overlaysOf, SPARK_H, SPARK_VIEWBOX, SPARK_W } from '../training/overlay';
import { isLive, overlayFrame, runElsewhere } from '../training/model';
import { formatBytes, formatCount, formatMs } from './format';
import { LockIcon } from './LockIcon';
import { holdsWeights } from '../editor/fine-tune';
import { selectDetail } from './ShapeEdge';
import { useEditor, useLatency, useRun, useTrainUi } from '../state/window';
import { selectLatencyStale } from '../state/latency-store';

/**
 * Live probe overlay of one node: a sparkline histogram of its output and a badge per health
 * warning with the suggested fix. It selects its own node's overlay object, which changes only
 * when a new probe frame arrives, so progress ticks never re-render nodes. While a probed run
 * waits for its first frame, an empty sparkline holds the row's place: the node does not grow
 * (and the canvas re-measure and re-route its edges) in the middle of training.
 */
function NodeProbe({ id, probed }: { id: string; probed: boolean }) {
  const on = useTrainUi((s) => s.overlays);
  // Another project's run (see runElsewhere) draws nothing on this design.
  const loadSeq = useEditor((s) => s.loadSeq);
  const o = useRun((s) => (on ? overlaysOf(overlayFrame(s, loadSeq))?.get(id) : undefined));
  // Drawn from the previous run's last frame (see overlayFrame): no health badges, no live test ids.
  const previous = useRun((s) => !s.frame);
  const waiting = useRun((s) => on && probed && s.probes && !s.frame && (s.phase === 'starting' || isLive(s.phase)) && !runElsewhere(s, loadSeq));
  if (!o) {
    return waiting ? (
      <div className="op-node__probe" aria-hidden="true" data-testid={`node-probe-pending-${id}`}>
        <svg className="op-node__spark" width={SPARK_W} height={SPARK_H} />
      </div>
    ) : null;
  }
  const worst = previous ? undefined : o.health.some((h) => h.severity === 'error') ? 'error' : o.health.length ? 'warning' : undefined;
  return (
    <div className="op-node__probe" data-testid={previous ? undefined : `node-probe-${id}`}>
      {o.path ? (
        <svg className="op-node__spark" width={SPARK_W} height={SPARK_H} viewBox={SPARK_VIEWBOX} data-testid={previous ? undefined : `node-spark-${id}`}>
          <title>{`output in [${o.min.toPrecision(3)}, ${o.max.toPrecision(3)}]${o.deadFrac !== undefined ? ` · ${(o.deadFrac * 100).toFixed(0)}% dead` : ''}${o.saturatedFrac !== undefined ? ` · ${(o.saturatedFrac * 100).toFixed(0)}% saturated` : ''}${typeof o.gradNorm === 'number' ? ` · ‖∇‖ ${o.gradNorm.toExponential(2)}` : ''}`}</title>
          <path d={o.path} />
        </svg>
      ) : null}
      {worst ? (
        <span className={`badge badge--health badge--${worst}`} data-testid={`node-health-${id}`} data-codes={o.health.map((h) => h.code).join(' ')} title={o.health.map((h) => `${h.message}\nFix: ${h.fix}`).join('\n\n')}>
          ⚠ {o.health[0].code.replace('HEALTH_', '').toLowerCase().replace('_', ' ')}
        </span>
      ) : null}
    </div>
  );
}

/**
 * A node's cost at batch 1 as the engine measured it (state/latency-store.ts): its forward time and
 * its memory (output and weights). Greyed, and said so, while the design has changed since.
 */
function NodeCost({ id }: { id: string }) {
  const cost = useLatency((s) => s.byId[id]);
  const stale = useLatency(selectLatencyStale);
  if (!cost) return null;
  const fused = cost.fusedWith?.length ? `\nRuns fused with ${cost.fusedWith.join(', ')} as one kernel: its share of that kernel's time, by FLOPs.` : '';
  const title = `${stale ? 'Measured before the last edit; measuring again…\n' : ''}Forward at batch 1: ${cost.ms.toFixed(4)} ms (median)${fused}\nMemory: ${formatBytes(cost.activationBytes)} output + ${formatBytes(cost.paramBytes)} weights`;
  return (
    <span className={`badge badge--cost${stale ? ' badge--stale' : ''}`} data-testid={`node-latency-${id}`} data-stale={stale ? 'true' : 'false'} title={title}>
      {formatMs(cost.ms)} · {formatBytes(cost.activationBytes + cost.paramBytes)}
    </span>
  );
}

/** Longest node id the zoomed-out label shows (in smaller type the longer it is; see `ZoomedOutLabel`). */
const FAR_NAME_MAX = 16;

/**
 * The name a card shows zoomed out: its id, or its op when the id would be cut (an imported
 * model's ids carry their module path, `features_denseblock1_denselayer3_conv1`).
 */
export const farName = (id: string, op: string): string => (id.length <= FAR_NAME_MAX ? id : op);

/**
 * What a card shows zoomed out (below `LABEL_MIN_ZOOM`: the canvas's `canvas--far` class): its name
 * and one more line in type that stays readable, over the card's other content, which keeps its
 * place (hidden, not removed). So crossing a level of detail changes a class on the canvas and
 * nothing else: no card re-renders, none changes size, React Flow re-measures nothing and no edge
 * moves (on 1,000 nodes each crossing cost 0.2–0.7 s when the cards re-rendered at 180×70).
 */
export function ZoomedOutLabel({ name, detail }: { name: string; detail: string }) {
  // Longer names in smaller type (34 px down to 14), so a name of up to FAR_NAME_MAX characters fits the card uncut.
  const size = Math.round(Math.min(34, Math.max(14, 210 / Math.max(1, name.length))));
  return (
    <div className="op-node__lod">
      <b style={size < 34 ? { fontSize: `${size}px` } : undefined}>{name}</b>
      <span>{detail}</span>
    </div>
  );
}

/**
 * A node on the canvas: op and id, one target handle per declared input (variadic inputs get one
 * more than they have), one output handle, and badges for the output shape, parameter count and
 * diagnostics. Each badge selects its own slice of the analysis, so a recompile re-renders only
 * nodes whose figures changed.
 */
function OpNodeView({ id, data, selected }: { id: string; data: OpFlowNode['data']; selected: boolean }) {
  const ir = data.ir;
  const def = getOp(ir.op);
  const shape = useEditor((s) => (s.analysis.shapes[id] ? formatShape(s.analysis.shapes[id]) : ''));
  const params = useEditor((s) => s.analysis.nodeParams[id]);
  const flops = useEditor((s) => s.analysis.nodeFlops[id]);
  const problems = useEditor((s) => s.analysis.byNode[id]);
  const errors = problems?.filter((d) => d.severity === 'error') ?? [];
  const warnings = problems?.filter((d) => d.severity === 'warning') ?? [];
  const slots = def ? (isVariadic(def) ? Math.max(ir.inputs.length + 1, def.inputs.length) : Math.max(def.inputs.length, ir.inputs.length)) : ir.inputs.length;
  const level = errors.length ? 'error' : warnings.length ? 'warning' : 'ok';
  // Left to right: inputs on the left edge, the output on the right; else top and bottom.
  const lr = useEditor((s) => s.ui.layoutDirection === 'LR');
  // Handles moved to other edges: React Flow must measure them again, or edges keep the old ends.
  // NOTE: not on mount (React Flow measures a new node itself): each call is a store update that
  // every mounted node's selectors see, so 1,000 nodes mounting at once (opening a big design,
  // zooming out past the culling threshold) cost ~1,000² selector runs.
  const updateInternals = useUpdateNodeInternals();
  const measuredLr = useRef(lr);
  useEffect(() => {
    if (measuredLr.current === lr) return;
    measuredLr.current = lr;
    updateInternals(id);
  }, [lr, id, updateInternals]);
  const along = (slot: number) => ({ [lr ? 'top' : 'left']: `${((slot + 1) / (slots + 1)) * 100}%` });
  // The op file says what its card shows (OpDef.card); the inspector shows every attribute.
  const text = getOp(ir.op)?.card?.(ir.attrs) ?? '';
  // An architecture diff on the canvas (compare view ▸ Show on canvas): added or changed here.
  const diff = useTrainUi((s) => (s.archDiff ? (s.archDiff.added.includes(id) ? 'added' : Object.hasOwn(s.archDiff.changed, id) ? 'changed' : undefined) : undefined));
  const diffNote = useTrainUi((s) => (s.archDiff && Object.hasOwn(s.archDiff.changed, id) ? s.archDiff.changed[id] : undefined));
  // The full card is built the first time the canvas shows cards in full, and kept from then on
  // (the selector stays true), so crossing a level of detail re-renders nothing. Cards that mount
  // zoomed out (1,000 at once when a big design is opened at fit, or when zooming out turns
  // culling off) build only the zoomed-out label until then.
  const seenNear = useRef(false);
  const shown = useStore((s) => (seenNear.current ||= selectDetail(s) === 'near'));
  const handles = (
    <>
      {Array.from({ length: slots }, (_, slot) => (
        <Handle
          key={slot}
          type="target"
          position={lr ? Position.Left : Position.Top}
          id={inputHandle(slot)}
          style={along(slot)}
          className="op-handle op-handle--in"
          data-testid={`handle-${id}-in-${slot}`}
          title={def ? slotName(def, slot) : `input ${slot + 1}`}
        />
      ))}
      <Handle type="source" position={lr ? Position.Right : Position.Bottom} id={OUTPUT_HANDLE} className="op-handle op-handle--out" data-testid={`handle-${id}-out`} />
    </>
  );
  const className = `op-node op-node--${def?.category ?? 'unknown'} op-node--${level}${selected ? ' op-node--selected' : ''}${diff ? ` op-node--diff-${diff}` : ''}${ir.frozen && holdsWeights(ir.op) ? ' op-node--frozen' : ''}`;
  if (!shown) {
    // Mounted zoomed out and never zoomed in since: only what that level shows, in the layout's box.
    return (
      <div className={`${className} op-node--lod-only`} data-testid={`node-${id}`} data-op={ir.op} data-shape={shape} data-diagnostics={errors.length + warnings.length} title={`${ir.op} ${id}${shape ? ` → ${shape}` : ''}`}>
        {handles}
        <ZoomedOutLabel name={farName(id, ir.op)} detail={shape || ir.op} />
      </div>
    );
  }
  return (
    <div
      className={className}
      data-testid={`node-${id}`}
      data-op={ir.op}
      data-diff={diff}
      data-shape={shape}
      data-diagnostics={errors.length + warnings.length}
      title={def?.doc}
    >
      {handles}
      {slots > 1 ? (
        <div className={lr ? 'op-node__slots op-node__slots--lr' : 'op-node__slots'}>
          {Array.from({ length: slots }, (_, slot) => (
            <span key={slot} style={along(slot)}>
              {def ? slotName(def, slot) : slot + 1}
            </span>
          ))}
        </div>
      ) : null}
      <div className="op-node__head">
        <span className="op-node__op">{ir.op}</span>
        <span className="op-node__id">{id}</span>
      </div>
      {text ? <div className="op-node__summary">{text}</div> : null}
      {diff ? (
        <div className={`op-node__diff op-node__diff--${diff}`} data-testid={`node-diff-${id}`}>
          {diff === 'added' ? '+ added' : `~ ${diffNote}`}
        </div>
      ) : null}
      <div className="op-node__badges">
        {shape ? (
          <span className="badge badge--shape" data-testid={`node-shape-${id}`}>
            {shape}
          </span>
        ) : null}
        {params ? (
          <span className="badge badge--params" data-testid={`node-params-${id}`} title={`${params.toLocaleString()} ${ir.frozen ? 'frozen' : 'trainable'} parameters`}>
            {formatCount(params)} params
          </span>
        ) : null}
        {flops ? (
          <span className="badge badge--flops" data-testid={`node-flops-${id}`} title={`${flops.toLocaleString()} forward FLOPs per sample`}>
            {formatCount(flops)} FLOPs
          </span>
        ) : null}
        <NodeCost id={id} />
        {ir.frozen && holdsWeights(ir.op) ? (
          <span className="badge badge--frozen" data-testid={`node-frozen-${id}`} title="Frozen: training leaves its parameters (and BatchNorm statistics) as they are">
            <LockIcon /> frozen
          </span>
        ) : null}
        {level !== 'ok' ? (
          <span className={`badge badge--${level}`} data-testid={`node-diagnostic-${id}`} title={[...errors, ...warnings].map((d) => `${d.code}: ${d.message}`).join('\n')}>
            {level === 'error' ? '!' : '?'} {errors.length + warnings.length}
          </span>
        ) : null}
      </div>
      <NodeProbe id={id} probed={isProbedOp(ir.op)} />
      <ZoomedOutLabel name={farName(id, ir.op)} detail={shape || ir.op} />
    </div>
  );
}

const OpNodeCard = memo(OpNodeView);

/**
 * React Flow passes a node its absolute position too, so a memo over all its props re-renders the
 * whole card on every move (1,000 cards on Layout); the card sees only what it draws.
 */
export const OpNode = memo(function OpNode({ id, data, selected }: NodeProps<OpFlowNode>) {
  return <OpNodeCard id={id} data={data} selected={selected === true} />;
});
