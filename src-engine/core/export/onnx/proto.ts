import protobuf from 'protobufjs';
import { ONNX_PROTO } from './onnx-proto';

import { type OnnxModel } from '../../../base/onnx/model';

export * from '../../../base/onnx/model';

let modelType: protobuf.Type | undefined;

/** The `onnx.ModelProto` message type, parsed from the embedded schema once. */
function modelProto(): protobuf.Type {
  modelType ??= protobuf.parse(ONNX_PROTO, { keepCase: true }).root.lookupType('onnx.ModelProto');
  return modelType;
}

/** Serialise a model to the bytes of a `.onnx` file. */
export function encodeModel(model: OnnxModel): Uint8Array {
  const t = modelProto();
  return t.encode(t.fromObject(model as unknown as Record<string, unknown>)).finish();
}

/**
 * Parse the bytes of a `.onnx` file.
 *
 * @throws Error (from protobufjs) when the bytes are not a ModelProto.
 */
export function decodeModel(bytes: Uint8Array): OnnxModel {
  const t = modelProto();
  const o = t.toObject(t.decode(bytes), { longs: Number, bytes: Uint8Array as unknown as typeof String, defaults: false, arrays: true }) as OnnxModel;
  return o;
}

