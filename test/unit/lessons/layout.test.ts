/**
 * Every design the app ships opens laid out (#32 item 10): the templates (examples/*.json) and
 * every lesson run's design, full and quick, have a position for every node and no two node cards
 * on top of each other. A lesson that adds nodes to its example (the "+ BatchNorm" stack: 29 where
 * the MLP has 8) once opened with the new ones stacked at the origin until Layout.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EditorDoc } from '../../../src-renderer/src/editor/document';
import { LAYOUT_SPACING } from '../../../src-renderer/src/editor/layout';
import { readTemplates } from '../../../src-renderer/src/editor/templates';
import { LESSONS, lessonDesign, lessonDocument } from '../../../src-renderer/src/lessons/catalog';

const DIR = join(import.meta.dirname, '..', '..', '..', 'examples');
const templates = readTemplates(Object.fromEntries(readdirSync(DIR).filter((f) => f.endsWith('.json')).map((f) => [`examples/${f}`, JSON.parse(readFileSync(join(DIR, f), 'utf8')) as unknown])));

/** Nodes without a position, and pairs of node cards (180 × 70 flow units) that overlap. */
function layoutProblems(doc: EditorDoc): string[] {
  const { width, height } = LAYOUT_SPACING;
  const problems = doc.graph.nodes.filter((n) => !doc.layout[n.id]).map((n) => `${n.id} has no position`);
  const placed = doc.graph.nodes.filter((n) => doc.layout[n.id]);
  for (const [i, a] of placed.entries())
    for (const b of placed.slice(i + 1)) {
      const p = doc.layout[a.id]!;
      const q = doc.layout[b.id]!;
      if (Math.abs(p.x - q.x) < width && Math.abs(p.y - q.y) < height) problems.push(`${a.id} overlaps ${b.id}`);
    }
  return problems;
}

describe('shipped designs open laid out', () => {
  it('every template', () => {
    expect(templates.length).toBeGreaterThan(5);
    for (const t of templates) {
      expect(t.doc, t.id).toBeDefined();
      expect(layoutProblems(t.doc!), t.id).toEqual([]);
    }
  });

  it('every lesson run, full and quick', () => {
    for (const lesson of LESSONS)
      for (const v of lesson.variants) {
        const template = templates.find((t) => t.id === (v.example ?? lesson.example))!;
        const full = lessonDocument(lesson, v, template.doc!, false);
        expect(layoutProblems(full), `${lesson.id} / ${v.label}`).toEqual([]);
        // A quick version changes the training settings; one that changed the nodes is laid out and checked too.
        if (JSON.stringify(lessonDesign(lesson, v, template.doc!.graph, true).nodes) !== JSON.stringify(full.graph.nodes))
          expect(layoutProblems(lessonDocument(lesson, v, template.doc!, true)), `${lesson.id} / ${v.label} (quick)`).toEqual([]);
      }
  });

  it('the check sees stacked nodes: the BatchNorm stack with the MLP template’s positions (as it opened before)', () => {
    const lesson = LESSONS.find((l) => l.id === 'batchnorm-deep')!;
    const template = templates.find((t) => t.id === lesson.example)!;
    const graph = lessonDocument(lesson, lesson.variants[1]!, template.doc!, true).graph;
    expect(graph.nodes).toHaveLength(29);
    expect(layoutProblems({ ...template.doc!, graph }).filter((p) => p.endsWith('no position'))).toHaveLength(22);
  });
});
