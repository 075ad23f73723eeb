export * from './messages';
export * from './channel';
export * from './rpc';
export { decodeWire, encodeWire, encodeWireFrames, WireError, WireReassembler, MAX_WIRE_BYTES } from './wire';
export { checkValueLimits, VALUE_LIMITS, LimitCodes, type ValueLimits, type LimitViolation } from './limits';
export { defineService, type MethodSpec, type ServiceSpec } from './service';
