export * from './messages';
export * from './channel';
export * from './rpc';
export { decodeWire, encodeWire, WireError, MAX_WIRE_BYTES } from './wire';
