import type { z } from 'zod';
import { serviceTables } from '../service';
import { dataService } from './data';
import { engineService } from './engine';
import { lessonsService } from './lessons';
import { modelService } from './model';
import { runsService } from './runs';
import { trainService } from './train';

/**
 * The engine's services, each declared once in its own file (its methods, events and limits). The
 * app's handler groups (src-engine/app/handlers) are one per service.
 */
export const SERVICES = {
  engine: engineService,
  data: dataService,
  train: trainService,
  model: modelService,
  runs: runsService,
  lessons: lessonsService,
} as const;
export type ServiceName = keyof typeof SERVICES;
type Services = (typeof SERVICES)[ServiceName];
type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

const tables = serviceTables(Object.values(SERVICES));

/** Every request the engine answers, from all services: both ends get the types and the runtime checks from this table. */
export const EngineMethods = tables.methods as UnionToIntersection<Services['methods']>;
export type EngineMethod = keyof typeof EngineMethods;
export type ParamsOf<M extends EngineMethod> = z.infer<(typeof EngineMethods)[M]['params']>;
export type ResultOf<M extends EngineMethod> = z.infer<(typeof EngineMethods)[M]['result']>;

/** Every event the engine sends, from all services. */
export const EngineEvents = tables.events as UnionToIntersection<Services['events']>;
export type EngineEvent = keyof typeof EngineEvents;
export type EventData<E extends EngineEvent> = z.infer<(typeof EngineEvents)[E]>;

export { dataService, engineService, lessonsService, modelService, runsService, trainService };
