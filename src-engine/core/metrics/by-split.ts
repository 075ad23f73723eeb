/**
 * Final metrics by split (`{ train: {…}, val: {…}, test: {…} }`) as a file holds them, keeping
 * only the entries that are objects. Run stores and model files the train CLI wrote before this
 * was fixed (session 13) also held its done event's `type`, `reason`, `epochs`, … beside the
 * splits, which the protocol's schemas refuse: such a run would break the Runs list, such a
 * model would not load.
 */
export function metricsBySplit(m: unknown): Record<string, Record<string, unknown>> | undefined {
  if (!m || typeof m !== 'object' || Array.isArray(m)) return undefined;
  return Object.fromEntries(Object.entries(m).filter(([, v]) => v !== null && typeof v === 'object' && !Array.isArray(v))) as Record<string, Record<string, unknown>>;
}
