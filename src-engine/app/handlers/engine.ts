import type { Handlers } from '../../protocol/rpc';
import { PROTOCOL_VERSION, type DatasetPreview } from '../../protocol/messages';
import { ENGINE_VERSION } from '../../base/version';
import type { DatasetConfig } from '../../base/ir/types';
import { analyzeGraph } from '../../core/analysis/validate';
import { datasetPreview } from '../session';
import { coded, type ServiceContext } from './context';

/** The engine itself and what needs no run: the handshake, ping, graph analysis, dataset previews, scans of the user's data. */
export function engineHandlers(ctx: ServiceContext): Handlers {
  const { env } = ctx;
  const previews = new Map<string, DatasetPreview>();
  return {
    'engine.hello': ({ protocol }) => {
      if (protocol !== PROTOCOL_VERSION) throw coded('E_PROTOCOL_VERSION', `The app speaks protocol v${protocol}, the engine v${PROTOCOL_VERSION}. Reinstall Netwright so both match.`);
      return { name: 'netwright-engine', version: ENGINE_VERSION, protocol: PROTOCOL_VERSION, pid: env.pid, runtime: env.runtime, backend: env.backend };
    },
    'engine.ping': () => ({ time: Date.now() }),
    'graph.analyze': ({ graph, batchSize }) => {
      const a = analyzeGraph(graph, batchSize === undefined ? {} : { batchSize });
      return { diagnostics: a.diagnostics, shapes: a.shapes, params: a.params, flopsPerSample: a.flopsPerSample };
    },
    'dataset.preview': async ({ dataset, samples, seed }) => {
      const host = ctx.host();
      const config = dataset as DatasetConfig;
      // Preparing MNIST copies ~170 MB; the panel asks again for the same set as the user browses.
      // The user's files (`options.path`) are read again each time: a folder changed since is
      // noticed (DATA_CHANGED), never previewed from memory (the image loader keeps its own
      // cache, checked against every file's size and time).
      const key = JSON.stringify([config, seed ?? 0, samples ?? 8]);
      const onDisk = typeof config.options?.path === 'string';
      const hit = onDisk ? undefined : previews.get(key);
      if (hit) return hit;
      const preview = datasetPreview(await host.loadDataset(config, seed ?? 0), config, seed ?? 0, samples ?? 8);
      if (onDisk) return preview;
      if (previews.size >= 8) previews.delete(previews.keys().next().value!);
      previews.set(key, preview);
      return preview;
    },
    'data.scan': (request, { signal }) => {
      const scan = ctx.host().scanData;
      if (!scan) throw coded('E_DATA_SCAN_UNAVAILABLE', 'This engine cannot read your data (it was started without file access).');
      return scan(request, (p) => ctx.emit('data.scanProgress', p), signal);
    },
  };
}
