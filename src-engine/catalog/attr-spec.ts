/**
 * A typed attribute declaration. The canvas inspector builds its controls from these, the IR
 * validator checks values against them, and exporters read them: one description, many readers.
 */
export type AttrSpec =
  | { kind: 'int'; default: number; min?: number; max?: number; doc: string }
  | { kind: 'float'; default: number; min?: number; max?: number; doc: string }
  | { kind: 'bool'; default: boolean; doc: string }
  | { kind: 'enum'; default: string; values: readonly string[]; doc: string }
  /** A list of ints, e.g. a shape or a kernel size. `length` fixes the count when set. */
  | { kind: 'ints'; default: readonly number[]; length?: number; min?: number; doc: string }
  /** Optional list of floats (e.g. class weights); empty means unset. */
  | { kind: 'floats'; default: readonly number[]; doc: string };
