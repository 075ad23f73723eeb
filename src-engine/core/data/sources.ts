import { isFeatureInput } from '../../base/ir/prediction';
import type { DatasetConfig, GraphIR } from '../../base/ir/types';
import { getDataFormat } from '../../catalog/data-formats/registry';

/**
 * An image folder is fed at the shape of the graph's features Input (docs/data.md): `options.shape`
 * filled from it when the config sets none and the Input is `[C, H, W]`. Other datasets, and
 * configs that set a shape, come back as they are. Every host that loads a graph's dataset calls
 * this first (the CLI's train, evaluate and export; the app's `loadPrepared`, evaluation and
 * export), so a design trains on a folder of any image size as it is, and its PyTorch export
 * bundles (or lists) the samples at the shape it trained on.
 */
export function withInputShape(config: DatasetConfig, graph: Pick<GraphIR, 'nodes'>): DatasetConfig {
  if (getDataFormat(config.name)?.reads !== 'images' || config.options?.shape !== undefined) return config;
  const shape = graph.nodes.find(isFeatureInput)?.attrs.shape;
  if (!Array.isArray(shape) || shape.length !== 3) return config;
  return { ...config, options: { ...config.options, shape: [...(shape as number[])] } };
}

/**
 * The split the probes' batch is drawn from (ProbeSuite): the test split, else the validation
 * split, else the training split. Start's memory estimate and the Problems panel's (from the
 * dataset preview's counts) size the probe batch on it too.
 */
export function probeSource<S extends { count: number }>(data: { train: S; val: S; test: S }): S {
  return data.test.count > 0 ? data.test : data.val.count > 0 ? data.val : data.train;
}
