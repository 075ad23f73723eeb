import { decodeModel } from '../../export/onnx/proto';
import type { OnnxImport } from './import';
import { META } from '../../export/onnx/export';

/**
 * An ONNX file as a read-only view shows it (#60: "look at an ONNX without importing it"): what the
 * importer made of it (the checked graph, every node's output shape, its parameters) and what the
 * file says of itself (opset, IR version, producer, its own node count). Nothing is loaded or staged.
 */
export interface OnnxSummary {
  /** The graph as the importer reads it (IR JSON), laid out by the viewer. */
  graph: Record<string, unknown>;
  /** The default domain's opset (`ai.onnx`), and every domain's. */
  opset: number;
  opsets: { domain: string; version: number }[];
  irVersion: number;
  /** `producer_name producer_version` (`pytorch 2.3.0`, `Netwright 0.1.0`), empty when the file names none. */
  producer: string;
  /** The file's own nodes (before the importer folded shape sub-graphs and fused patterns). */
  onnxNodes: number;
  /** Trainable parameters in all, and per node that has any. */
  params: number;
  paramsByNode: Record<string, number>;
  /** Each node's output shape per sample (`-1`: the batch). */
  shapes: Record<string, number[]>;
  /** Netwright's own design came back whole (its metadata), and whether its weights are an untrained export's. */
  restored: boolean;
  untrained: boolean;
  warnings: string[];
}

/**
 * The summary of an ONNX file the importer read (`imported`, from `bytes`).
 *
 * @example onnxSummary(bytes, await importOnnxAsync(bytes)).opset // 17
 */
export function onnxSummary(bytes: Uint8Array, imported: OnnxImport): OnnxSummary {
  const file = decodeModel(bytes);
  const opsets = (file.opset_import ?? []).map((o) => ({ domain: o.domain || 'ai.onnx', version: Number(o.version) }));
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
    opset: opsets.find((o) => o.domain === 'ai.onnx')?.version ?? 0,
    opsets,
    irVersion: Number(file.ir_version ?? 0),
    producer: [file.producer_name, file.producer_version].filter(Boolean).join(' '),
    onnxNodes: file.graph?.node?.length ?? 0,
    params: Object.values(paramsByNode).reduce((a, b) => a + b, 0),
    paramsByNode,
    shapes: imported.checked.shapesAt(),
    restored: imported.restored,
    untrained,
    warnings: imported.warnings.map((w) => w.message),
  };
}
