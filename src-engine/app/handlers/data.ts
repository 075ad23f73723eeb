import type { ServiceHandlers } from '../../protocol/rpc';
import type { DatasetPreview, dataService } from '../../protocol';
import { datasetPreview } from '../session';
import { coded, type ServiceContext } from './context';

/** The data service: dataset previews for the train panel, and scans of the user's data. */
export function dataHandlers(ctx: ServiceContext): ServiceHandlers<typeof dataService> {
  const previews = new Map<string, DatasetPreview>();
  return {
    'dataset.preview': async ({ dataset: config, samples, seed }) => {
      const host = ctx.host();
      // Preparing MNIST copies ~170 MB; the panel asks again for the same set as the user browses.
      // The user's files (`options.path`) are read again each time: a folder changed since is
      // noticed (DATA_CHANGED), never previewed from memory (the image loader keeps its own
      // cache, checked against every file's size and time).
      const key = JSON.stringify([config, seed ?? 0, samples ?? 8]);
      const onDisk = typeof config.options?.path === 'string';
      // The engine's base as it answers (`DatasetPreview.engine`: the status bar's memory figure).
      const now = (p: DatasetPreview): DatasetPreview => {
        const usage = host.memoryUsage?.();
        const { engine, ...rest } = p;
        return usage && engine ? { ...rest, engine: { ...engine, baseBytes: usage.rss - usage.arrayBuffers } } : rest;
      };
      const hit = onDisk ? undefined : previews.get(key);
      if (hit) return now(hit);
      const preview = datasetPreview(await host.loadDataset(config, seed ?? 0), config, seed ?? 0, samples ?? 8);
      if (onDisk) return now(preview);
      if (previews.size >= 8) previews.delete(previews.keys().next().value!);
      previews.set(key, preview);
      return now(preview);
    },
    'data.scan': (request, { signal }) => {
      const scan = ctx.host().scanData;
      if (!scan) throw coded('E_DATA_SCAN_UNAVAILABLE', 'This engine cannot read your data (it was started without file access).');
      return scan(request, (p) => ctx.emit('data.scanProgress', p), signal);
    },
    'data.imageSample': ({ data, shape }) => {
      const decode = ctx.host().decodeImage;
      if (!decode) throw coded('E_PREDICT_INPUT', 'This engine cannot decode images (it was started without file access).');
      const sample = decode(data, shape);
      if (typeof sample === 'string') throw coded('E_PREDICT_INPUT', `That file cannot be read as an image (${sample}). Netwright reads PNG, JPEG and WebP, as training does.`);
      return { sample };
    },
  };
}
