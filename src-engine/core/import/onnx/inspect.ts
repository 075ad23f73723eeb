import { decodeModel } from '../../export/onnx/proto';
import type { OnnxImport } from './import';
import { META } from '../../export/onnx/export';
import { IMPORT_TEXT_LIMITS, type OnnxSummary } from '../../../base/schemas';

export type { OnnxSummary };

/**
 * An import's warnings as its answer carries them (`ImportWarnings`): each cut to 2,000
 * characters, and at most 1,000, the last of them then saying how many more there were.
 */
export function importWarningTexts(warnings: readonly { message: string }[]): string[] {
  const { warnings: most, warningChars } = IMPORT_TEXT_LIMITS;
  const texts = warnings.map((w) => cut(w.message, warningChars));
  if (texts.length <= most) return texts;
  return [...texts.slice(0, most - 1), `… and ${(texts.length - most + 1).toLocaleString('en-US')} more warnings.`];
}

/** A text of at most `max` UTF-16 units: cut with an ellipsis, never through a surrogate pair. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let head = text.slice(0, max - 1);
  if (/[\uD800-\uDBFF]$/.test(head)) head = head.slice(0, -1);
  return `${head}…`;
}

/** A count or version the file states (an int64): itself when it is a whole number from 0 to 2⁵³, else 0 (as for one the file leaves out). */
function stated(v: unknown): number {
  const n = Number(v ?? 0);
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
}

/**
 * The summary of an ONNX file the importer read (`imported`, from `bytes`).
 *
 * @example onnxSummary(bytes, await importOnnxAsync(bytes)).opset // 17
 */
export function onnxSummary(bytes: Uint8Array, imported: OnnxImport): OnnxSummary {
  const file = decodeModel(bytes);
  const all = (file.opset_import ?? []).map((o) => ({ domain: cut(o.domain || 'ai.onnx', IMPORT_TEXT_LIMITS.domainChars), version: stated(o.version) }));
  const opsets = all.slice(0, IMPORT_TEXT_LIMITS.opsets);
  const paramsByNode: Record<string, number> = {};
  for (const [key, value] of Object.entries(imported.model.params)) {
    const node = key.slice(0, key.lastIndexOf('.'));
    paramsByNode[node] = (paramsByNode[node] ?? 0) + value.length;
  }
  const exported = file.metadata_props?.find((p) => p.key === META.exported)?.value;
  let untrained = false;
  try {
    untrained = exported !== undefined && (JSON.parse(exported) as { untrained?: unknown }).untrained === true;
  } catch {
    // Metadata that is not JSON says nothing of the weights.
  }
  return {
    graph: imported.checked.ir as unknown as Record<string, unknown>,
    opset: all.find((o) => o.domain === 'ai.onnx')?.version ?? 0,
    opsets,
    irVersion: stated(file.ir_version),
    producer: cut([file.producer_name, file.producer_version].filter(Boolean).join(' '), IMPORT_TEXT_LIMITS.producerChars),
    onnxNodes: file.graph?.node?.length ?? 0,
    params: Object.values(paramsByNode).reduce((a, b) => a + b, 0),
    paramsByNode,
    shapes: imported.checked.shapesAt(),
    restored: imported.restored,
    untrained,
    warnings: importWarningTexts(imported.warnings),
  };
}
