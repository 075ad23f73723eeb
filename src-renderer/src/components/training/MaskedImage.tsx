import { memo, useMemo } from 'react';
import { imagePixels, maskColour, maskOverlay } from '../../training/charts';
import { usePixels } from './PixelImage';

/** An image tensor row with a class mask painted over it (class 0, the background, unpainted), scaled up by CSS. */
function MaskedImageView({ values, shape, mask, size = 56, title, ...attrs }: { values: ArrayLike<number>; shape: readonly number[]; mask: ArrayLike<number>; size?: number; title?: string } & Record<`data-${string}`, string | number | undefined>) {
  const img = useMemo(() => {
    const base = imagePixels(values, shape);
    return base && maskOverlay(base, mask);
  }, [values, shape, mask]);
  const ref = usePixels(img);
  if (!img) return <span className="pixel-image pixel-image--none" title={`not an image: ${shape.join('×')}`} />;
  return <canvas ref={ref} className="pixel-image" style={{ width: size, height: size }} title={title} {...attrs} />;
}

export const MaskedImage = memo(MaskedImageView);

/** What each mask colour means: the classes from 1 (class 0 is the unpainted background). */
export function MaskLegend({ classNames }: { classNames: readonly string[] }) {
  return (
    <ul className="mask-legend" data-testid="mask-legend">
      <li>
        <span className="mask-legend__swatch mask-legend__swatch--none" />
        {classNames[0] ?? 0} (unpainted)
      </li>
      {classNames.slice(1).map((name, i) => {
        const [r, g, b] = maskColour(i + 1);
        return (
          <li key={name}>
            <span className="mask-legend__swatch" style={{ background: `rgb(${r}, ${g}, ${b})` }} />
            {name}
          </li>
        );
      })}
    </ul>
  );
}
