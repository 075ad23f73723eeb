import { useMemo } from 'react';
import { graphInputs, isGraphInput, type GraphIR } from '../../../src-engine/facade';
import type { ResultOf } from '../../../src-engine/protocol';
import { autoLayout, LAYOUT_SPACING } from '../editor/layout';
import { getHost } from '../host';
import { importOnnxFile } from '../training/export';
import { useExport, useWindow } from '../state/window';
import { useFiles } from './files-context';
import { formatCount } from './format';
import { Modal } from './Modal';

type Summary = ResultOf<'model.inspect'>;

/** A shape per sample as the canvas writes it: `N×3×32×32` (N: the batch). */
const shapeText = (shape: readonly number[] | undefined): string => (shape ? shape.map((d) => (d < 0 ? 'N' : String(d))).join('×') : '?');

/** The graph's box in the dialog at 1280×800 (CSS px), and the smallest scale it is drawn at. */
const GRAPH_BOX = { width: 820, height: 390 };
const MIN_SCALE = 0.7;

/** The most layers the drawing and the table show (a torchvision model has a few hundred). */
const MAX_SHOWN = 400;

/**
 * The read-only view of an ONNX file ("View ONNX…", #60): what the file is (opset, IR version,
 * producer, its node count), its graph drawn as the importer reads it with each layer's output
 * shape, and a table of layers with their parameters. Nothing of it is loaded: "Import as a
 * design…" imports it as Import ONNX… does (asking before it replaces the open design).
 */
export function OnnxView() {
  const w = useWindow();
  const files = useFiles();
  const viewing = useExport((s) => s.viewing);
  if (!viewing?.summary) return null;
  const { file, summary } = viewing;
  const close = () => w.exports.setState({ viewing: undefined });
  return (
    <Modal title={`${file.name} (read-only)`} testid="onnx-view" onClose={close} wide>
      <OnnxFacts summary={summary} />
      <OnnxGraph summary={summary} />
      <OnnxLayers summary={summary} />
      {summary.warnings.length ? (
        <ul className="onnx-view__warnings" data-testid="onnx-view-warnings">
          {summary.warnings.map((m, i) => (
            <li key={i}>{m}</li>
          ))}
        </ul>
      ) : null}
      <div className="modal__actions">
        <span className="onnx-view__hint">Nothing is loaded: the open design and its weights stay as they are.</span>
        <button type="button" data-testid="onnx-view-close" onClick={close}>
          Close
        </button>
        <button
          type="button"
          className="primary"
          data-testid="onnx-view-import"
          title="Open it as a new design with its weights, as Import ONNX… does"
          onClick={() => {
            close();
            void importOnnxFile(w, file, () => files.confirmDiscard('open'), getHost().files);
          }}
        >
          Import as a design…
        </button>
      </div>
    </Modal>
  );
}

function OnnxFacts({ summary }: { summary: Summary }) {
  const graph = summary.graph as unknown as GraphIR;
  const inputs = graphInputs(graph);
  const outputs = Object.entries(graph.outputs);
  const others = summary.opsets.filter((o) => o.domain !== 'ai.onnx');
  return (
    <div className="onnx-view__facts" data-testid="onnx-view-facts" data-opset={summary.opset} data-params={summary.params} data-layers={graph.nodes.length}>
      <p>
        <b>ONNX opset {summary.opset}</b>
        {others.length ? ` (+ ${others.map((o) => `${o.domain} ${o.version}`).join(', ')})` : ''} · IR version {summary.irVersion}
        {summary.producer ? ` · written by ${summary.producer}` : ''} · {summary.onnxNodes} ONNX nodes, read as {graph.nodes.length} layers · <b>{formatCount(summary.params)} parameters</b> ({summary.params.toLocaleString()})
      </p>
      {summary.untrained ? (
        <p className="onnx-view__untrained" data-testid="onnx-view-untrained">
          Exported before training: its weights are a design&apos;s initial ones (untrained).
        </p>
      ) : null}
      <p className="onnx-view__io">
        {inputs.map((n) => (
          <span key={n.id}>
            input <code>{n.id}</code> {shapeText(summary.shapes[n.id])}
          </span>
        ))}
        {outputs.map(([name, id]) => (
          <span key={name}>
            output <code>{name}</code> {shapeText(summary.shapes[id])}
          </span>
        ))}
      </p>
    </div>
  );
}

/** The graph as the importer reads it: one box per layer (op, name, output shape), laid out as the canvas lays out an import. */
function OnnxGraph({ summary }: { summary: Summary }) {
  const graph = summary.graph as unknown as GraphIR;
  const shown = useMemo(() => {
    const nodes = graph.nodes.slice(0, MAX_SHOWN);
    const ids = new Set(nodes.map((n) => n.id));
    return { ...graph, nodes: nodes.map((n) => ({ ...n, inputs: n.inputs.filter((s) => ids.has(s)) })) };
  }, [graph]);
  const layout = useMemo(() => autoLayout(shown, { direction: 'TB', aspect: GRAPH_BOX.width / GRAPH_BOX.height }), [shown]);
  const { width: W, height: H } = LAYOUT_SPACING;
  const box = { w: W, h: H - 16 };
  const pts = Object.values(layout);
  const width = Math.max(...pts.map((p) => p.x)) + box.w + 8;
  const height = Math.max(...pts.map((p) => p.y)) + box.h + 8;
  // A small graph fits the box whole; a large one is drawn no smaller than its words stay readable, and scrolls.
  const scale = Math.max(MIN_SCALE, Math.min(1, GRAPH_BOX.width / width, GRAPH_BOX.height / height));
  return (
    <div className="onnx-view__graph" data-testid="onnx-view-graph" data-scale={scale.toFixed(2)}>
      <svg width={width * scale} height={height * scale} viewBox={`-4 -4 ${width} ${height}`} role="img" aria-label={`The graph's ${shown.nodes.length} layers`}>
        {shown.nodes.flatMap((n) =>
          n.inputs
            .filter((s) => layout[s])
            .map((s) => {
              const a = layout[s];
              const b = layout[n.id];
              return <line key={`${s}->${n.id}`} className="onnx-view__edge" x1={a.x + box.w / 2} y1={a.y + box.h} x2={b.x + box.w / 2} y2={b.y} />;
            }),
        )}
        {shown.nodes.map((n) => {
          const p = layout[n.id];
          const params = summary.paramsByNode[n.id];
          return (
            <g key={n.id} transform={`translate(${p.x},${p.y})`} className={`onnx-view__node onnx-view__node--${isGraphInput(n) ? 'input' : 'layer'}`}>
              <title>{`${n.op} "${n.id}": ${shapeText(summary.shapes[n.id])}${params ? `, ${params.toLocaleString()} parameters` : ''}`}</title>
              <rect width={box.w} height={box.h} rx={5} />
              <text x={8} y={17} className="onnx-view__op">
                {n.op}
              </text>
              <text x={box.w - 8} y={17} textAnchor="end" className="onnx-view__id">
                {n.id.length > 16 ? `${n.id.slice(0, 15)}…` : n.id}
              </text>
              <text x={8} y={37} className="onnx-view__shape">
                {shapeText(summary.shapes[n.id])}
                {params ? ` · ${formatCount(params)} params` : ''}
              </text>
            </g>
          );
        })}
      </svg>
    </div>
  );
}

function OnnxLayers({ summary }: { summary: Summary }) {
  const graph = summary.graph as unknown as GraphIR;
  return (
    <details className="onnx-view__layers">
      <summary>Every layer: output shape and parameters</summary>
      <table className="add-data__table" data-testid="onnx-view-layers">
        <thead>
          <tr>
            <th>Layer</th>
            <th>Op</th>
            <th>Output per sample</th>
            <th>Parameters</th>
          </tr>
        </thead>
        <tbody>
          {graph.nodes.slice(0, MAX_SHOWN).map((n) => (
            <tr key={n.id}>
              <td>{n.id}</td>
              <td>{n.op}</td>
              <td>{shapeText(summary.shapes[n.id])}</td>
              <td>{summary.paramsByNode[n.id]?.toLocaleString() ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {graph.nodes.length > MAX_SHOWN ? <p className="onnx-view__hint">The first {MAX_SHOWN} of {graph.nodes.length} layers; import it to see them all on the canvas.</p> : null}
    </details>
  );
}
