import { useCallback, useRef } from 'react';

/**
 * One engine request at a time: the returned `run(task)` starts `task` now or, while one is out,
 * keeps it to start next — a newer one replaces it, so only the latest waiting request is ever sent.
 * `task` handles its own errors (a rejection is only ignored here).
 */
export function useOneAtATime(): (task: () => Promise<unknown>) => void {
  const inflight = useRef(false);
  const waiting = useRef<(() => void) | undefined>(undefined);
  return useCallback((task: () => Promise<unknown>) => {
    const go = () => {
      inflight.current = true;
      void task()
        .catch(() => undefined)
        .finally(() => {
          inflight.current = false;
          const next = waiting.current;
          waiting.current = undefined;
          next?.();
        });
    };
    if (inflight.current) waiting.current = go;
    else go();
  }, []);
}
