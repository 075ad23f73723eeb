import type { z } from 'zod';

/** One request a service answers: the schemas its params and its result are checked against where they cross a process boundary. */
export interface MethodSpec {
  readonly params: z.ZodType;
  readonly result: z.ZodType;
}

/**
 * One service of the protocol, declared once, like VS Code's `IServerChannel` per service: the
 * requests it answers (`methods`), the events it sends (`events`), and its `limits` — the bounds
 * its schemas are built with that code on either side must also respect.
 *
 * The engine answers every method of every service: its handler group for a service is typed
 * `ServiceHandlers<typeof thatService>` (protocol/rpc.ts), whose keys are all required, so a
 * method declared here without a handler does not compile.
 *
 * @example
 * ```ts
 * export const lessonsService = defineService({
 *   name: 'lessons',
 *   methods: { 'lessons.report': { params: LessonReportRequest, result: LessonReport } },
 *   events: {},
 *   limits: {},
 * });
 * ```
 */
export interface ServiceSpec {
  readonly name: string;
  readonly methods: Readonly<Record<string, MethodSpec>>;
  readonly events: Readonly<Record<string, z.ZodType>>;
  readonly limits: Readonly<Record<string, number>>;
}

/** Declare a service; the literal's types are kept, so both ends get each method's params and result types. */
export function defineService<const S extends ServiceSpec>(spec: S): S {
  return spec;
}

/**
 * Every method and every event of `services`, in one table each. A name that two services declare
 * is a programming error (one of them would silently answer for the other): it throws.
 */
export function serviceTables(services: readonly ServiceSpec[]): { methods: Record<string, MethodSpec>; events: Record<string, z.ZodType> } {
  const methods: Record<string, MethodSpec> = {};
  const events: Record<string, z.ZodType> = {};
  const owner = new Map<string, string>();
  const add = <T>(table: Record<string, T>, what: string, name: string, value: T, service: string) => {
    const first = owner.get(`${what} ${name}`);
    if (first !== undefined) throw new Error(`Two services declare the ${what} ${name}: ${first} and ${service}.`);
    owner.set(`${what} ${name}`, service);
    table[name] = value;
  };
  for (const s of services) {
    for (const [name, spec] of Object.entries(s.methods)) add(methods, 'method', name, spec, s.name);
    for (const [name, schema] of Object.entries(s.events)) add(events, 'event', name, schema, s.name);
  }
  return { methods, events };
}
