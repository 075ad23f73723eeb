import type { Backend } from '../../core/backend/types';
import type { CheckedGraph } from '../../core/analysis/checked';
import type { TrainedModel } from '../../core/export/model';
import type { LoadedModel } from '../session';
import { ProjectWeightsReceiver } from '../../core/export/project-weights';
import { coded } from './coded';

/** A model `model.read` read, with its graph as the import checked it (so loading it does not check it again). */
export interface StagedModel {
  model: TrainedModel;
  checked?: CheckedGraph;
}

/**
 * The connection's models, one of each at a time: the loaded model (`model.load`, a reopened
 * project, answering `model.predict` under its own run id), the weights last loaded, and the
 * model `model.read` staged for a later `model.load({ staged })`. Other handler groups read them
 * (`loaded`, `weights`) and never set them.
 */
export class ModelSlot {
  private current: { model: LoadedModel; backend: Backend } | null = null;
  /**
   * The weights last loaded (`model.load`, `model.import`): a design whose `training.startFrom`
   * is `loaded` starts every run from them — kept when a run replaces the loaded model, until
   * another model is loaded.
   */
  private lastWeights: TrainedModel | null = null;
  private staged: ({ id: string } & StagedModel) | null = null;
  /** A project's weights being received (`model.weightsBegin`), one at a time. */
  private receiving: { id: string; weights: ProjectWeightsReceiver } | null = null;

  /** `nextId` numbers the staged models (`staged-4`), with the connection's runs. */
  constructor(private readonly nextId: () => number) {}

  /** The loaded model, if one is. */
  get loaded(): LoadedModel | null {
    return this.current?.model ?? null;
  }

  /** The weights last loaded, kept after the loaded model is let go (see `lastWeights`). */
  get weights(): TrainedModel | null {
    return this.lastWeights;
  }

  /** Make `model` (on `backend`, now this slot's to dispose) the loaded model and its weights the last loaded; the one before was `drop`ped first. */
  load(model: LoadedModel, backend: Backend): void {
    this.current = { model, backend };
    this.lastWeights = model.model;
  }

  /** Let go of the loaded model and dispose of its backend; the last weights stay. */
  drop(): void {
    const old = this.current;
    this.current = null;
    old?.backend.dispose?.();
  }

  /** Start receiving a project's weights file of `bytes` bytes (dropping one being received); answers its id. */
  receiveWeights(bytes: number): string {
    const id = `weights-${this.nextId()}`;
    this.receiving = { id, weights: new ProjectWeightsReceiver(bytes) };
    return id;
  }

  /** The weights `id` names, being received; coded when another transfer replaced them (or none was). */
  weightsReceiving(id: string): ProjectWeightsReceiver {
    if (this.receiving?.id !== id) throw coded('E_WEIGHTS_STREAM', 'Those weights are no longer being received (another project was opened since, or the engine restarted); open the project again.');
    return this.receiving.weights;
  }

  /** The weights `id` names, no longer being received (complete or not: `ProjectWeightsReceiver.values` says). */
  takeWeights(id: string): ProjectWeightsReceiver {
    const weights = this.weightsReceiving(id);
    this.receiving = null;
    return weights;
  }

  /** Keep `model` until `takeStaged` asks for it (replacing any model staged before); answers its id. */
  stage(model: TrainedModel, checked?: CheckedGraph): string {
    const id = `staged-${this.nextId()}`;
    this.staged = { id, model, ...(checked ? { checked } : {}) };
    return id;
  }

  /** The staged model `id` names, no longer staged; coded when another read replaced it (or none was). */
  takeStaged(id: string): StagedModel {
    if (this.staged?.id !== id) throw coded('E_IMPORT_STAGED', 'That imported model is no longer waiting to be loaded (another file was read since); import the file again.');
    const { model, checked } = this.staged;
    this.staged = null;
    return { model, ...(checked ? { checked } : {}) };
  }
}
