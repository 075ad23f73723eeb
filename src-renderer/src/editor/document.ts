import { type GraphIR, type NodeIR, GRAPH_FORMAT, GRAPH_VERSION, type ComputeChoice } from '../../../src-engine/facade';

/** A point on the canvas, in flow coordinates. */
export interface XY {
  x: number;
  y: number;
}

/**
 * What the editor edits: the IR the engine trains, plus where each node sits on the canvas.
 * Treated as immutable: reducers return a new document and share every unchanged node, layout
 * entry and array with the old one, so undo history is cheap and React can compare by reference.
 */
export interface EditorDoc {
  readonly graph: GraphIR;
  readonly layout: Readonly<Record<string, XY>>;
  /**
   * Ids of the groups (`graph.groups`) drawn open; the others are folded into one card each
   * (editor/groups.ts). View state like the layout, saved in the project's `ui.openGroups`; kept
   * in the document so opening and closing undo. Absent: all folded.
   */
  readonly open?: readonly string[];
}

/** The project file's `format` marker and version: the engine's CLIs read and write projects too. */
import { PROJECT_FORMAT, PROJECT_VERSION } from '../../../src-engine/facade';
export { PROJECT_FORMAT, PROJECT_VERSION };

/** Canvas state saved with a project that is not part of the network (viewport, …). */
export interface ProjectUi {
  viewport?: { x: number; y: number; zoom: number };
  /** Which way the canvas reads (handles on top/bottom or left/right); absent: top to bottom. */
  layoutDirection?: 'TB' | 'LR';
  /**
   * Where this project's runs train (`train.start`'s `backend`, the protocol's `ComputeChoice`; the Train panel's Device): absent
   * is `auto`. Kept with the project rather than in the IR: it is a choice about this machine,
   * not part of the network, so a design trains the same wherever it is opened.
   */
  device?: ComputeChoice;
  /** The open groups (only in the file: in memory they live in `EditorDoc.open`, so they undo). */
  openGroups?: readonly string[];
  /** Groups as an older Netwright saved them (flat, view state); read into `graph.groups` on opening. */
  groups?: unknown;
}

/**
 * A project file: the IR, the canvas layout and UI state. Training settings live in
 * `graph.training`, so the IR alone is enough to train.
 *
 * @example
 * ```json
 * { "format": "netwright.project", "version": 1,
 *   "graph": { "format": "netwright.graph", "version": 1, "nodes": [...], "outputs": {...} },
 *   "layout": { "x": { "x": 0, "y": 0 } } }
 * ```
 */
export interface ProjectFile {
  format: typeof PROJECT_FORMAT;
  version: number;
  graph: GraphIR;
  layout: Record<string, XY>;
  ui?: ProjectUi;
  /** The project's id (`newProjectId`): its runs record it, so they stay its own through Save As and renames. */
  id?: string;
  /**
   * The trained model of the run the project showed when saved: a `netwright.model` object
   * (docs/export.md, "Weights kept with the project"). Absent when nothing was trained.
   */
  model?: Record<string, unknown>;
}

/** A new project's id: 8 random bytes, hex (train.ts `ProjectIdSchema`). */
export function newProjectId(): string {
  return [...crypto.getRandomValues(new Uint8Array(8))].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** A new, empty network. */
export function emptyDoc(name = 'Untitled'): EditorDoc {
  return { graph: { format: GRAPH_FORMAT, version: GRAPH_VERSION, name, nodes: [], outputs: {} }, layout: {} };
}

/** The node called `id`, if any. */
export function findNode(doc: EditorDoc, id: string): NodeIR | undefined {
  return doc.graph.nodes.find((n) => n.id === id);
}
