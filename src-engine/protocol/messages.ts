/**
 * The protocol as one module, kept so the many imports of `protocol/messages` stay valid: a thin
 * re-export (#45 split the protocol by service). What lives where:
 * - `envelopes.ts`: the version, the request/response/event/cancel envelopes, host messages, error codes;
 * - `schemas.ts`: values several services share; `probe.ts`: probe frames;
 * - `services/*.ts`: one file per service — its methods, events and limits — and
 *   `services/index.ts`, which assembles `EngineMethods` and `EngineEvents` from them.
 * New code imports from `protocol` (index.ts).
 */
export * from './envelopes';
export * from './schemas';
export * from './probe';
export * from './services';
export * from './services/engine';
export * from './services/data';
export * from './services/train';
export * from './services/model';
export * from './services/runs';
export * from './services/lessons';
