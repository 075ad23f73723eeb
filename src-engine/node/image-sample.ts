import { Buffer } from 'node:buffer';
import { imageToSample, readImageHeader } from '../core/data/image';
import { IMAGE_DECODERS, type ImageDecoders } from './image-decoders';
import { decodeImageFile } from './image-folder';
import { decodeBudget, decodeBytes, DEFAULT_DATA_BUDGET } from './image-stream';

/** The most memory decoding one image may take (as a streamed folder's decoding threads and `netwright predict` allow). */
export const MAX_IMAGE_DECODE_BYTES = decodeBudget(DEFAULT_DATA_BUDGET);

/**
 * An image file's bytes as a sample of `shape` (`[C, H, W]`, C 1, 3 or 4): the one conversion
 * every path makes (docs/data.md "Photos as PyTorch sees them") — the header read first (a
 * decompression bomb is refused before anything is decoded), decoded by the loader's own
 * decoders (decodeImageFile, what training, Evaluate and `netwright predict` use), converted by
 * imageToSample. NOTE: a pixel's stored R, G, B are kept whatever its alpha, as Pillow's
 * `convert('RGB')` keeps them; a browser canvas (premultiplied alpha) zeroes a fully transparent
 * pixel's colour, which is why the Playground sends the file's bytes here (`data.imageSample`).
 *
 * @returns the sample, or why the image cannot be used (the loader's words, for a message).
 */
export function imageBytesSample(bytes: Uint8Array, shape: readonly number[], decoders: ImageDecoders = IMAGE_DECODERS): Float32Array | string {
  if (shape.length !== 3 || ![1, 3, 4].includes(shape[0]) || !(shape[1] >= 1) || !(shape[2] >= 1)) return `the model takes samples of shape [${shape.join(', ')}], not images ([C, H, W] with 1, 3 or 4 channels)`;
  const header = readImageHeader(bytes);
  if (typeof header === 'string') return header;
  if (decodeBytes(header) > MAX_IMAGE_DECODE_BYTES) return `a ${header.width} × ${header.height} ${header.format.toUpperCase()} takes more memory to decode than Netwright gives one image; resize it first`;
  const decoded = decodeImageFile({ bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), header }, decoders);
  if (typeof decoded === 'string') return decoded;
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
  imageToSample(decoded.image, shape, out, 0);
  return out;
}
