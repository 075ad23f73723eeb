import { useState } from 'react';
import { useReactFlow } from '@xyflow/react';
import { OP_CATEGORIES, coverageLine, coverageOf } from '../../../src-engine/facade';
import { PALETTE_MIME } from './Canvas';
import { searchOps } from './search';
import { BLOCK_TEMPLATES, type BlockTemplate } from '../editor/block-templates';
import { Splitter } from './panels';
import { useWindow } from '../state/window';

const GROUP_TITLE: Record<string, string> = {
  input: 'Input',
  layers: 'Layers',
  activations: 'Activations',
  normalization: 'Normalization',
  regularization: 'Regularization',
  structure: 'Structure',
  losses: 'Losses',
};

/**
 * Every op of the engine's registry, grouped by category and searchable, and the block templates
 * (a Transformer block: several nodes as one group). Drag an op onto the canvas, or press Enter /
 * double-click an entry to add it in the middle of the view.
 */
export function Palette() {
  const w = useWindow();
  const [query, setQuery] = useState('');
  const flow = useReactFlow();
  const ops = searchOps(query);
  const centre = () => {
    const el = document.querySelector('[data-testid=canvas]')?.getBoundingClientRect();
    const p = el ? flow.screenToFlowPosition({ x: el.left + el.width / 2, y: el.top + el.height / 2 }) : { x: 0, y: 0 };
    return { x: Math.round(p.x - 90), y: Math.round(p.y - 20) };
  };
  const addAtCentre = (op: string) => w.editor.getState().addOp(op, centre());
  const addBlock = (b: BlockTemplate) => w.editor.getState().addBlock(b, centre());
  const q = query.trim().toLowerCase();
  const blocks = BLOCK_TEMPLATES.filter((b) => !q || b.title.toLowerCase().includes(q) || b.doc.toLowerCase().includes(q));
  return (
    <aside className="palette" data-testid="palette" aria-label="Ops">
      <div className="palette__top">
        <input className="palette__search" type="search" placeholder="Search ops…" value={query} onChange={(e) => setQuery(e.target.value)} data-testid="palette-search" aria-label="Search ops" />
        <button type="button" className="panel-fold" data-testid="palette-collapse" title="Hide the ops (the strip on the left brings them back)" onClick={() => w.panels.getState().set({ paletteOpen: false })}>
          «
        </button>
      </div>
      <div className="palette__groups">
        {OP_CATEGORIES.map((cat) => {
          const inGroup = ops.filter((o) => o.category === cat);
          if (inGroup.length === 0) return null;
          return (
            <section key={cat} className="palette__group" data-testid={`palette-group-${cat}`}>
              <h3>{GROUP_TITLE[cat] ?? cat}</h3>
              {inGroup.map((op) => (
                <div
                  key={op.name}
                  className="palette__item"
                  draggable
                  tabIndex={0}
                  role="button"
                  data-testid={`palette-item-${op.name}`}
                  title={`${op.doc}\n${coverageLine(coverageOf(op.name)!)}\nDrag onto the canvas, or press Enter to add.`}
                  onDragStart={(e) => {
                    e.dataTransfer.setData(PALETTE_MIME, op.name);
                    e.dataTransfer.effectAllowed = 'copy';
                  }}
                  onDoubleClick={() => addAtCentre(op.name)}
                  onKeyDown={(e) => e.key === 'Enter' && addAtCentre(op.name)}
                >
                  <span className="palette__name">{op.name}</span>
                  <span className="palette__doc">{op.doc}</span>
                </div>
              ))}
            </section>
          );
        })}
        {blocks.length > 0 ? (
          <section className="palette__group" data-testid="palette-group-blocks">
            <h3>Blocks</h3>
            {blocks.map((b) => (
              <div
                key={b.id}
                className="palette__item"
                tabIndex={0}
                role="button"
                data-testid={`palette-block-${b.id}`}
                title={`${b.doc}\nPress Enter or double-click to add it as a group.`}
                onDoubleClick={() => addBlock(b)}
                onKeyDown={(e) => e.key === 'Enter' && addBlock(b)}
              >
                <span className="palette__name">{b.title}</span>
                <span className="palette__doc">{b.doc}</span>
              </div>
            ))}
          </section>
        ) : null}
        {ops.length === 0 && blocks.length === 0 ? <p className="palette__empty">No op matches “{query}”.</p> : null}
      </div>
      <Splitter size="paletteWidth" label="Ops width" />
    </aside>
  );
}
