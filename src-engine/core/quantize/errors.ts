/**
 * Stable codes of quantisation errors: a model whose layers the int8 path does not cover yet
 * (`E_QUANTIZE_UNSUPPORTED`, naming them), calibration data that does not fit the model or holds
 * no samples (`E_QUANTIZE_DATA`).
 */
export type QuantizeErrorCode = 'E_QUANTIZE_UNSUPPORTED' | 'E_QUANTIZE_DATA';

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
