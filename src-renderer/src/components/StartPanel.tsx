import { openTemplateDoc } from './canvas-view';
import { memo, useEffect, useState } from 'react';
import type { EditorDoc } from '../editor/document';
import { foldLayout } from '../editor/layout';
import { TEMPLATES, type Template } from '../editor/templates';
import { useFiles } from './files-context';
import { useEditor, useWindow } from '../state/window';

/** The keys a newcomer needs first (the full list is behind `?`). */
const BASICS: readonly [string, string][] = [
  ['Drag from the palette', 'add a layer'],
  ['Double-click the canvas', 'search and add an op'],
  ['Drag handle → handle', 'connect'],
  ['Delete', 'remove the selection'],
  ['Shift+L / Shift+F', 'tidy up / fit to view'],
  ['?', 'all shortcuts'],
];

/**
 * A template's graph in miniature: one box per node, one line per edge, scaled into a fixed box.
 * Its layout is folded to the box's aspect, as the template opens folded to the canvas's: a long
 * chain (the DCGAN's 20 nodes) would otherwise shrink to a thin line.
 */
export const TemplateThumb = memo(function TemplateThumb({ doc }: { doc: EditorDoc }) {
  const W = 120;
  const H = 72;
  const layout = foldLayout(Object.fromEntries(doc.graph.nodes.map((n) => [n.id, doc.layout[n.id] ?? { x: 0, y: 0 }])), 'TB', W / H);
  const pts = doc.graph.nodes.map((n) => layout[n.id]);
  const xs = pts.map((p) => p.x);
  const ys = pts.map((p) => p.y);
  const [x0, y0] = [Math.min(...xs), Math.min(...ys)];
  const k = Math.min(W / Math.max(Math.max(...xs) - x0 + 180, 1), H / Math.max(Math.max(...ys) - y0 + 60, 1)) * 0.95;
  const at = (id: string) => {
    const p = layout[id] ?? { x: 0, y: 0 };
    return { x: (p.x - x0) * k + 2, y: (p.y - y0) * k + 2 };
  };
  return (
    <svg className="start__thumb" viewBox={`0 0 ${W} ${H}`} width={W} height={H} aria-hidden="true">
      {doc.graph.nodes.flatMap((n) =>
        n.inputs.filter((s) => s !== '').map((s) => {
          const a = at(s);
          const b = at(n.id);
          return <line key={`${s}->${n.id}`} x1={a.x + 90 * k} y1={a.y + 30 * k} x2={b.x + 90 * k} y2={b.y + 30 * k} />;
        }),
      )}
      {doc.graph.nodes.map((n) => {
        const p = at(n.id);
        return <rect key={n.id} x={p.x} y={p.y} width={Math.max(180 * k, 4)} height={Math.max(60 * k, 3)} rx={2} />;
      })}
    </svg>
  );
});

function TemplateCard({ t }: { t: Template }) {
  const w = useWindow();
  const files = useFiles();
  return (
    <button
      type="button"
      className="start__template"
      data-testid={`start-template-${t.id}`}
      disabled={!t.doc}
      title={t.error ?? (t.blurb ? `${t.title}: ${t.blurb}` : t.title)}
      onClick={async () => {
        if (!t.doc || !(await files.confirmDiscard('template'))) return;
        openTemplateDoc(w, t.doc, t.title);
      }}
    >
      {t.doc ? <TemplateThumb doc={t.doc} /> : null}
      <span className="start__template-text">
        <b>{t.title}</b>
        <span>{t.error ?? t.blurb ?? `${t.nodes} nodes${t.dataset ? ` · ${t.dataset}` : ''}`}</span>
      </span>
    </button>
  );
}

/**
 * What an empty canvas shows: start from a template, open a recent project, or build from scratch
 * with the basics at hand. It is no dialog: the palette and canvas stay usable around and under it
 * (a node dropped anywhere on the canvas lands there and the panel goes away).
 */
export function StartPanel() {
  const w = useWindow();
  const empty = useEditor((s) => s.history.present.graph.nodes.length === 0);
  const files = useFiles();
  const [recent, setRecent] = useState<{ path: string; name: string }[]>([]);
  useEffect(() => {
    if (!empty) return;
    let live = true;
    files.recent().then(
      (r) => live && setRecent(r.slice(0, 5)),
      () => live && setRecent([]),
    );
    return () => {
      live = false;
    };
  }, [empty, files]);
  if (!empty) return null;
  return (
    <section className="start" data-testid="start-panel" aria-label="Start">
      <h2>Start a network</h2>
      <p className="start__lead">Open a template to train in one click, or drag layers from the palette onto this canvas.</p>
      <div className="start__templates">
        {TEMPLATES.map((t) => (
          <TemplateCard key={t.id} t={t} />
        ))}
      </div>
      <p className="start__learn">
        <button type="button" data-testid="start-lessons" onClick={() => w.session.getState().setDialog('lessons')}>
          Learn by experiment…
        </button>
        <span>Lessons that train a few runs and put our figures beside the textbook ones: learning rates, initialisation, Dropout, MLP vs CNN…</span>
      </p>
      <div className="start__columns">
        <div>
          <h3>Open recent</h3>
          {recent.length === 0 ? <p className="start__none">No recent projects yet.</p> : null}
          <ul className="start__recent" data-testid="start-recent">
            {recent.map((f) => (
              <li key={f.path}>
                <button type="button" title={f.path} onClick={() => void files.confirmDiscard('open').then((ok) => ok && files.openPath(f.path))}>
                  {f.name}
                </button>
              </li>
            ))}
          </ul>
          <button type="button" className="start__open" data-testid="start-open" onClick={() => void files.open()}>
            Open…
          </button>
        </div>
        <div>
          <h3>Basics</h3>
          <dl className="start__keys">
            {BASICS.map(([k, v]) => (
              <div key={k}>
                <dt>{k}</dt>
                <dd>{v}</dd>
              </div>
            ))}
          </dl>
        </div>
      </div>
    </section>
  );
}
