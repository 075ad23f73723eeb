import type { AttrValue } from '../../base/ir/types';
import type { AttrSpec } from '../ops/types';

/**
 * A training setting's kind as the app offers it: its name, a line for the user, and its
 * parameters as attribute specs (the Train dock builds its fields from them, as the Inspector
 * does from an op's attributes). Defaults are PyTorch's.
 */
export interface SettingSpec<K extends string = string> {
  kind: K;
  label: string;
  doc: string;
  params: Readonly<Record<string, AttrSpec>>;
  /** Adjust the defaults to the run where a fixed default would not fit (a cosine spans the run's epochs). */
  fit?(setting: Record<string, AttrValue>, context: { epochs?: number; lr?: number }): void;
}

export const float = (def: number, doc: string, min?: number, max?: number): AttrSpec => ({ kind: 'float', default: def, doc, ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) });
export const int = (def: number, doc: string, min?: number): AttrSpec => ({ kind: 'int', default: def, doc, ...(min !== undefined ? { min } : {}) });
export const bool = (def: boolean, doc: string): AttrSpec => ({ kind: 'bool', default: def, doc });
