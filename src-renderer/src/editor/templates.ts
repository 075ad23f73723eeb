import type { GraphIR } from '../../../src-engine/facade';
import type { EditorDoc } from './document';
import { parseProject } from './project';

/** One entry of the template gallery: an example network from examples/, opened as a new document. */
export interface Template {
  /** File name without `.json`, e.g. `mnist-mlp`. */
  id: string;
  title: string;
  nodes: number;
  dataset?: string;
  /** One line on what the network shows (the start panel's card). */
  blurb?: string;
  /** The graph as a document, or why the example could not be read (shown on the card). */
  doc?: EditorDoc;
  error?: string;
}

/** One line per shipped example: what a learner gets from opening it. */
const BLURBS: Readonly<Record<string, string>> = {
  'mnist-mlp': 'Classify handwritten digits with two dense layers: the classic first network.',
  'mnist-cnn': 'Convolutions and pooling see strokes and shapes: fewer weights, higher accuracy.',
  'mnist-denoise-ae': 'An autoencoder learns to clean noisy digits through a narrow bottleneck.',
  'mnist-dcgan': 'Two networks play against each other: a generator learns to draw digits a discriminator takes for real.',
  'mnist-cdcgan': 'The GAN told which digit to draw: the label goes to both networks, and the sample grid has a column per digit.',
  'two-moons-mlp': 'Watch a small net bend its decision boundary around two half moons.',
  'iris-mlp': 'Three flower species from four measurements: a tiny, fast classifier.',
  'housing-mlp': 'House prices from four columns of a CSV table: regression, a number out instead of a class.',
  'fashion-mlp': 'Clothes instead of digits: the same MLP on a harder dataset.',
  'mnist-lstm': 'An LSTM reads each digit row by row, 28 steps of 28 pixels, and remembers enough to name it.',
  'your-photos':
    'A colour-image CNN for your own photos: put them in a folder with one sub-folder per class (optionally under train/, val/, test/), then Train ▸ Add data…. Until then it learns coloured shapes drawn in code.',
  'shapes-segmentation':
    'Segmentation: a small U-Net names the class of every pixel (background, circle, square, triangle). Concat skips bring the encoder’s detail back to the decoder; Samples paints the predicted masks over the images as it trains.',
  'tiny-gpt': 'A character-level Transformer learns to write like Debian’s fortunes: causal attention, one next character at a time.',
  'fortunes-topics': 'Which topic is this fortune filed under? An LSTM reads it character by character; the mean of its states names computers, science, politics or songs-poems.',
  'fortunes-topics-bow': 'The same fortunes as a bag of words: one Linear layer over word counts, order thrown away. A strong baseline for the LSTM to beat.',
};

/** Display order of the shipped examples; others follow alphabetically. */
const ORDER = ['mnist-mlp', 'mnist-cnn', 'your-photos', 'shapes-segmentation', 'mnist-denoise-ae', 'two-moons-mlp', 'iris-mlp', 'housing-mlp', 'fashion-mlp', 'mnist-lstm', 'mnist-dcgan', 'mnist-cdcgan'];

// Bundled at build time: the gallery works offline and in both hosts.
const FILES = import.meta.glob('../../../examples/*.json', { eager: true, import: 'default' }) as Record<string, unknown>;

/** Read example graphs into templates (exported for tests; the app uses `TEMPLATES`). */
export function readTemplates(files: Record<string, unknown>): Template[] {
  const list = Object.entries(files).map(([path, json]): Template => {
    const id = path.replace(/^.*\//, '').replace(/\.json$/, '');
    const r = parseProject(JSON.stringify(json));
    const graph = (json ?? {}) as Partial<GraphIR>;
    const title = typeof graph.name === 'string' && graph.name ? graph.name : id;
    if (!r.ok) return { id, title, nodes: 0, error: r.message };
    return { id, title, nodes: r.doc.graph.nodes.length, dataset: r.doc.graph.training?.dataset.name, ...(Object.hasOwn(BLURBS, id) ? { blurb: BLURBS[id] } : {}), doc: r.doc };
  });
  const rank = (id: string) => (ORDER.includes(id) ? ORDER.indexOf(id) : ORDER.length);
  return list.sort((a, b) => rank(a.id) - rank(b.id) || a.id.localeCompare(b.id));
}

export const TEMPLATES: readonly Template[] = readTemplates(FILES);
