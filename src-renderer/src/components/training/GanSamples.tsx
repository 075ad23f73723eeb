import { PixelImage } from './PixelImage';
import { useRun } from '../../state/window';

/** The GAN hints of the newest frame (the discriminator wins too fast; mode collapse), with a fix each. */
export function GanHints() {
  const hints = useRun((s) => s.frame?.gan?.hints);
  if (!hints?.length) return null;
  return (
    <ul className="gan-hints" data-testid="gan-hints">
      {hints.map((h) => (
        <li key={h.code} className="gan-hint" data-testid={`gan-hint-${h.code}`}>
          <strong>{h.message}</strong> <span>{h.fix}</span>
        </li>
      ))}
    </ul>
  );
}

const pct = (v: number) => `${(v * 100).toFixed(0)}%`;

/**
 * A conditional GAN's grid asks for the classes in turn (0, 1, …, 9, 0, …): then one column per
 * class, headed by it. Undefined when there are no labels, they do not repeat that way, or the
 * columns would be fewer than 2 or more than 16 (too tall or too wide a grid to read).
 */
export function labelColumns(labels: readonly number[] | undefined): readonly number[] | undefined {
  if (!labels?.length) return undefined;
  const period = labels.indexOf(labels[0], 1);
  const cols = period > 0 ? labels.slice(0, period) : labels;
  if (cols.length < 2 || cols.length > 16 || new Set(cols).size !== cols.length || labels.some((l, i) => l !== cols[i % cols.length])) return undefined;
  return cols;
}

/**
 * A GAN's Samples view: the generator's samples from fixed noise (the same latent points in every
 * frame, so the grid shows the generator learning; a conditional GAN's, one class per column),
 * D(x) and D(G(z)), and the grid's diversity against real images.
 */
export function GanSamples() {
  const gan = useRun((s) => s.frame?.gan);
  const step = useRun((s) => s.frame?.step);
  const classNames = useRun((s) => s.info?.classNames);
  if (!gan) return null;
  const size = gan.samples.length / Math.max(1, gan.count);
  const columns = labelColumns(gan.labels);
  const side = columns?.length ?? Math.ceil(Math.sqrt(gan.count));
  const name = (label: number) => classNames?.[label] ?? String(label);
  return (
    <section className="gan" data-testid="gan-samples" data-step={step ?? 0} data-count={gan.count}>
      <h4>
        Generated from fixed noise{columns ? ', one class per column' : ''} · step {step ?? 0}
      </h4>
      <div className="gan__body">
        <div className="gan__grid" style={{ gridTemplateColumns: `repeat(${side}, auto)` }} data-testid="gan-grid">
          {columns?.map((label) => (
            <span key={`h${label}`} className="gan__column" data-testid="gan-column" title={`Column: the generator is asked for "${name(label)}"`}>
              {name(label)}
            </span>
          ))}
          {Array.from({ length: gan.count }, (_, i) => (
            <PixelImage
              key={i}
              values={gan.samples.slice(i * size, (i + 1) * size)}
              shape={gan.shape}
              size={30}
              range={[0, 1]}
              title={gan.labels ? `Asked for "${name(gan.labels[i])}"` : undefined}
            />
          ))}
        </div>
        <dl className="gan__figures">
          <dt title="The discriminator's mean probability that the real images of the probe batch are real">D(x)</dt>
          <dd data-testid="gan-dreal">{pct(gan.dReal)}</dd>
          <dt title="The discriminator's mean probability that these generated samples are real (the generator wants it high)">D(G(z))</dt>
          <dd data-testid="gan-dfake">{pct(gan.dFake)}</dd>
          <dt title="Mean pairwise distance of these samples, and of as many real images: far lower means the samples look alike (mode collapse)">diversity</dt>
          <dd data-testid="gan-diversity">
            {gan.diversity.toFixed(1)} <small>real {gan.realDiversity.toFixed(1)}</small>
          </dd>
        </dl>
      </div>
      <GanHints />
    </section>
  );
}
