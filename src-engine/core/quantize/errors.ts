/**
 * Stable codes of quantisation errors: a model whose layers the int8 path does not cover yet
 * (`E_QUANTIZE_UNSUPPORTED`, naming them), calibration data that does not fit the model or holds
 * no samples (`E_QUANTIZE_DATA`), a layer to keep in float32 that is none the int8 path quantises
 * (`E_QUANTIZE_KEEP_FLOAT`), a measurement cancelled (`E_CANCELLED`, the protocol's own code).
 */
export type QuantizeErrorCode = 'E_QUANTIZE_UNSUPPORTED' | 'E_QUANTIZE_DATA' | 'E_QUANTIZE_KEEP_FLOAT' | 'E_CANCELLED';

/** A quantisation that cannot be made; the message says why and what to do. */
export class QuantizeError extends Error {
  constructor(
    readonly code: QuantizeErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'QuantizeError';
  }
}
