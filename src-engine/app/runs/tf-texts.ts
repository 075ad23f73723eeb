import type { StartInfo, StoredFrame } from '../../protocol';
import { characterGlyph } from '../../core/data/text';

/**
 * What a probe frame's Samples tab shows as text, for a run's TensorBoard file (its Text tab):
 * a language model's next-character guesses (the sample probe's `sequence` kind), per probe sample
 * the true next characters, the network's guesses under them and a `^` under each wrong one, in a
 * code block so the columns line up, with the share right. Other frames give none (their samples
 * are tf-images.ts's images).
 */
export interface TfText {
  tag: string;
  /** Markdown, as TensorBoard's text plugin renders it. */
  markdown: string;
}

/** A class name as one column: its glyph as the Samples tab shows it (`characterGlyph`), anything longer than one character `·`. */
function column(name: string | undefined): string {
  const g = name === undefined ? '' : characterGlyph(name);
  return [...g].length === 1 ? g : '·';
}

/** The frame's texts (`samples/next characters`), given the run's probe samples and class names (its start info's). */
export function frameTexts(frame: Pick<StoredFrame, 'samples'>, probe: StartInfo['probeSamples'] | undefined, classNames: readonly string[]): TfText[] {
  const s = frame.samples;
  if (s?.kind !== 'sequence' || !probe) return [];
  const parts = s.predicted.flatMap((guess, i) => {
    const truth = probe.targets[i];
    if (!Array.isArray(truth)) return [];
    const right = truth.filter((t, q) => guess[q] === t).length;
    const lines = [truth.map((t) => column(classNames[t])).join(''), guess.map((g) => column(classNames[g])).join(''), truth.map((t, q) => (guess[q] === t ? ' ' : '^')).join('').trimEnd()];
    return [`**sample ${i + 1}**: ${Math.round((100 * right) / Math.max(1, truth.length))} % right\n\n\`\`\`\ntruth  ${lines[0]}\nguess  ${lines[1]}\nwrong  ${lines[2]}\n\`\`\``];
  });
  return parts.length ? [{ tag: 'samples/next characters', markdown: parts.join('\n\n') }] : [];
}
