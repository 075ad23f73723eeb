import type { NodeIR } from '../../../src-engine/facade';
import type { EditAction } from './actions';
import { pasteAction, type Clipboard } from './clipboard';
import type { EditorDoc, XY } from './document';
import { UNCONNECTED } from './graph';

/**
 * A block the palette adds as a group of nodes in one step (a "template group"): its nodes, wired
 * among themselves, the first one's input left for the user to connect.
 */
export interface BlockTemplate {
  id: string;
  title: string;
  doc: string;
  /** The block's nodes, in order (the first reads from outside, the last is read outside); ids are bases the paste makes unique. */
  nodes(): NodeIR[];
}

const node = (id: string, op: string, attrs: NodeIR['attrs'], inputs: string[]): NodeIR => ({ id, op, attrs, inputs });

/**
 * A Transformer block over a sequence `[N, T, E]`: LayerNorm → causal multi-head attention →
 * residual → LayerNorm → MLP (Linear 4E, GELU, Linear E) → residual. The residuals add to the
 * normalised input of their half (each half's LayerNorm comes first and the skip leaves after it),
 * so the block has one way in, its first LayerNorm, and one way out, its last Add: what a group
 * needs. examples/tiny-gpt.json stacks two of them.
 */
export const TRANSFORMER_BLOCK: BlockTemplate = {
  id: 'transformer-block',
  title: 'Transformer block',
  doc: 'LayerNorm → causal self-attention → residual → LayerNorm → MLP (4×, GELU) → residual, as one group. Put it after an Embedding and a PositionalEmbedding; the MLP’s widths follow the embedding (set mlp_in to 4E, mlp_out to E).',
  nodes: () => [
    node('ln1', 'LayerNorm', {}, [UNCONNECTED]),
    node('attention', 'MultiHeadAttention', { numHeads: 4, causal: true }, ['ln1']),
    node('res1', 'Add', {}, ['ln1', 'attention']),
    node('ln2', 'LayerNorm', {}, ['res1']),
    node('mlp_in', 'Linear', { outFeatures: 256 }, ['ln2']),
    node('gelu', 'GELU', {}, ['mlp_in']),
    node('mlp_out', 'Linear', { outFeatures: 64 }, ['gelu']),
    node('res2', 'Add', {}, ['ln2', 'mlp_out']),
  ],
};

/** The block templates the palette offers, in its order. */
export const BLOCK_TEMPLATES: readonly BlockTemplate[] = [TRANSFORMER_BLOCK];

/** Spacing of a block's nodes, top to bottom, when it is added. */
const ROW = 90;

/**
 * The edits that add `template` with its first node at `at`: the paste of its nodes (fresh ids,
 * one under the other) and the group around them, to be applied in order as one step.
 */
export function blockEdits(doc: EditorDoc, template: BlockTemplate, at: XY): [Extract<EditAction, { kind: 'paste' }>, EditAction] {
  const nodes = template.nodes();
  const clip: Clipboard = { format: 'netwright.clipboard', nodes, layout: Object.fromEntries(nodes.map((n, i) => [n.id, { x: 0, y: i * ROW }])) };
  const paste = pasteAction(doc, clip, at);
  return [paste, { kind: 'group', nodeIds: paste.nodes.map((n) => n.id) }];
}
