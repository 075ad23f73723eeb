/**
 * Setup of vitest.config.ts's `ui-fresh` project: files that share a worker process
 * (`isolate: false`) but each import the app's modules anew. It runs before each file, and
 * `vi.resetModules()` empties the module registry, so every store, registry and cache a source
 * module creates at import is the file's own, as in a process of its own; packages (React,
 * zustand) stay loaded, and a file restores the globals, timers and environment it changes.
 */
import { vi } from 'vitest';

vi.resetModules();
