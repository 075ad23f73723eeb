/**
 * The heap a generated kernel module imports (activations-gen.ts, losses-gen.ts, polyphase-gen.ts): the backend's one
 * shared memory, as every hand-written `.wat` beside them imports it.
 */
export const HEAP_IMPORT = '(import "env" "memory" (memory 1 {{HEAP.MAX_PAGES}} shared))';
