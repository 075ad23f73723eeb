/** Continue… on a run whose design the canvas already holds asks nothing and keeps the canvas (#58). */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkGraph } from '../../../src-engine/core/analysis/checked';
import { engineGraph } from '../../../src-renderer/src/editor/analysis';
import { readTemplates } from '../../../src-renderer/src/editor/templates';
import { holdsDesign } from '../../../src-renderer/src/editor/same-design';
import type { GraphIR } from '../../../src-engine/facade';
import { compileGraph } from '../../../src-engine/core/autodiff/executor';
import { createReferenceBackend } from '../../../src-engine/core/backend/reference';
import { loadBuiltinDataset, prepareData } from '../../../src-engine/core/data';
import { TrainingSession } from '../../../src-engine/app/session';
import type { RunStoreApi } from '../../../src-engine/app/runs/recorder';
import { twoMoonsGraph } from '../session/fixtures';

const dir = path.join(__dirname, '../../../examples');
const templates = readTemplates(Object.fromEntries(readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => [`../../../examples/${f}`, JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as unknown])));

/** The graph a run of `canvas` stores: what `train.start` sends, normalised by the engine (TrainingSession's loop graph), as JSON. */
function storedDesign(canvas: GraphIR): unknown {
  const checked = checkGraph(engineGraph(canvas)).graph;
  if (!checked) throw new Error(`${canvas.name}: not trainable`);
  return JSON.parse(JSON.stringify(checked.ir)) as unknown;
}

describe('holdsDesign: whether the canvas is the design a stored run trained', () => {
  it('every template, as opened and trained unchanged, holds its run\'s stored design (defaults the engine filled in included)', () => {
    expect(templates.length).toBeGreaterThan(10);
    let filled = 0;
    for (const t of templates) {
      const canvas = t.doc!.graph;
      const stored = storedDesign(canvas);
      if (JSON.stringify(stored) !== JSON.stringify(engineGraph(canvas))) filled++;
      expect(holdsDesign(canvas, stored), t.id).toBe(true);
    }
    // The stored graph is not the canvas's text: a comparison of the two as they are would ask every time.
    expect(filled).toBeGreaterThan(0);
  });

  it('an edit since the run (an attribute, a training setting, a node, an output) is a different design: Continue… asks before replacing it', () => {
    const gan = templates.find((t) => t.id === 'mnist-cdcgan')!.doc!.graph;
    const stored = storedDesign(gan);
    const edited = (edit: (g: GraphIR) => void): GraphIR => {
      const g = structuredClone(gan);
      edit(g);
      return g;
    };
    const linear = gan.nodes.findIndex((n) => n.op === 'Linear');
    expect(holdsDesign(edited((g) => void (g.nodes[linear].attrs.outFeatures = Number(g.nodes[linear].attrs.outFeatures) + 1)), stored)).toBe(false);
    expect(holdsDesign(edited((g) => void (g.training!.epochs += 1)), stored)).toBe(false);
    expect(holdsDesign(edited((g) => void g.nodes.push({ id: 'extra', op: 'ReLU', attrs: {}, inputs: [g.nodes[linear].id] })), stored)).toBe(false);
    expect(holdsDesign(edited((g) => void (g.outputs = { ...g.outputs, extra: g.nodes[linear].id })), stored)).toBe(false);
    // Key order is no difference (a graph read from a file keeps the file's order).
    const reordered = JSON.parse(JSON.stringify(stored, (_k, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse()) : v))) as unknown;
    expect(holdsDesign(gan, reordered)).toBe(true);
  });

  it('a resumed run\'s design (its parent\'s, started from the parent\'s checkpoint by the resume) is held by the canvas that trained the parent; the same start chosen on the canvas is not the resume\'s', () => {
    const canvas = templates.find((t) => t.id === 'two-moons-mlp')!.doc!.graph;
    const stored = storedDesign(canvas) as GraphIR;
    const resumed = { ...stored, training: { ...stored.training!, startFrom: { kind: 'run', run: 'parent-1', checkpoint: 'last' } } };
    expect(holdsDesign(canvas, resumed, { runId: 'parent-1' })).toBe(true);
    // Without the run's resumedFrom (a design set to start from that run), or from another run: a different design.
    expect(holdsDesign(canvas, resumed)).toBe(false);
    expect(holdsDesign(canvas, resumed, { runId: 'parent-2' })).toBe(false);
  });
});

describe('a run stores the design the canvas holds', () => {
  it('a classifier trained in the app keeps its design\'s metrics in the stored graph (the accuracy and confusion matrix the session adds are in its settings): the canvas still holds it', () => {
    const design = twoMoonsGraph({ epochs: 1 });
    design.training!.metrics = [];
    const data = prepareData(loadBuiltinDataset(design.training!.dataset, 1)!, design.training!.dataset, 1);
    const session = new TrainingSession('t', engineGraph(design), data, createReferenceBackend(), { compile: compileGraph, probes: false, emit: () => {} });
    let created: Parameters<RunStoreApi['create']>[0] | undefined;
    session.record({ create: (init) => ((created = init), { id: 'r', append: () => {}, finish: () => {} }) }, { backend: 'CPU' });
    expect(session.config.metrics).toEqual(['accuracy', 'confusion']);
    expect((created!.settings.training as { metrics: string[] }).metrics).toEqual(['accuracy', 'confusion']);
    expect(created!.graph.training!.metrics).toEqual([]);
    expect(holdsDesign(design, JSON.parse(JSON.stringify(created!.graph)))).toBe(true);
  });
});
