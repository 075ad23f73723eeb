import type { ReactNode } from 'react';

/**
 * A dialog over the app: a title bar with a close button; a click on the backdrop closes it.
 * `onClose` absent: a question that must be answered with one of its own buttons (no ×, the
 * backdrop does nothing), where closing would have to guess between answers that lose something.
 */
export function Modal({ title, testid, onClose, children, wide }: { title: string; testid: string; onClose?: () => void; children: ReactNode; wide?: boolean }) {
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
