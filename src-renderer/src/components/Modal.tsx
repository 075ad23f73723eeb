import { useEffect, useRef, type ReactNode } from 'react';
import { openDialog } from './dialog-escape';

/**
 * A dialog over the app: a title bar with a close button; a click on the backdrop or Escape closes
 * it, with the same `onClose` (dialog-escape.ts: the dialog on top only, after whatever inside it
 * uses Escape). `onClose` absent: a question that must be answered with one of its own buttons (no
 * ×, the backdrop and Escape do nothing), where closing would have to guess between answers that
 * lose something.
 */
export function Modal({ title, testid, onClose, children, wide }: { title: string; testid: string; onClose?: () => void; children: ReactNode; wide?: boolean }) {
  const latest = useRef(onClose);
  useEffect(() => {
    latest.current = onClose;
  });
  const closable = onClose !== undefined;
  useEffect(() => openDialog(window, closable ? () => latest.current?.() : undefined), [closable]);
  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose?.()}>
      <div className={`modal${wide ? ' modal--wide' : ''}`} role="dialog" aria-modal="true" aria-label={title} data-testid={testid}>
        <header>
          <h2>{title}</h2>
          {onClose ? (
            <button type="button" className="modal__close" onClick={onClose} aria-label="Close">
              ×
            </button>
          ) : null}
        </header>
        {children}
      </div>
    </div>
  );
}
