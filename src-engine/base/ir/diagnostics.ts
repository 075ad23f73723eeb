import type { Diagnostic } from '../schemas';

/** What the validator reports (declared once, with its schema, in base/schemas.ts). */
export type { Diagnostic };

/** Thrown by `compileGraph` when the graph has errors; carries every diagnostic. */
export class GraphError extends Error {
  readonly code = 'E_GRAPH_INVALID';
  constructor(readonly diagnostics: readonly Diagnostic[]) {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    super(
      `The graph has ${errors.length} error(s): ` +
        errors
          .slice(0, 5)
          .map((d) => `${d.code}${d.nodeId !== undefined ? ` at "${d.nodeId}"` : ''}: ${d.message}`)
          .join('; ') +
        (errors.length > 5 ? '; …' : ''),
    );
    this.name = 'GraphError';
  }
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}
