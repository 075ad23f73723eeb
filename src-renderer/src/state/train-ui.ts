import { createStore } from 'zustand';
import { DEFAULT_PROBE_HZ, type DatasetPreview, type ProbeOptions } from '../../../src-engine/protocol';

/** The Train dock's tabs, in order: the one list the dock draws, its store keeps and a lesson names. */
export const TRAIN_TABS = [
  { id: 'curves', label: 'Curves' },
  { id: 'layers', label: 'Layers' },
  { id: 'samples', label: 'Samples' },
  { id: 'playground', label: 'Playground' },
  { id: 'runs', label: 'Runs' },
] as const satisfies readonly { id: string; label: string }[];
export type TrainTab = (typeof TRAIN_TABS)[number]['id'];

/** View preferences of the train dock and the canvas overlays (not part of a run). */
export interface TrainUi {
  open: boolean;
  tab: TrainTab;
  /** Node sparklines and health badges on the canvas. */
  overlays: boolean;
  /** Colour edges by the gradient norm of the tensor they carry. */
  edgeGradients: boolean;
  /** Probe the network while training (activations, gradients, samples); off trains headless. */
  probes: boolean;
  /** Probe frames a second (one of `PROBE_RATES_HZ`): how often the histograms, gradient flow and samples refresh. */
  probeHz: number;
  /** The run's speed in steps a second (one of `TRAIN_PACES`; 0: as fast as possible), so a toy set can be watched learning. */
  pace: number;
  /** The train panel's dataset preview (the decision boundary draws its 2-D points). */
  preview?: DatasetPreview;
  /** Which data `preview` is of (`datasetPreviewKey`): the Problems panel's memory verdict takes its splits' sizes only for the design's own. */
  previewKey?: string;
  /**
   * An architecture diff shown on the canvas (from the compare view): the canvas shows one run's
   * design, its nodes coloured by how they differ from the run it is compared against.
   */
  archDiff?: CanvasDiff;
  set(patch: Partial<Omit<TrainUi, 'set'>>): void;
}

/** A window's train dock and overlay preferences. */
export const createTrainUiStore = () =>
  createStore<TrainUi>((set) => ({
    open: false,
    tab: 'curves',
    overlays: true,
    edgeGradients: true,
    probes: true,
    probeHz: DEFAULT_PROBE_HZ,
    pace: 0,
    set: (patch) => set(patch),
  }));

/** The canvas's colouring of an architecture diff (node ids of the design on the canvas). */
export interface CanvasDiff {
  /** What the canvas is compared against, e.g. "★ adam". */
  against: string;
  added: readonly string[];
  /** Changed node → what changed (`outFeatures 128 → 256`). */
  changed: Readonly<Record<string, string>>;
  /** Nodes only the other design has (they cannot show on this canvas). */
  removed: readonly string[];
}

/** What `train.start` gets for probes from the dock's settings: off trains headless, on probes at the chosen rate. */
export function probeOptions(ui: Pick<TrainUi, 'probes' | 'probeHz'>): ProbeOptions | false {
  return ui.probes ? { maxHz: ui.probeHz } : false;
}
