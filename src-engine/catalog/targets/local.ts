import { TargetSpecError, declareTarget } from './types';

/** This process: Netwright's own engine, as every run trained before targets existed. */
export const local = declareTarget({
  kind: 'local',
  syntax: 'local',
  doc: "Netwright's own engine, in this process (the default).",
  parse(rest): Record<string, never> {
    if (rest !== undefined) throw new TargetSpecError(`local takes no options (got "local:${rest}")`);
    return {};
  },
  format: () => 'local',
});
