/**
 * One ONNX import validates the graph it produces once (#45): the nodes are folded and mapped,
 * the classifier head is found on the mapped shapes, and only the result is checked; a Netwright
 * file's stored graph is checked once and its re-export reads that check.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { GraphIR } from '../../../../../src-engine/base/ir/types';
import type * as Validate from '../../../../../src-engine/core/analysis/validate';
import { exportOnnx } from '../../../../../src-engine/core/export/onnx';
import { importOnnx } from '../../../../../src-engine/core/import/onnx';
import { decodeModel, encodeModel } from '../../../../../src-engine/core/export/onnx/proto';
import { randomModel } from './harness';

// Count every validation: a spy over analyzeGraph, the one function that checks a graph.
const calls = vi.hoisted(() => ({ n: 0 }));
vi.mock('../../../../../src-engine/core/analysis/validate', async (importOriginal) => (await import('../../../count-validations')).countingValidate(await importOriginal<typeof Validate>(), calls));

const graph = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', '..', '..', '..', 'examples', 'iris-mlp.json'), 'utf8')) as GraphIR;
const bytes = exportOnnx(randomModel(graph, 1)).bytes;

/** The validations one import of `file` makes, and what it answered. */
function counted(file: Uint8Array) {
  calls.n = 0;
  const r = importOnnx(file);
  return { validations: calls.n, restored: r.restored, codes: r.warnings.map((w) => w.code) };
}

describe('one ONNX import validates once', () => {
  it('a Netwright file comes back as its stored graph, checked once', () => {
    expect(counted(bytes)).toEqual({ validations: 1, restored: true, codes: [] });
  });

  it('a file rebuilt from its nodes, recognised as a classifier, is checked once with its loss', () => {
    const file = decodeModel(bytes);
    file.metadata_props = [];
    expect(counted(encodeModel(file))).toEqual({ validations: 1, restored: false, codes: ['W_IMPORT_CLASSIFIER'] });
  });

  it('an edited Netwright file: its stored graph is checked once, then the graph rebuilt from its nodes once', () => {
    const file = decodeModel(bytes);
    file.graph.node = file.graph.node.map((n) => (n.op_type === 'Relu' ? { ...n, op_type: 'Sigmoid' } : n));
    expect(counted(encodeModel(file))).toEqual({ validations: 2, restored: false, codes: ['W_IMPORT_EDITED', 'W_IMPORT_CLASSIFIER'] });
  });
});
