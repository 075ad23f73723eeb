import { useMemo } from 'react';
import { fitToData, type DataShape, type GraphIR } from '../../../src-engine/facade';
import { draftProblem, type FieldDraft } from './field-drafts';
import { textReading } from '../training/add-data';
import { useAddData, useEditor, useFieldDrafts } from './window';

/**
 * A problem of the training settings rather than of the graph (issue #44): a field holding text
 * that cannot be used (`E_SETTING_INVALID`, with the field to focus), or the user's data the
 * design does not take (`E_DATA_MISMATCH`). Problems lists them with the graph's diagnostics and
 * Start refuses while any stands.
 */
export interface SettingProblem {
  code: 'E_SETTING_INVALID' | 'E_DATA_MISMATCH';
  message: string;
  /** The field's test id, to focus it. */
  field?: string;
  nodeId?: string;
}

/**
 * The mismatches between a design and the user's data it trains on (the last data used, while the
 * design's dataset is still that path and fingerprint): each one "Use this data" fixed and an edit
 * undid since, and each one it could not fix.
 */
export function dataProblems(graph: GraphIR, shapes: Readonly<Record<string, readonly number[]>>, used: { path: string; fingerprint: string; shape: DataShape; readings?: Readonly<Record<string, DataShape>> } | undefined): SettingProblem[] {
  const o = graph.training?.dataset.options;
  if (!used || o?.path !== used.path || o.fingerprint !== used.fingerprint) return [];
  // Labelled texts: the shape of the reading the design's options name (a tokenizer changed, or that change undone); none known: not judged.
  const reading = used.readings ? textReading(graph.training?.dataset) : undefined;
  const shape = reading !== undefined ? used.readings?.[reading] : used.shape;
  if (!shape) return [];
  const fit = fitToData(graph, shape, shapes);
  return [...fit.edits.map((e) => ({ code: 'E_DATA_MISMATCH' as const, message: e.problem, nodeId: e.nodeId })), ...fit.mismatches.map((message) => ({ code: 'E_DATA_MISMATCH' as const, message }))];
}

/** Every settings field's invalid draft as a problem naming the field. */
export function draftProblems(drafts: Readonly<Record<string, FieldDraft>>): SettingProblem[] {
  return Object.values(drafts).map((d) => ({ code: 'E_SETTING_INVALID', message: draftProblem(d), field: d.field, ...(d.nodeId !== undefined ? { nodeId: d.nodeId } : {}) }));
}

/** The settings' problems now (fields first, then the data), recomputed only when a field, the design or the data used changes. */
export function useSettingProblems(): SettingProblem[] {
  const drafts = useFieldDrafts((s) => s.drafts);
  const graph = useEditor((s) => s.history.present.graph);
  const shapes = useEditor((s) => s.analysis.shapes);
  const used = useAddData((s) => s.used);
  return useMemo(() => [...draftProblems(drafts), ...dataProblems(graph, shapes, used)], [drafts, graph, shapes, used]);
}

/**
 * Why Start (and the sanity check, a sweep) cannot train now, or undefined when it can: every
 * settings problem by name, else the design's own errors.
 *
 * @example startBlock(false, [{ code: 'E_SETTING_INVALID', message: 'Learning rate: “abc” is not used. Enter a number.' }])
 * // 'Learning rate: “abc” is not used. Enter a number.'
 */
export function startBlock(designErrors: boolean, problems: readonly SettingProblem[]): string | undefined {
  if (problems.length) return problems.map((p) => p.message).join(' ');
  return designErrors ? 'Fix the problems first' : undefined;
}
