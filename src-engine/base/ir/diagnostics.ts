/**
 * What the validator reports. Errors stop compilation; warnings are shown but do not.
 * Codes are stable (docs/ir.md has the table); messages are for people and may change.
 */
export interface Diagnostic {
  code: string;
  severity: 'error' | 'warning';
  /** The node the problem is about, when there is one (the canvas highlights it). */
  nodeId?: string;
  message: string;
}

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
