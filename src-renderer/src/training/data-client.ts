/**
 * Questions about the design's data (the Train dock's preview, Problems' check of a data source):
 * one function a question, so components never name a protocol method (ESLint refuses `request(`
 * in src-renderer/src/components).
 */
import { getDataFormat } from '../../../src-engine/facade';
import type { ResultOf, RpcClient } from '../../../src-engine/protocol';
import type { StoreApi } from 'zustand';
import type { EngineStore } from '../state/engine-store';

/** The preview request for a dataset (its JSON): the same params each time, so a crash on it is recognised. */
const previewParams = (datasetJson: string) => ({ dataset: JSON.parse(datasetJson) as Record<string, unknown> & { name: string }, samples: 8 });

/** A few samples and the class balance of the dataset `datasetJson`; refused at once if the engine crashed on this very preview (see `forgetPreviewCrash`). */
export const previewDataset = (engine: Pick<StoreApi<EngineStore>, 'getState'>, c: RpcClient, datasetJson: string): Promise<ResultOf<'dataset.preview'>> => engine.getState().requestUnlessCrashed(c, 'dataset.preview', previewParams(datasetJson));

/** The user asks for the preview the engine crashed on again: send it next time. */
export const forgetPreviewCrash = (engine: Pick<StoreApi<EngineStore>, 'getState'>, datasetJson: string): void => engine.getState().forgetCrash('dataset.preview', previewParams(datasetJson));

/**
 * Check that the data at `path` (of the design's dataset `dataset`) is still there and readable:
 * its fingerprint, to compare with the one the design saved. A dataset of a format declared
 * `checked` is sent as the source's kind; for any other, the engine works the kind out from the path.
 */
export const checkDataSource = (c: RpcClient, path: string, dataset: string | undefined): Promise<ResultOf<'data.scan'>> => {
  const format = getDataFormat(dataset);
  return c.request('data.scan', { scanId: `check-${Date.now()}`, path, check: true, ...(format?.checked ? { kind: format.kind } : {}) });
};
