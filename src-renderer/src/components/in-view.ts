import { useEffect, useState, type RefObject } from 'react';

// One observer for every watched element: it reports an element as out of view when it is
// scrolled out of its scroll containers or out of the window.
const listeners = new WeakMap<Element, (inView: boolean) => void>();
let observer: IntersectionObserver | undefined;

function sharedObserver(): IntersectionObserver | undefined {
  if (typeof IntersectionObserver === 'undefined') return undefined;
  observer ??= new IntersectionObserver((entries) => {
    for (const e of entries) listeners.get(e.target)?.(e.isIntersecting);
  });
  return observer;
}

/**
 * Whether the element is on screen. True until the first report, and wherever
 * IntersectionObserver is missing, so a component renders in full when in doubt.
 */
export function useInView(ref: RefObject<Element | null>): boolean {
  const [inView, setInView] = useState(true);
  useEffect(() => {
    const el = ref.current;
    const io = sharedObserver();
    if (!el || !io) return;
    listeners.set(el, setInView);
    io.observe(el);
    return () => {
      io.unobserve(el);
      listeners.delete(el);
    };
  }, [ref]);
  return inView;
}

/**
 * The value to draw for a live view that may be off screen: the latest `value` while in view or
 * whenever its `epoch` changes (e.g. a new run), else the one drawn last. An off-screen card then
 * skips the render, the DOM updates and the paint of every probe frame, and catches up in the
 * frame it scrolls into view; it never shows another run's data.
 */
export function heldValue<T, E>(held: { value: T; epoch: E } | undefined, value: T, epoch: E, inView: boolean): { value: T; epoch: E } {
  if (held && !inView && Object.is(held.epoch, epoch)) return held;
  return held && Object.is(held.value, value) && Object.is(held.epoch, epoch) ? held : { value, epoch };
}

/** `heldValue` across renders (see there). */
export function useHeldWhileHidden<T, E>(value: T, epoch: E, inView: boolean): T {
  const [held, setHeld] = useState<{ value: T; epoch: E }>(() => ({ value, epoch }));
  const next = heldValue(held, value, epoch, inView);
  // React's "adjust state while rendering" pattern: it re-renders this component at once, before the commit.
  if (next !== held) setHeld(next);
  return next.value;
}
