import type { Attrs, NodeIR, TrainingConfig } from '../../../src-engine/facade';
import type { XY } from './document';
import type { EdgeRef } from './graph';

/**
 * Every edit a user can make, as data. `applyEdit` (reducer.ts) applies one to a document; the
 * history records the documents before and after, so every action undoes and redoes exactly.
 * `coalesce` merges consecutive actions with the same key into one undo step (one drag, one
 * typing burst in a field).
 */
export type EditAction =
  /** Add a node; with `output`, also name it as that graph output (a new loss becomes `loss`). */
  | { kind: 'add-node'; node: NodeIR; position: XY; output?: string }
  /**
   * Add a node on an existing edge: `edge.source → node → edge.target` (the node's first input
   * reads the source, the target's slot reads the node). One undo step.
   */
  | { kind: 'insert-node'; node: NodeIR; position: XY; edge: EdgeRef }
  /** Remove nodes (and every edge touching them) and edges. */
  | { kind: 'remove'; nodeIds: readonly string[]; edges?: readonly EdgeRef[] }
  | { kind: 'move'; positions: Readonly<Record<string, XY>>; coalesce?: string }
  /** Connect `edge.source` into `edge.target`'s slot; an occupied slot is rewired. */
  | { kind: 'connect'; edge: EdgeRef }
  | { kind: 'disconnect'; edges: readonly EdgeRef[] }
  /** Set the same attrs on every listed node (multi-select edits the common attrs). */
  | { kind: 'set-attrs'; nodeIds: readonly string[]; attrs: Attrs; coalesce?: string }
  /**
   * Change a node's op in place (a classifier's loss into a regression's, for data of values): its
   * id, inputs and place stay, its attributes become `attrs`. The new op takes as many inputs.
   */
  | { kind: 'set-op'; nodeId: string; op: string; attrs: Attrs; coalesce?: string }
  | { kind: 'rename'; from: string; to: string; coalesce?: string }
  /** Insert nodes (already given fresh ids, see clipboard.ts) with their positions. */
  | { kind: 'paste'; nodes: readonly NodeIR[]; layout: Readonly<Record<string, XY>> }
  /** Move every listed node at once (auto-layout). */
  | { kind: 'layout'; positions: Readonly<Record<string, XY>> }
  | { kind: 'set-name'; name: string; coalesce?: string }
  | { kind: 'set-training'; training: TrainingConfig | undefined; coalesce?: string }
  | { kind: 'set-output'; name: string; nodeId: string | undefined; coalesce?: string }
  /** Make the nodes one group of `graph.groups` (folded; `id`, also its name, defaults to a fresh `blockN`), nested in the smallest group holding them. */
  | { kind: 'group'; nodeIds: readonly string[]; id?: string }
  | { kind: 'ungroup'; groupId: string }
  /** Open a group (its members drawn as they are) or close it (drawn as one card). */
  | { kind: 'set-group-open'; groupId: string; open: boolean }
  /**
   * Freeze (or thaw) every listed node — one node, a selection, a group's members, a backbone:
   * fine-tuning leaves their parameters (and BatchNorm statistics) as they are (`NodeIR.frozen`).
   */
  | { kind: 'set-frozen'; nodeIds: readonly string[]; frozen: boolean }
  /**
   * Replace a classifier's head layer with one of `classes` outputs under a new id (`newId`,
   * default a fresh `head`), so it starts from fresh weights; what read the old head reads the new
   * one. One undo step.
   */
  | { kind: 'replace-head'; nodeId: string; classes: number; newId?: string };

export type EditKind = EditAction['kind'];

/** Why an edit was refused. Codes are stable; messages say what to do. */
export interface EditRefusal {
  code: string;
  message: string;
  nodeId?: string;
}

export const EditCode = {
  UNKNOWN_NODE: 'E_EDIT_UNKNOWN_NODE',
  UNKNOWN_OP: 'E_EDIT_UNKNOWN_OP',
  DUPLICATE_ID: 'E_EDIT_DUPLICATE_ID',
  BAD_ID: 'E_EDIT_BAD_ID',
  CYCLE: 'E_EDIT_CYCLE',
  SELF_LOOP: 'E_EDIT_SELF_LOOP',
  NO_SUCH_INPUT: 'E_EDIT_NO_SUCH_INPUT',
  SHAPE: 'E_EDIT_SHAPE',
  BAD_ATTR: 'E_EDIT_BAD_ATTR',
  NO_SUCH_EDGE: 'E_EDIT_NO_SUCH_EDGE',
  CANNOT_INSERT: 'E_EDIT_CANNOT_INSERT',
  GROUP_TOO_SMALL: 'E_GROUP_TOO_SMALL',
  GROUP_OVERLAP: 'E_GROUP_OVERLAP',
  GROUP_DISCONNECTED: 'E_GROUP_DISCONNECTED',
  GROUP_LEAKS: 'E_GROUP_LEAKS',
  UNKNOWN_GROUP: 'E_GROUP_UNKNOWN',
} as const;
