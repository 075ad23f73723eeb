import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeDesign } from '../../../src-renderer/src/editor/analysis';
import { PROJECT_FORMAT, type ProjectFile } from '../../../src-renderer/src/editor/document';
import { ProjectCode, parseProject, serializeProject } from '../../../src-renderer/src/editor/project';
import { readTemplates } from '../../../src-renderer/src/editor/templates';
import { mlpDoc } from './fixtures';

const EXAMPLES = path.resolve(__dirname, '../../../examples');

describe('project files', () => {
  it('save → open gives the identical document and UI state', () => {
    const doc = mlpDoc();
    const ui = { viewport: { x: 10, y: -20, zoom: 0.75 } };
    const text = serializeProject(doc, ui);
    expect(JSON.parse(text).format).toBe(PROJECT_FORMAT);
    const r = parseProject(text);
    if (!r.ok) throw new Error(r.message);
    expect(r.doc).toEqual(doc);
    expect(r.ui).toEqual(ui);
    expect(r.notes).toEqual([]);
    expect(serializeProject(r.doc, r.ui)).toBe(text);
  });

  it('keeps frozen nodes (IR v3) through save → open', () => {
    const base = mlpDoc();
    const doc = { ...base, graph: { ...base.graph, nodes: base.graph.nodes.map((n) => (n.id === 'fc1' ? { ...n, frozen: true } : n)) } };
    const r = parseProject(serializeProject(doc));
    if (!r.ok) throw new Error(r.message);
    expect(r.doc.graph.nodes.filter((n) => n.frozen).map((n) => n.id)).toEqual(['fc1']);
    expect(r.doc).toEqual(doc);
  });

  it("keeps the Train panel's Device with the project; an unknown one opens as Auto with a note", () => {
    const doc = mlpDoc();
    const r = parseProject(serializeProject(doc, { device: 'gpu' }));
    if (!r.ok) throw new Error(r.message);
    expect(r.ui).toEqual({ device: 'gpu' });
    const bad = parseProject(JSON.stringify({ ...JSON.parse(serializeProject(doc, { layoutDirection: 'LR' })), ui: { layoutDirection: 'LR', device: 'tpu' } }));
    if (!bad.ok) throw new Error(bad.message);
    expect(bad.ui).toEqual({ layoutDirection: 'LR' });
    expect(bad.notes).toEqual([expect.stringMatching(/Device "tpu".*Auto/)]);
  });

  const good = () => JSON.parse(serializeProject(mlpDoc())) as ProjectFile;
  const cases: [string, string, string, RegExp][] = [
    ['not JSON', '{ "format": "netwright.project", ', ProjectCode.NOT_JSON, /not valid JSON/],
    ['empty file', '', ProjectCode.NOT_JSON, /not valid JSON/],
    ['a JSON array', '[1, 2]', ProjectCode.FOREIGN, /not a Netwright project/],
    ['another tool\'s file', '{ "format": "onnx", "nodes": [] }', ProjectCode.FOREIGN, /format is "onnx"/],
    ['no format', '{ "nodes": [] }', ProjectCode.FOREIGN, /not stated/],
    ['a newer project version', JSON.stringify({ ...good(), version: 99 }), ProjectCode.NEWER, /newer Netwright/],
    ['a newer graph version', JSON.stringify({ ...good(), graph: { ...good().graph, version: 99 } }), ProjectCode.NEWER, /newer Netwright/],
    ['no graph', JSON.stringify({ ...good(), graph: undefined }), ProjectCode.CORRUPT, /no network/],
    ['nodes not a list', JSON.stringify({ ...good(), graph: { ...good().graph, nodes: {} } }), ProjectCode.CORRUPT, /not a list/],
    ['a node without id', JSON.stringify({ ...good(), graph: { ...good().graph, nodes: [{ op: 'ReLU' }] } }), ProjectCode.CORRUPT, /no id or op/],
    ['duplicate ids', JSON.stringify({ ...good(), graph: { ...good().graph, nodes: [{ id: 'a', op: 'ReLU' }, { id: 'a', op: 'ReLU' }] } }), ProjectCode.CORRUPT, /two nodes/],
    ['an unknown op', JSON.stringify({ ...good(), graph: { ...good().graph, nodes: [{ id: 'a', op: 'Transformer', attrs: {}, inputs: [] }] } }), ProjectCode.UNKNOWN_OP, /"Transformer"/],
    ['a dangling input', JSON.stringify({ ...good(), graph: { ...good().graph, nodes: [{ id: 'a', op: 'ReLU', attrs: {}, inputs: ['ghost'] }] } }), ProjectCode.CORRUPT, /"ghost"/],
    ['inputs not strings', JSON.stringify({ ...good(), graph: { ...good().graph, nodes: [{ id: 'a', op: 'ReLU', attrs: {}, inputs: [1] }] } }), ProjectCode.CORRUPT, /inputs/],
    ['layout not an object', JSON.stringify({ ...good(), layout: [] }), ProjectCode.CORRUPT, /layout/],
    ['a bad version', JSON.stringify({ ...good(), version: '1' }), ProjectCode.CORRUPT, /version/],
  ];
  for (const [what, text, code, message] of cases) {
    it(`refuses ${what} with ${code} and a clear message`, () => {
      const r = parseProject(text);
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.code).toBe(code);
      expect(r.message).toMatch(message);
    });
  }

  it('places nodes that have no saved position, and says so', () => {
    const f = good();
    delete f.layout.fc1;
    const r = parseProject(JSON.stringify(f));
    if (!r.ok) throw new Error(r.message);
    expect(r.doc.layout.fc1).toEqual({ x: expect.any(Number), y: expect.any(Number) });
    expect(r.notes.join(' ')).toMatch(/placed automatically/);
  });

  it('fills missing attrs with the registry defaults and widens single numbers for pair attrs', () => {
    const f = good();
    f.graph.nodes.push({ id: 'pool', op: 'MaxPool2d', attrs: { kernelSize: 2 }, inputs: [] });
    const r = parseProject(JSON.stringify(f));
    if (!r.ok) throw new Error(r.message);
    const pool = r.doc.graph.nodes.find((n) => n.id === 'pool')!;
    expect(pool.attrs.kernelSize).toEqual([2, 2]);
    expect(Object.keys(pool.attrs).length).toBeGreaterThan(1);
  });
});

describe('templates', () => {
  const files = Object.fromEntries(readdirSync(EXAMPLES).filter((f) => f.endsWith('.json')).map((f) => [`../../../examples/${f}`, JSON.parse(readFileSync(path.join(EXAMPLES, f), 'utf8'))]));

  it('opens every example as an editable graph with no errors', () => {
    const templates = readTemplates(files);
    expect(templates.map((t) => t.id)).toEqual(expect.arrayContaining(['mnist-mlp', 'mnist-cnn', 'mnist-denoise-ae', 'two-moons-mlp', 'iris-mlp', 'fashion-mlp', 'mnist-dcgan']));
    for (const t of templates) {
      expect(t.error, t.id).toBeUndefined();
      const a = analyzeDesign(t.doc!.graph);
      expect(a.diagnostics.filter((d) => d.severity === 'error'), t.id).toEqual([]);
      expect(a.params, t.id).toBeGreaterThan(0);
      // The start panel's card says what the network shows: a shipped example without a line reads as broken.
      expect(t.blurb, `${t.id}: add its line to BLURBS in src-renderer/src/editor/templates.ts`).toMatch(/\w/);
      expect(Object.keys(t.doc!.layout).sort(), t.id).toEqual(t.doc!.graph.nodes.map((n) => n.id).sort());
    }
  });

  it('lists the shipped examples first, in gallery order', () => {
    expect(readTemplates(files).slice(0, 10).map((t) => t.id)).toEqual(['mnist-mlp', 'mnist-cnn', 'your-photos', 'shapes-segmentation', 'mnist-denoise-ae', 'two-moons-mlp', 'iris-mlp', 'housing-mlp', 'fashion-mlp', 'mnist-lstm']);
  });
});
