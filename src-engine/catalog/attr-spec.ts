/**
 * A typed parameter declaration, the one spec of every declared parameter: an op's attribute (the
 * canvas inspector builds its controls from it, the IR validator checks values against it,
 * exporters read it), a training setting's parameter (an optimizer's, a schedule's: the Train
 * dock's fields, the protocol's schema) and an input transform's. One description, many readers;
 * each family narrows it to the kinds it takes (`SettingParam`, `TransformParam`).
 */
export type AttrSpec = (
  | { kind: 'int'; default: number; min?: number; max?: number; doc: string }
  | { kind: 'float'; default: number; min?: number; max?: number; doc: string }
  | { kind: 'bool'; default: boolean; doc: string }
  | { kind: 'enum'; default: string; values: readonly string[]; doc: string }
  /** A list of ints, e.g. a shape or a kernel size. `length` fixes the count when set. */
  | { kind: 'ints'; default: readonly number[]; length?: number; min?: number; doc: string }
  /** Optional list of floats (e.g. class weights); empty means unset. */
  | { kind: 'floats'; default: readonly number[]; doc: string }
) & {
  /**
   * A setting or transform that names it must give it: no default applies (a step decay's
   * `stepSize`, a mask's `fraction`). Without it, the value may be left out and `default` applies.
   */
  required?: true;
  /** Where the Train dock shows it, its field; without, it keeps its value but has no field (Gaussian noise's `clip`). */
  field?: ParamField;
};

/** A parameter's field in the Train dock. */
export interface ParamField {
  label: string;
  testId: string;
  title?: string;
  /** The field's upper end where the spec sets none. */
  max?: number;
}

type ValueOf<S> = S extends { kind: 'bool' } ? boolean : S extends { kind: 'enum'; values: readonly (infer V)[] } ? V : number;
type RequiredKeys<P> = { [N in keyof P]: P[N] extends { required: true } ? N : never }[keyof P];
type Flat<T> = { [N in keyof T]: T[N] };

/**
 * The value a declaration of `kind` with parameters `P` describes: `{ kind, ...params }`, each
 * parameter optional unless `required` (a setting's, a transform's).
 */
export type ParamsOf<K extends string, P> = Flat<{ kind: K } & { [N in RequiredKeys<P>]: ValueOf<P[N]> } & { [N in Exclude<keyof P, RequiredKeys<P>>]?: ValueOf<P[N]> }>;
