/**
 * A padlock drawn in SVG (the colour of the text around it): the mark of a frozen layer on its
 * card, in the inspector and in the gradient-flow chart. Not an emoji, which a system without an
 * emoji font draws as an empty box.
 */
export function LockIcon() {
  return (
    <svg className="lock-icon" width="9" height="10" viewBox="0 0 9 10" aria-hidden="true">
      <path d="M2.2 4.5V3a2.3 2.3 0 0 1 4.6 0v1.5" fill="none" stroke="currentColor" strokeWidth="1.2" />
      <rect x="0.8" y="4.5" width="7.4" height="5" rx="1" fill="currentColor" />
    </svg>
  );
}
