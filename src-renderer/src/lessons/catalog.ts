import { graphInputs, isGraphInput, type Attrs, type GraphIR } from '../../../src-engine/facade';
import type { LessonReportKind, LessonReportRequest, LessonReportRow } from '../../../src-engine/protocol';
import type { EditorDoc } from '../editor/document';
import { autoLayout } from '../editor/layout';
import type { TrainTab } from '../state/train-ui';

/*
 * The Learn gallery's catalog: what a lesson says and shows (titles, claims, references,
 * explanations, the Train dock tab to watch) and how its runs patch an example design. It is UI:
 * the engine only computes a lesson's report (`lessons.report`, src-engine/app/lessons/inpainting.ts)
 * from the stored runs the gallery names.
 */

/** Which figure of a finished run a lesson reads: a split's loss, accuracy or mean IoU (`done.train/test`). */
export interface LessonReading {
  split: 'train' | 'test';
  /** 'loss' is the trained loss (a regression's in standard units: its targets are standardised by default); 'mse' is in the target's own units. */
  metric: 'loss' | 'accuracy' | 'mean-iou' | 'mse';
}

/** One run of a lesson: its label and how it changes the lesson's example design. */
export interface LessonVariant {
  label: string;
  /** Another example design to start from (default: the lesson's `example`). */
  example?: string;
  patch: (g: GraphIR) => GraphIR;
  /** This run's quick version, applied after `patch` (default: the lesson's `reduce`). */
  reduce?: (g: GraphIR) => GraphIR;
  /** The figure read from this run (default: the lesson's `reading`). */
  reading?: LessonReading;
}

/** The claim a lesson's figures make, in words and as a predicate over them. */
export interface LessonClaim<Figures> {
  text: string;
  holds: (ours: Figures) => boolean;
}

/**
 * A figure computed by the engine from several of a lesson's finished runs at once (one run's
 * network reading another's outputs), which no single run reports: the gallery asks for it with
 * `lessons.report` once the runs are done and shows its rows as a table. Its claim is over the rows.
 */
export interface LessonReport {
  /** What `lessons.report` computes. */
  kind: LessonReportKind;
  /** Which run (variant label) plays each role the request names. */
  runs: Readonly<Record<keyof LessonReportRequest['runs'], string>>;
  /** The heading of the rows' labels, and the columns shown (by key of a row's values; shares, shown as %). */
  rowHeading: string;
  columns: readonly { key: string; label: string }[];
  /** The column that is the lesson's figure (emphasised). */
  figure: string;
  /** What the reference reports for the report, in words (its source is the lesson's `reference.source`). */
  reference: string;
  /** What our figures are, in a sentence shown under the reference. */
  caption: string;
  claim: LessonClaim<readonly LessonReportRow[]>;
}

/** A source of reference figures (/work/shared/lessons-references.md, docs/lessons.md References). */
export interface ReferenceSource {
  /** A few words, shown in the reference column's heading. */
  short: string;
  /** The source in full, shown under the table. */
  title: string;
}

/**
 * What a reference reports for one run: its figure, in the units of the lesson's reading (0.85 for
 * 85 % accuracy), where the source gives one or its words pin one down (`≈`: "~0", "chance"), and
 * always its words. A source that gives words only has no `value`: the gallery says so rather than
 * invent one.
 */
export interface ReferenceFigure {
  value?: number;
  /** The value is approximate ("~0", "near chance"). */
  approx?: boolean;
  /** The source's words for the run ("stuck", "crawls"); with a value, what the value means. */
  words: string;
}

interface LessonCommon {
  id: string;
  title: string;
  /** File name in examples/ (without `.json`) the variants start from. */
  example: string;
  variants: readonly LessonVariant[];
  /** A smaller version of every variant without its own `reduce`, for the gallery's quick mode and the e2e test. */
  reduce?: (g: GraphIR) => GraphIR;
  reading: LessonReading;
  /** What the reference reports per variant label, and where it comes from. */
  reference: { figures: Readonly<Record<string, ReferenceFigure>>; source: ReferenceSource };
  explanation: string;
  /** The Train dock tab that shows the effect while it trains. */
  view: TrainTab;
}

/**
 * A lesson of the Learn gallery: runs to queue (variants of one example design), the figure to
 * read from each, a reference figure with its source, the claim the figures make, a short
 * explanation and the live view that shows the effect. Adding a lesson is one entry in `LESSONS`.
 * The claim is over the runs' figures (by variant label), or, for a lesson with a `report`, over
 * the report's rows.
 */
export type Lesson = LessonCommon & ({ claim: LessonClaim<Readonly<Record<string, number>>>; report?: undefined } | { claim?: undefined; report: LessonReport });

/** The design a lesson's run trains: the variant's patch of its example, reduced in quick mode. */
export function lessonDesign(lesson: Lesson, variant: LessonVariant, example: GraphIR, quick: boolean): GraphIR {
  const g = variant.patch(example);
  if (!quick) return g;
  const reduce = variant.reduce ?? lesson.reduce;
  if (!reduce) throw new Error(`Lesson ${lesson.id}: run "${variant.label}" has no quick version (reduce).`);
  return reduce(g);
}

/** The name of a lesson's run (its design's and project's): the lesson, then the run, which Compare keeps when it shortens. */
export const lessonRunName = (lesson: Lesson, variant: LessonVariant): string => `${lesson.title} — ${variant.label}`;

/**
 * The document a lesson's run opens on the canvas: its design, named after the run (the example's
 * name would call the BatchNorm stack "MNIST MLP", and every run of a lesson the same in Compare),
 * laid out afresh. A variant adds, removes and rewires nodes of its example (the BatchNorm stack
 * has 29 where the MLP had 8), so the example's positions would leave the new nodes stacked at the origin.
 */
export function lessonDocument(lesson: Lesson, variant: LessonVariant, example: EditorDoc, quick: boolean): EditorDoc {
  const graph = { ...lessonDesign(lesson, variant, example.graph, quick), name: lessonRunName(lesson, variant) };
  return { graph, layout: autoLayout(graph) };
}

/** The figure read from a lesson's run. */
export const lessonReading = (lesson: Lesson, variant: LessonVariant): LessonReading => variant.reading ?? lesson.reading;

/** The lesson's claim in words (its report's, when it has one). */
export const lessonClaimText = (lesson: Lesson): string => (lesson.report ? lesson.report.claim.text : lesson.claim.text);

/**
 * Whether the lesson's claim holds for our figures: the runs' (by variant label) or, for a lesson
 * with a report, the report's rows (undefined until they are there).
 */
export function lessonClaimHolds(lesson: Lesson, ours: Readonly<Record<string, number>>, rows?: readonly LessonReportRow[]): boolean | undefined {
  if (lesson.report) return rows ? lesson.report.claim.holds(rows) : undefined;
  return lesson.claim.holds(ours);
}

/** The `lessons.report` request for a lesson's finished runs (stored run ids by variant label); undefined when a run was not stored. */
export function lessonReportRequest(report: LessonReport, storedRuns: Readonly<Record<string, string | undefined>>): LessonReportRequest | undefined {
  const runs: Record<string, string> = {};
  for (const [role, label] of Object.entries(report.runs)) {
    const id = storedRuns[label];
    if (!id) return undefined;
    runs[role] = id;
  }
  return { kind: report.kind, runs } as LessonReportRequest;
}

const HANDBOOK: ReferenceSource = { short: 'a handbook', title: 'A neural-network handbook, debugging checklist and training practice (docs/lessons.md, References)' };

/** `g` with `training` patched (a shallow merge; `dataset` merged one level deeper). */
export function withTraining(g: GraphIR, patch: Partial<NonNullable<GraphIR['training']>>): GraphIR {
  const t = g.training!;
  return { ...g, training: { ...t, ...patch, dataset: { ...t.dataset, ...(patch.dataset ?? {}) } } };
}

/** The essentials guide names these exercises without figures: the reference column is the textbook expectation. */
const ESSENTIALS: ReferenceSource = { short: 'textbook expectation', title: 'Textbook expectation (no figures given); the exercise as in an essentials guide (docs/lessons.md, References)' };

const LEARNER: ReferenceSource = { short: "a learner's notes", title: "A learner's week of building networks in PyTorch on MNIST, self-study notes (docs/lessons.md, References)" };

/** A reference's words, without a figure (the source gives none). */
const words = (text: string): ReferenceFigure => ({ words: text });
/** A reference's figure, as the source states it (`approx`: "~0", "near chance"). */
const figure = (value: number, text: string, approx = false): ReferenceFigure => ({ value, words: text, ...(approx ? { approx } : {}) });

/** `g` with the attributes of the nodes named patched (other nodes as they were). */
export function withAttrs(g: GraphIR, ids: readonly string[], attrs: Attrs): GraphIR {
  return { ...g, nodes: g.nodes.map((n) => (ids.includes(n.id) ? { ...n, attrs: { ...n.attrs, ...attrs } } : n)) };
}

/** `g` trained on at most `limit` MNIST samples for `epochs` (the lessons' budget on a laptop CPU). */
const small = (g: GraphIR, limit: number, epochs: number) => withTraining(g, { epochs, dataset: { ...g.training!.dataset, limit } });

/** The MNIST MLP fed raw 0–255 or 0–1 pixels, trained by plain SGD (Adam would hide part of the effect). */
const rawOrScaled = (g: GraphIR, normalize: 'raw' | 'none') =>
  small(withTraining(g, { optimizer: { kind: 'sgd', lr: 0.1 }, dataset: { ...g.training!.dataset, options: { ...g.training!.dataset.options, normalize } } }), 10_000, 3);

/**
 * The test MSE of the average training digit given as the reconstruction of every MNIST test digit
 * (0.0669–0.0675 on the splits the autoencoder lessons use; test/unit/lessons/catalog.test.ts
 * measures it): a reconstruction above it is a grey blob, one well below it draws the digit.
 */
export const AVERAGE_DIGIT_MSE = 0.067;

/** The MNIST MLP with Dropout 0.5 (the template's 0.2 hides most of the effect), trained as the template is (all digits, 5 epochs). */
const dropout = (g: GraphIR) => withAttrs(g, ['drop1', 'drop2'], { p: 0.5 });

/**
 * The MNIST MLP's input and loss around a deep stack of `depth` Linear(64) + Sigmoid layers
 * (optionally a BatchNorm before each Sigmoid), trained by plain SGD: the stack a learner gets
 * stuck with (vanishing gradients through the sigmoids), and the same stack rescued by BatchNorm.
 */
export function deepSigmoid(g: GraphIR, depth: number, batchNorm: boolean): GraphIR {
  const nodes = g.nodes.filter((n) => isGraphInput(n) || n.id === 'flat');
  let prev = 'flat';
  for (let i = 1; i <= depth; i++) {
    nodes.push({ id: `fc${i}`, op: 'Linear', attrs: { outFeatures: 64 }, inputs: [prev] });
    prev = `fc${i}`;
    if (batchNorm) {
      nodes.push({ id: `bn${i}`, op: 'BatchNorm', attrs: {}, inputs: [prev] });
      prev = `bn${i}`;
    }
    nodes.push({ id: `sig${i}`, op: 'Sigmoid', attrs: {}, inputs: [prev] });
    prev = `sig${i}`;
  }
  nodes.push({ id: 'out', op: 'Linear', attrs: { outFeatures: 10 }, inputs: [prev] });
  nodes.push({ id: 'loss', op: 'CrossEntropyLoss', attrs: {}, inputs: ['out', 'label'] });
  return withTraining({ ...g, nodes, outputs: { logits: 'out', loss: 'loss' } }, { optimizer: { kind: 'sgd', lr: 0.1 } });
}

/**
 * `g` (a features Input, a target Input, a loss node fed by a final Linear and the target) with
 * its layers between input and loss replaced by `hidden.length` Linear + ReLU layers of those
 * widths, then the final Linear (no hidden layer: a linear classifier, or linear regression).
 */
export function withHiddenLayers(g: GraphIR, hidden: readonly number[]): GraphIR {
  const inputs = graphInputs(g);
  const features = inputs.find((n) => n.attrs.source === 'features')!.id;
  const lossNode = g.nodes.find((n) => n.id === g.training!.loss)!;
  const head = g.nodes.find((n) => n.id === lossNode.inputs[0])!;
  const nodes = [...inputs];
  let prev = features;
  hidden.forEach((width, i) => {
    nodes.push({ id: `fc${i + 1}`, op: 'Linear', attrs: { outFeatures: width }, inputs: [prev] });
    nodes.push({ id: `relu${i + 1}`, op: 'ReLU', attrs: {}, inputs: [`fc${i + 1}`] });
    prev = `relu${i + 1}`;
  });
  nodes.push({ id: 'out', op: 'Linear', attrs: { outFeatures: head.attrs.outFeatures! }, inputs: [prev] });
  nodes.push({ ...lossNode, inputs: ['out', ...lossNode.inputs.slice(1)] });
  const outputs = Object.fromEntries(Object.entries(g.outputs).map(([k, id]) => [k, id === head.id ? 'out' : id]));
  return { ...g, nodes, outputs };
}

/** Capacities of the decision-boundary lesson: hidden widths, by label. */
const CAPACITY: readonly (readonly [string, readonly number[]])[] = [
  ['linear', []],
  ['1 × 4', [4]],
  ['2 × 32', [32, 32]],
];
const BOUNDARY_SETS = ['two-moons', 'circles', 'spirals'] as const;
const boundaryLabel = (set: string, cap: string) => `${set} · ${cap}`;

/** The in-painting lesson's hidden square: 12 × 12 pixels of 28 × 28, at a random place per image. */
const INPAINTING_MASK = { kind: 'block-mask', size: 12 } as const;

/** Published figures for the sequence lessons (shared/lessons-references.md). */
const SEQUENCES: ReferenceSource = {
  short: 'published figures',
  title: 'Published figures: the adding problem (Hochreiter & Schmidhuber 1997, experiment 4; Le, Jaitly & Hinton 2015) (docs/lessons.md, References)',
};

/** PyTorch on the same four fortune files and 80/20 split (docs/lessons.md, References). */
const TORCH_FORTUNES: ReferenceSource = {
  short: 'PyTorch, same split',
  title: 'PyTorch 1.13 on Debian’s fortunes computers/science/politics/songs-poems, 3,099 fortunes, 80/20 split (issue #48) (docs/lessons.md, References)',
};

/** The adding problem's baseline: always predicting the mean (1) scores the variance of a sum of two U(0, 1), 1/6. */
export const ADDING_MEAN_MSE = 1 / 6;

/** The sequence lengths of the RNN-vs-LSTM lesson. */
const ADDING_LENGTHS = [10, 30, 100] as const;
const addingLabel = (op: string, t: number) => `${op}, T = ${t}`;

/**
 * The adding problem at `length` steps through one recurrent layer of 32 units (`op`: RNN or
 * LSTM), its last state read by a Linear(1): MSE against the sum of the two marked values, Adam.
 * Built whole (the example only lends its format).
 */
export function addingNet(g: GraphIR, op: 'RNN' | 'LSTM', length: number, samples: number, epochs: number): GraphIR {
  return {
    format: g.format,
    version: g.version,
    name: `Adding problem, ${op} (T = ${length})`,
    nodes: [
      { id: 'steps', op: 'Input', attrs: { shape: [length, 2], source: 'features' }, inputs: [] },
      { id: 'sum', op: 'Input', attrs: { shape: [1], source: 'target' }, inputs: [] },
      { id: 'rnn', op, attrs: { hiddenSize: 32, output: 'last' }, inputs: ['steps'] },
      { id: 'out', op: 'Linear', attrs: { outFeatures: 1 }, inputs: ['rnn'] },
      { id: 'loss', op: 'MSELoss', attrs: {}, inputs: ['out', 'sum'] },
    ],
    outputs: { prediction: 'out', loss: 'loss' },
    training: {
      dataset: { name: 'adding', options: { length, samples, seed: 1 }, validationSplit: 0.1 },
      loss: 'loss',
      optimizer: { kind: 'adam', lr: 0.01 },
      batchSize: 64,
      epochs,
      seed: 1,
      // The sum's test MSE in its own units: the lesson's baseline (1/6) is a raw figure, and the loss
      // is in standard units since targets are standardised by default.
      metrics: ['mse'],
    },
  };
}

/** The lessons, cheapest first (in-painting, which needs a judge, last). */
export const LESSONS: readonly Lesson[] = [
  {
    id: 'overfit-tiny',
    title: 'Overfit a tiny subset first',
    example: 'mnist-mlp',
    variants: [{ label: '64 samples', patch: (g) => withTraining(g, { dataset: { ...g.training!.dataset, limit: 64, validationSplit: 0 }, epochs: 150, batchSize: 64, evaluation: 'eval' }) }],
    reduce: (g) => withTraining(g, { epochs: 100 }),
    reading: { split: 'train', metric: 'loss' },
    reference: { figures: { '64 samples': figure(0, 'the training loss must go to ~0', true) }, source: HANDBOOK },
    claim: { text: 'On 64 samples the training loss goes to ~0 (below 0.05): the network and the training loop work.', holds: (o) => o['64 samples'] < 0.05 },
    explanation:
      'A network that can learn anything must be able to memorise 64 samples. If the training loss does not go to about zero, look for a bug (wrong labels, a loss fed the wrong thing, a learning rate of 0) before tuning anything else. The test accuracy of such a run is poor: memorising is not generalising.',
    view: 'curves',
  },
  {
    id: 'learning-rate',
    title: 'Learning rate too high, too low',
    example: 'two-moons-mlp',
    variants: [
      { label: 'lr 1e-5', patch: (g) => withTraining(g, { optimizer: { kind: 'sgd', lr: 1e-5 } }) },
      { label: 'lr 0.1', patch: (g) => withTraining(g, { optimizer: { kind: 'sgd', lr: 0.1 } }) },
      { label: 'lr 50', patch: (g) => withTraining(g, { optimizer: { kind: 'sgd', lr: 50 } }) },
    ],
    reduce: (g) => withTraining(g, { epochs: 10 }),
    reading: { split: 'test', metric: 'accuracy' },
    reference: { figures: { 'lr 1e-5': words('too low crawls'), 'lr 0.1': words('learns'), 'lr 50': words('too high diverges') }, source: HANDBOOK },
    claim: {
      text: 'The middle learning rate beats both extremes by at least 10 points of test accuracy.',
      holds: (o) => o['lr 0.1'] - o['lr 1e-5'] >= 0.1 && o['lr 0.1'] - (Number.isFinite(o['lr 50']) ? o['lr 50'] : 0) >= 0.1,
    },
    explanation:
      'Plain SGD on the two-moons MLP: with lr 1e-5 the weights barely move (near chance); with lr 0.1 it finds the curved boundary; with lr 50 every step overshoots, the loss jumps around or explodes and the boundary is nonsense. Watch the loss curve: flat, falling, or jagged.',
    view: 'curves',
  },
  {
    id: 'init',
    title: 'Initialisation: zeros, Xavier, He',
    example: 'two-moons-mlp',
    variants: [
      { label: 'zeros', patch: (g) => withAttrs(g, ['fc1', 'fc2', 'fc3'], { init: 'zeros' }) },
      { label: 'Xavier', patch: (g) => withAttrs(g, ['fc1', 'fc2', 'fc3'], { init: 'xavier_uniform' }) },
      { label: 'He', patch: (g) => withAttrs(g, ['fc1', 'fc2', 'fc3'], { init: 'he_uniform' }) },
    ],
    reduce: (g) => withTraining(g, { epochs: 10 }),
    reading: { split: 'test', metric: 'accuracy' },
    reference: { figures: { zeros: figure(0.5, 'nothing learns: chance on two balanced classes', true), Xavier: words('learns (made for tanh/sigmoid)'), He: words('learns (made for ReLU)') }, source: HANDBOOK },
    claim: {
      text: 'All-zero weights stay at chance (≤ 60 %); Xavier and He both learn (≥ 85 %).',
      holds: (o) => o.zeros <= 0.6 && o.Xavier >= 0.85 && o.He >= 0.85,
    },
    explanation:
      'With every weight zero, every hidden unit computes the same thing (here: nothing, a ReLU of 0) and gets the same gradient (here: none), so the hidden layers never change and the output can only learn the class balance. Random weights break that symmetry; Xavier scales them for tanh/sigmoid, He for ReLU, so the signal keeps its size through the layers. Watch the Layers tab: with zeros every activation histogram is a spike at 0.',
    view: 'layers',
  },
  {
    id: 'decision-boundaries',
    title: 'Decision boundaries as capacity grows: moons, circles, spirals',
    example: 'two-moons-mlp',
    variants: BOUNDARY_SETS.flatMap((set) =>
      CAPACITY.map(([cap, hidden]) => ({
        label: boundaryLabel(set, cap),
        patch: (g: GraphIR) => withTraining(withHiddenLayers(g, hidden), { epochs: 60, dataset: { name: set, options: { samples: 1000, noise: set === 'spirals' ? 0.05 : 0.1 }, validationSplit: 0.1 } }),
      })),
    ),
    reduce: (g) => withTraining(g, { epochs: 20 }),
    reading: { split: 'test', metric: 'accuracy' },
    reference: {
      figures: Object.fromEntries(
        BOUNDARY_SETS.flatMap((set) =>
          CAPACITY.map(([cap]) => [
            boundaryLabel(set, cap),
            cap === 'linear' ? (set === 'two-moons' ? words('a straight line: misses the tips') : figure(0.5, 'a straight line: near chance', true)) : words(cap === '1 × 4' ? 'a few bends' : 'follows the data'),
          ]),
        ),
      ),
      source: ESSENTIALS,
    },
    claim: {
      text: 'Accuracy does not fall as capacity grows (within 2 points) on any set; two hidden layers of 32 beat a straight line by at least 10 points on each; 4 hidden units are enough for the circles (≥ 90 %) but not for the spirals (at least 20 points below 2 × 32).',
      holds: (o) => {
        const at = (set: string, cap: string) => o[boundaryLabel(set, cap)];
        return (
          BOUNDARY_SETS.every((set) => at(set, '1 × 4') >= at(set, 'linear') - 0.02 && at(set, '2 × 32') >= at(set, '1 × 4') - 0.02 && at(set, '2 × 32') - at(set, 'linear') >= 0.1) &&
          at('circles', '1 × 4') >= 0.9 &&
          at('spirals', '2 × 32') - at('spirals', '1 × 4') >= 0.2
        );
      },
    },
    explanation:
      'The same three networks on three 2-D sets: no hidden layer (the boundary is a straight line), one hidden layer of 4 ReLUs (a few bends), two of 32 (as many bends as the data needs). A straight line gets the bulk of the two moons but not their tips, and is near chance on circles and spirals; 4 units are enough for a circle, not for spirals. Watch the Playground tab: it draws the decision boundary over the data while the network trains.',
    view: 'playground',
  },
  {
    id: 'iris',
    title: 'Iris: when a straight line is enough',
    example: 'iris-mlp',
    variants: [
      { label: 'linear', patch: (g) => withHiddenLayers(g, []) },
      { label: 'MLP 4-16-3', patch: (g) => g },
    ],
    reduce: (g) => withTraining(g, { epochs: 30 }),
    reading: { split: 'test', metric: 'accuracy' },
    reference: { figures: { linear: words('near-perfect (the classes are almost linearly separable)'), 'MLP 4-16-3': words('near-perfect') }, source: ESSENTIALS },
    claim: {
      text: 'On Iris’s four measurements a linear classifier is within 5 points of the MLP, and both reach at least 90 % test accuracy.',
      holds: (o) => Math.abs(o['MLP 4-16-3'] - o.linear) <= 0.05 && o.linear >= 0.9 && o['MLP 4-16-3'] >= 0.9,
    },
    explanation:
      'Fisher’s 150 flowers, three species, four measurements. Setosa is far from the others and versicolor and virginica overlap only a little along the petal measurements, so a linear classifier already does nearly as well as a hidden layer: more capacity only pays when the boundary bends (compare the spirals). Watch the Curves tab: both reach the same accuracy; the confusion matrix shows the few versicolor/virginica mix-ups.',
    view: 'curves',
  },
  {
    id: 'housing-regression',
    title: 'Regression on a CSV table: house prices',
    example: 'housing-mlp',
    variants: [
      { label: 'linear regression', patch: (g) => withHiddenLayers(g, []) },
      { label: 'MLP 4-32-32-1', patch: (g) => g },
    ],
    reduce: (g) => withTraining(g, { epochs: 60 }),
    reading: { split: 'test', metric: 'loss' },
    reference: { figures: { 'linear regression': words('a plane: misses the premium near the centre'), 'MLP 4-32-32-1': words('fits the curve') }, source: ESSENTIALS },
    claim: {
      text: 'On the housing table the MLP’s test error (MSE, price in 100,000s) is at most half that of linear regression.',
      holds: (o) => o['MLP 4-32-32-1'] <= 0.5 * o['linear regression'],
    },
    explanation:
      'A CSV table shipped with the app (500 houses: area, rooms, age, distance to the centre → price), read by the same parser as a CSV file of your own (the csv dataset with a file path, in a design file or on the command line). Price grows with area and rooms and falls with age, all roughly straight lines, but the premium for living near the centre fades away with distance along a curve. Linear regression (no hidden layer) can only fit a plane, so it over-prices the suburbs and under-prices the centre; two hidden layers bend to the curve. Watch the Curves tab: the MSE and R² of both runs.',
    view: 'curves',
  },
  {
    id: 'raw-vs-normalised',
    title: 'Raw 0–255 pixels vs normalised',
    example: 'mnist-mlp',
    variants: [
      { label: 'raw 0–255', patch: (g) => rawOrScaled(g, 'raw') },
      { label: 'scaled 0–1', patch: (g) => rawOrScaled(g, 'none') },
    ],
    reduce: (g) => small(g, 4000, 2),
    reading: { split: 'test', metric: 'accuracy' },
    reference: { figures: { 'raw 0–255': words('unstable, loss exploding'), 'scaled 0–1': words('stable, converging') }, source: LEARNER },
    claim: {
      text: 'Pixels scaled to 0–1 reach at least 10 points more test accuracy than raw 0–255 pixels (or the raw run diverges).',
      holds: (o) => o['scaled 0–1'] - (Number.isFinite(o['raw 0–255']) ? o['raw 0–255'] : 0) >= 0.1,
    },
    explanation:
      'The same MLP and SGD (lr 0.1) fed pixels as stored (0–255) or divided by 255. With raw pixels the first layer’s outputs are 255 times larger, the first gradients are huge and the steps overshoot: the loss jumps or explodes. Scaled inputs keep the activations near 1 and the steps sensible. Set it in the Train dock’s Data panel (scale), and watch the loss curve.',
    view: 'curves',
  },
  {
    id: 'dropout-eval',
    title: 'Dropout with and without eval()',
    example: 'mnist-mlp',
    variants: [
      { label: 'eval()', patch: (g) => withTraining(dropout(g), { evaluation: 'eval' }) },
      { label: 'forgot eval()', patch: (g) => withTraining(dropout(g), { evaluation: 'train' }) },
    ],
    reduce: (g) => small(g, 1000, 2),
    reading: { split: 'test', metric: 'accuracy' },
    reference: { figures: { 'eval()': figure(0.97, 'in eval mode'), 'forgot eval()': figure(0.82, 'Dropout still active at test time') }, source: LEARNER },
    claim: {
      text: 'Testing with Dropout still active (no eval()) costs accuracy: at least 2 points below the same network tested in eval mode.',
      holds: (o) => o['eval()'] - o['forgot eval()'] >= 0.02,
    },
    explanation:
      'One trained network (the MNIST MLP with Dropout 0.5), tested two ways. In eval mode Dropout passes every value through; forgetting model.eval() leaves it dropping half the units at random while testing, so each prediction is made by a damaged network. The reference lost 15 points; how much is lost depends on the dropout rate and the network. Switch it in the Train dock (evaluation: train / eval).',
    view: 'curves',
  },
  {
    id: 'sgd-vs-adam-ae',
    title: 'SGD vs Adam on the denoising autoencoder',
    example: 'mnist-denoise-ae',
    variants: [
      { label: 'SGD lr 0.01', patch: (g) => small(withTraining(g, { optimizer: { kind: 'sgd', lr: 0.01 }, batchSize: 16 }), 6000, 3) },
      { label: 'Adam lr 0.001', patch: (g) => small(withTraining(g, { optimizer: { kind: 'adam', lr: 0.001 }, batchSize: 16 }), 6000, 3) },
    ],
    // NOTE: 4,000 digits × 3 epochs in batches of 16 (750 steps) is about the least that gets Adam
    // past the average digit to digits (test MSE 0.035); 1,000 × 2 in batches of 64 left it a grey blob (0.072).
    reduce: (g) => small(g, 4000, 3),
    reading: { split: 'test', metric: 'loss' },
    reference: { figures: { 'SGD lr 0.01': words('blurry though the loss decreased'), 'Adam lr 0.001': words('fixed by switching to Adam') }, source: LEARNER },
    claim: {
      text: `With the same budget Adam gets past the grey blob and plain SGD does not: Adam’s test MSE is at most 60 % of the average digit’s (${AVERAGE_DIGIT_MSE}, the same grey blob for every input), SGD’s is no better than the blob’s.`,
      holds: (o) => o['Adam lr 0.001'] <= 0.6 * AVERAGE_DIGIT_MSE && o['SGD lr 0.01'] >= AVERAGE_DIGIT_MSE,
    },
    explanation:
      `A network that outputs the average digit for every input, a grey blob, scores a test MSE of ${AVERAGE_DIGIT_MSE}: anything above that has not yet learned what a digit looks like, anything well below it draws the digit it was given. Plain SGD (lr 0.01) is still above it after these steps: its reconstructions are a uniform grey. Adam (lr 0.001, batches of 16) scales each weight’s step by its own gradient history and gets past the blob: its reconstructions are digits, soft, and after the quick run some are still the wrong one (a 5 drawn as a blurred 0); the full run’s are a little sharper. Neither is the reference’s “sharp”: that takes more epochs. Watch the Samples tab: SGD’s uniform grey, Adam’s digits.`,
    view: 'samples',
  },
  {
    id: 'bottleneck',
    title: 'Autoencoder bottleneck: 8, 16, 32, 64, 128',
    example: 'mnist-denoise-ae',
    // Batches of 16, as the SGD vs Adam lesson: 10,000 digits × 3 epochs (a third of the samples
    // 20,000 × 5 in batches of 64 took) end 0.000–0.008 above that run's test MSE per width; quick,
    // 4,000 × 3 ends where 10,000 × 3 in batches of 64 did (within 0.003).
    variants: [8, 16, 32, 64, 128].map((k) => ({ label: `bottleneck ${k}`, patch: (g: GraphIR) => small(withTraining(withAttrs(g, ['fc2'], { outFeatures: k }), { batchSize: 16 }), 10_000, 3) })),
    reduce: (g) => small(g, 4000, 3),
    reading: { split: 'test', metric: 'loss' },
    reference: {
      figures: {
        'bottleneck 8': words('blurry'),
        'bottleneck 16': words('better'),
        'bottleneck 32': words('clean'),
        'bottleneck 64': words('memorising'),
        'bottleneck 128': words('over-fitting (memorises the noise)'),
      },
      source: LEARNER,
    },
    claim: {
      text: 'A bottleneck of 8 loses the most (highest test MSE); 32 loses at least 15 % less than 8.',
      holds: (o) => [16, 32, 64, 128].every((k) => o[`bottleneck ${k}`] < o['bottleneck 8']) && o['bottleneck 32'] <= 0.85 * o['bottleneck 8'],
    },
    explanation:
      'The bottleneck is how many numbers the encoder may keep per digit. 8 is too few to describe a digit: reconstructions are blurry. With 16 or 32 the digits come back: clean in the reference, still soft on our short runs (more so on the quick one). The reference saw wider bottlenecks start to copy the noise through; on a short run like ours the test error mostly keeps falling, so look at the Samples tab for noise in the reconstructions rather than at the error alone.',
    view: 'samples',
  },
  {
    id: 'batchnorm-deep',
    title: 'BatchNorm rescues a deep net that is stuck',
    example: 'mnist-mlp',
    variants: [
      { label: 'deep sigmoid', patch: (g) => small(deepSigmoid(g, 8, false), 20_000, 5) },
      { label: '+ BatchNorm', patch: (g) => small(deepSigmoid(g, 8, true), 20_000, 5) },
    ],
    reduce: (g) => small(g, 4000, 3),
    reading: { split: 'test', metric: 'accuracy' },
    reference: { figures: { 'deep sigmoid': figure(0.85, 'stuck (without BatchNorm)'), '+ BatchNorm': figure(0.97, 'with BatchNorm') }, source: LEARNER },
    claim: {
      text: 'Without BatchNorm our 8-layer sigmoid stack is stuck harder than the reference’s (85 %): at chance, at most 15 % (one digit answered for every image); a BatchNorm before each sigmoid makes the same stack learn, at least 30 points more.',
      holds: (o) => o['deep sigmoid'] <= 0.15 && o['+ BatchNorm'] - o['deep sigmoid'] >= 0.3,
    },
    explanation:
      'Eight Linear(64) + Sigmoid layers trained by plain SGD (lr 0.1, seed 1). A sigmoid’s slope is at most 0.25, so the gradient shrinks at every layer on its way back: the first layers hardly move and the net stays stuck: ours at chance (it answers the same digit for every image, 10 %), the reference’s network (its depth not stated) at 85 %. A BatchNorm before each sigmoid re-centres and re-scales every layer’s input to where the sigmoid is steep, the gradient reaches the first layers and the same stack learns. Watch the Layers tab: per-layer gradient norms fall by orders of magnitude without BatchNorm.',
    view: 'layers',
  },
  {
    id: 'mlp-vs-cnn',
    title: 'Dense MLP vs CNN on MNIST',
    example: 'mnist-mlp',
    variants: [
      { label: 'MLP', patch: (g) => small(g, 4000, 2) },
      { label: 'CNN', example: 'mnist-cnn', patch: (g) => small(g, 4000, 2) },
    ],
    reduce: (g) => small(g, 1000, 1),
    reading: { split: 'test', metric: 'accuracy' },
    reference: { figures: { MLP: figure(0.97, 'dense 784-128-64-10, all 60,000 digits'), CNN: figure(0.992, 'convolutional layers, all 60,000 digits') }, source: LEARNER },
    claim: { text: 'Trained on the same digits (4,000 for two epochs; quick: 1,000 for one), the CNN beats the MLP on the test set.', holds: (o) => o.CNN > o.MLP },
    explanation:
      'The MLP sees 784 unrelated numbers; the CNN slides small filters over the image, so a stroke is recognised wherever it is, with far fewer weights. The reference trained on all 60,000 digits (97 % vs 99.2 %); ours train on 4,000 for two epochs (quick: 1,000 for one) to stay quick on a laptop, so both figures are lower, but the order is the same. Watch the Layers tab: the conv filters’ activations look like strokes.',
    view: 'layers',
  },
  {
    id: 'rnn-vs-lstm',
    title: 'RNN vs LSTM on long sequences: the adding problem',
    example: 'mnist-lstm',
    variants: ADDING_LENGTHS.flatMap((t) => (['RNN', 'LSTM'] as const).map((op) => ({ label: addingLabel(op, t), patch: (g: GraphIR) => addingNet(g, op, t, 12_000, 6) }))),
    // Quick: 4 epochs instead of 6 (fewer sequences leave even the LSTM at the baseline).
    reduce: (g) => withTraining(g, { epochs: 4 }),
    reading: { split: 'test', metric: 'mse' },
    reference: {
      figures: Object.fromEntries(
        ADDING_LENGTHS.flatMap((t) => [
          [addingLabel('RNN', t), t > 10 ? figure(ADDING_MEAN_MSE, 'plain tanh RNNs stay near the baseline (always predicting the mean) as T grows', true) : words('learns short sequences')],
          [addingLabel('LSTM', t), words('learns it for sequences of hundreds of steps')],
        ]),
      ),
      source: SEQUENCES,
    },
    claim: {
      text: `The LSTM learns the sum at 10 and 30 steps (test MSE ≤ 0.05) where the plain RNN learns it at 10 (≤ 0.12, below the ${ADDING_MEAN_MSE.toFixed(3)} of always predicting the mean) but stays near that baseline at 30 (≥ 0.12). At 100 steps, with this budget, both stay at the baseline (≥ 0.12): where ours stop.`,
      holds: (o) =>
        o[addingLabel('LSTM', 10)] <= 0.05 &&
        o[addingLabel('LSTM', 30)] <= 0.05 &&
        o[addingLabel('RNN', 10)] <= 0.12 &&
        o[addingLabel('RNN', 30)] >= 0.12 &&
        o[addingLabel('RNN', 100)] >= 0.12 &&
        o[addingLabel('LSTM', 100)] >= 0.12,
    },
    explanation:
      'Each sequence is T steps of [a random value, a marker]; two steps are marked, and the target is the sum of their values. The network must carry the first marked value until the end. A plain RNN multiplies its gradient by the same recurrent weights at every step back, so after a few dozen steps the signal from the first marked value has vanished: it can only learn the average, and its test MSE stays near 1/6 ≈ 0.167. An LSTM adds to a cell state through gates instead of multiplying, so the gradient survives. Each run here is 6 epochs of 10,800 sequences (about a minute in all on a laptop CPU); the published LSTMs that solve hundreds of steps trained on millions, so at 100 steps ours has not found it yet. Watch the Layers tab: the gradient by time step (‖∂L/∂hₜ‖) sinks towards the early steps for the RNN and stays level for the LSTM.',
    view: 'layers',
  },
  {
    id: 'text-lstm-vs-bow',
    title: 'Text classification: an LSTM over characters vs a bag of words',
    example: 'fortunes-topics',
    variants: [
      { label: 'LSTM (characters)', patch: (g) => g, reduce: (g) => small(g, 1200, 3) },
      { label: 'bag of words', example: 'fortunes-topics-bow', patch: (g) => g },
    ],
    reduce: (g) => g,
    reading: { split: 'test', metric: 'accuracy' },
    reference: {
      figures: {
        'LSTM (characters)': figure(0.595, 'Embedding(32) + LSTM(64) over characters, mean-pooled, 8 epochs of Adam: 0.59–0.60', true),
        'bag of words': figure(0.69, 'logistic regression on word counts'),
      },
      source: TORCH_FORTUNES,
    },
    claim: {
      text: 'Both beat always answering the largest topic (0.34); on 3,099 short texts the bag of words beats the LSTM that reads every character in order.',
      holds: (o) => o['LSTM (characters)'] > 0.34 && o['bag of words'] > o['LSTM (characters)'],
    },
    explanation:
      'Each fortune is filed under one of four topics. The LSTM reads the first 256 characters one at a time, with no notion of a word given; the mean of its states over the text feeds a Linear head. The bag of words counts each of the 4,000 commonest training words and throws the order away; one Linear layer weighs them. Topic is mostly carried by which words occur (“program”, “Congress”, “atom”), so the counts get there in seconds, while the LSTM must first learn to spell from 2,500 examples — it does learn the form (verse and its line breaks: songs-poems is its best class), which no word count sees, but not enough vocabulary to tell science from computers. Order pays off with more text, or with words as tokens. Watch the Samples tab: the fortunes each model gets wrong.',
    view: 'samples',
  },
  {
    id: 'unet-budget',
    title: 'Segmentation: a U-Net learns a class per pixel, scored by mean IoU',
    example: 'shapes-segmentation',
    variants: [
      { label: '1,000 images, 6 epochs', patch: (g) => small(g, 1000, 6) },
      { label: '2,000 images, 8 epochs (the template)', patch: (g) => g, reduce: (g) => small(g, 600, 4) },
    ],
    reduce: (g) => small(g, 300, 3),
    reading: { split: 'test', metric: 'mean-iou' },
    reference: {
      figures: {
        '1,000 images, 6 epochs': words('a short run: the masks find the shapes, edges and small classes still wrong'),
        '2,000 images, 8 epochs (the template)': words('sharp masks; segmentation benchmarks report mean IoU, not pixel accuracy'),
      },
      source: ESSENTIALS,
    },
    claim: {
      text: 'The template (2,000 images, 8 epochs) reaches a test mean IoU of at least 0.80, and at least 0.1 above the same U-Net on half the images for 6 epochs.',
      holds: (o) => o['2,000 images, 8 epochs (the template)'] >= 0.8 && o['2,000 images, 8 epochs (the template)'] >= o['1,000 images, 6 epochs'] + 0.1,
    },
    explanation:
      'Every pixel gets a class (background, circle, square or triangle), so the network ends in a Conv2d with one output channel per class at full size, and CrossEntropyLoss compares each pixel with the mask. The encoder halves the image twice to see whole shapes; the decoder (ConvTranspose2d) doubles it back, and the Concat skips hand it the encoder’s full-size features for the edges. Mean IoU (per class, the pixels both the mask and the prediction call that class over the pixels either does, averaged) punishes blurred edges and missed shapes where pixel accuracy, dominated by the background, barely moves: the short run already labels most pixels right. Watch the Samples tab: the predicted masks painted over the test images sharpen as it trains.',
    view: 'samples',
  },
  {
    id: 'inpainting',
    title: 'In-painting masked digits, success per digit class',
    example: 'mnist-mlp',
    variants: [
      {
        // The judge: the MNIST MLP on unnormalised pixels in [0, 1], as the in-painter outputs them.
        label: 'judge',
        patch: (g) => withTraining(g, { epochs: 3, dataset: { ...g.training!.dataset, options: {} } }),
        reduce: (g) => small(g, 4000, 2),
        reading: { split: 'test', metric: 'accuracy' },
      },
      {
        // The in-painter: the denoising autoencoder fed block-masked digits, target the clean digit.
        label: 'in-painter',
        example: 'mnist-denoise-ae',
        patch: (g) => small(withTraining(g, { dataset: { ...g.training!.dataset, transform: INPAINTING_MASK } }), 20_000, 5),
        reduce: (g) => small(g, 4000, 3),
        reading: { split: 'test', metric: 'loss' },
      },
    ],
    reading: { split: 'test', metric: 'accuracy' },
    reference: { figures: { judge: figure(0.97, 'the dense MLP, all 60,000 digits'), 'in-painter': words('reconstructs hidden regions') }, source: LEARNER },
    report: {
      kind: 'inpainting',
      runs: { judge: 'judge', inpainter: 'in-painter' },
      rowHeading: 'Digit',
      columns: [
        { key: 'clean', label: 'Clean' },
        { key: 'masked', label: 'Masked' },
        { key: 'inpainted', label: 'In-painted' },
      ],
      figure: 'inpainted',
      reference: 'simple digits 90 %, complex digits 60 %',
      caption: 'Ours: the share of each digit’s test images the judge reads as that digit — clean (the ceiling), with the square hidden (what in-painting must beat), and in-painted.',
      claim: {
        text: 'In-painting helps: the judge reads more in-painted than masked digits overall, and success differs by class (the best class at least 10 points above the worst).',
        holds: (rows) => {
          const total = rows.reduce((s, r) => s + r.count, 0);
          const share = (k: 'masked' | 'inpainted') => rows.reduce((s, r) => s + r.values[k]! * r.count, 0) / total;
          const success = rows.map((r) => r.values.inpainted!);
          return total > 0 && share('inpainted') > share('masked') && Math.max(...success) - Math.min(...success) >= 0.1;
        },
      },
    },
    explanation:
      'A 12 × 12 square of every digit is hidden; the autoencoder learns to draw what was there from the rest. Whether it succeeded is judged by a classifier trained in Netwright on clean digits: does it read the in-painted digit as its label? Only the hidden pixels are taken from the in-painter. The judge’s reading of the clean digit is the ceiling, of the masked one what in-painting must beat. Simple digits (a 1, a 0) come back from almost any remnant; digits told apart by one small stroke (a 4 hiding its top, an 8 its waist) are often redrawn as a neighbour. Watch the Samples tab: the in-painter’s reconstructions of masked digits.',
    view: 'samples',
  },
];

