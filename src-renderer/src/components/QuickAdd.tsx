import { useEffect, useRef, useState } from 'react';
import { searchOps } from './search';

/** Double-click on the canvas: type to find an op, Enter (or click) adds it where you clicked. */
export function QuickAdd({ at, onPick, onClose }: { at: { x: number; y: number }; onPick(op: string): void; onClose(): void }) {
  const [query, setQuery] = useState('');
  const [index, setIndex] = useState(0);
  const input = useRef<HTMLInputElement>(null);
  const hits = searchOps(query).slice(0, 8);
  useEffect(() => input.current?.focus(), []);
  return (
    <div className="quick-add" data-testid="quick-add" style={{ left: at.x, top: at.y }} onDoubleClick={(e) => e.stopPropagation()}>
      <input
        ref={input}
        value={query}
        placeholder="Add an op…"
        aria-label="Search ops to add"
        data-testid="quick-add-input"
        onChange={(e) => {
          setQuery(e.target.value);
          setIndex(0);
        }}
        onBlur={() => setTimeout(onClose, 150)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') onClose();
          else if (e.key === 'ArrowDown') setIndex((i) => Math.min(i + 1, hits.length - 1));
          else if (e.key === 'ArrowUp') setIndex((i) => Math.max(i - 1, 0));
          else if (e.key === 'Enter' && hits[index]) onPick(hits[index].name);
          e.stopPropagation();
        }}
      />
      <ul>
        {hits.map((op, i) => (
          <li key={op.name} className={i === index ? 'active' : ''} onMouseDown={() => onPick(op.name)} title={op.doc}>
            <b>{op.name}</b> <span>{op.category}</span>
          </li>
        ))}
        {hits.length === 0 ? <li className="empty">No op matches “{query}”.</li> : null}
      </ul>
    </div>
  );
}
