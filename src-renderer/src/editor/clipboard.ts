import type { NodeIR } from '../../../src-engine/facade';
import type { EditAction } from './actions';
import type { EditorDoc, XY } from './document';
import { UNCONNECTED } from './graph';

/** Copied nodes with their positions; edges among them are kept, edges from outside are dropped. */
export interface Clipboard {
  format: 'netwright.clipboard';
  nodes: NodeIR[];
  layout: Record<string, XY>;
}

/** Copy the selected nodes (a deep copy: later edits to the document do not reach the clipboard). */
export function copyNodes(doc: EditorDoc, ids: ReadonlySet<string>): Clipboard | undefined {
  const nodes = doc.graph.nodes.filter((n) => ids.has(n.id));
  if (nodes.length === 0) return undefined;
  return {
    format: 'netwright.clipboard',
    nodes: nodes.map((n) => ({ ...structuredClone(n), inputs: n.inputs.map((s) => (ids.has(s) ? s : UNCONNECTED)) })),
    layout: Object.fromEntries(nodes.map((n) => [n.id, { ...(doc.layout[n.id] ?? { x: 0, y: 0 }) }])),
  };
}

/**
 * The paste action for a clipboard: fresh ids (`linear` → `linear2`), internal edges rewired to
 * the new ids, positions shifted by `offset`. Duplicate = copy + paste with an offset.
 */
export function pasteAction(doc: EditorDoc, clip: Clipboard, offset: XY = { x: 40, y: 40 }): Extract<EditAction, { kind: 'paste' }> {
  const taken = new Set(doc.graph.nodes.map((n) => n.id));
  const rename = new Map<string, string>();
  for (const n of clip.nodes) {
    const base = /^[A-Za-z_]/.test(n.id.replace(/\d+$/, '')) ? n.id.replace(/\d+$/, '') : n.id;
    let id = base;
    for (let i = 2; taken.has(id); i++) id = `${base}${i}`;
    rename.set(n.id, id);
    taken.add(id);
  }
  const r = (s: string) => (s === UNCONNECTED ? s : (rename.get(s) ?? UNCONNECTED));
  const nodes = clip.nodes.map((n) => ({ ...structuredClone(n), id: rename.get(n.id)!, inputs: n.inputs.map(r) }));
  const layout = Object.fromEntries(clip.nodes.map((n) => [rename.get(n.id)!, { x: (clip.layout[n.id]?.x ?? 0) + offset.x, y: (clip.layout[n.id]?.y ?? 0) + offset.y }]));
  return { kind: 'paste', nodes, layout };
}
