/**
 * Questions to a trained model (the Playground, the GAN and text playgrounds, Evaluate) and to a
 * design about to train (the learning-rate finder): one function a question, so components never
 * name a protocol method (ESLint refuses `request(` in src-renderer/src/components).
 */
import type { ParamsOf, ResultOf, RpcClient } from '../../../src-engine/protocol';

/** The run's model on one input (`normalized`: the input is already as training normalises it). */
export const predict = (c: RpcClient, params: ParamsOf<'model.predict'>): Promise<ResultOf<'model.predict'>> => c.request('model.predict', params);

/** Text the run's model writes after `prompt`. */
export const sampleText = (c: RpcClient, params: ParamsOf<'model.sampleText'>): Promise<ResultOf<'model.sampleText'>> => c.request('model.sampleText', params);

/** Samples the run's generator draws from `seed`. */
export const generate = (c: RpcClient, params: ParamsOf<'model.generate'>): Promise<ResultOf<'model.generate'>> => c.request('model.generate', params);

/** The run's model (as `graph` lays it out) on a split of its data. */
export const evaluate = (c: RpcClient, params: ParamsOf<'model.evaluate'>): Promise<ResultOf<'model.evaluate'>> => c.request('model.evaluate', params);

/** The learning-rate range test on the design as it stands, from the weights its next run starts from (they are left as they were). */
export const findLearningRate = (c: RpcClient, params: ParamsOf<'train.findLr'>): Promise<ResultOf<'train.findLr'>> => c.request('train.findLr', params);

/** Which inputs drove the run's model's score for one input: a saliency map, Grad-CAM, or per-character saliency. */
export const explain = (c: RpcClient, params: ParamsOf<'model.explain'>): Promise<ResultOf<'model.explain'>> => c.request('model.explain', params);

/**
 * An image file (the Playground's upload, paste or camera photo) as a sample of `shape` (`[C, H, W]`):
 * its bytes decoded and converted by the engine, as training reads an image folder's files — never
 * through a canvas, whose premultiplied alpha zeroes a transparent pixel's colour (docs/data.md).
 */
export async function imageSample(c: RpcClient, file: Blob, shape: readonly number[]): Promise<Float32Array> {
  const data = new Uint8Array(await file.arrayBuffer());
  return (await c.request('data.imageSample', { data, shape: [shape[0], shape[1], shape[2]] })).sample;
}
