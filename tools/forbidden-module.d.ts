// Resolved in place of modules a runtime may not import (see the tsconfig `paths` that point here).
// It exports nothing, so `import { app } from 'electron'` in the engine fails to compile.
declare const forbidden: never;
export default forbidden;
