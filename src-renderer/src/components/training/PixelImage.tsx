import { memo, useEffect, useRef } from 'react';
import { imagePixels } from '../../training/charts';

/** A canvas ref that shows `img` pixel for pixel after every render (CSS scales it). */
export function usePixels(img: ReturnType<typeof imagePixels>) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el || !img) return;
    el.width = img.width;
    el.height = img.height;
    el.getContext('2d')?.putImageData(new ImageData(img.data as Uint8ClampedArray<ArrayBuffer>, img.width, img.height), 0, 0);
  });
  return ref;
}

/** One image tensor row drawn pixel for pixel into a canvas, scaled up by CSS (pixelated). */
function PixelImageView({ values, shape, size = 56, range, title, ...attrs }: { values: ArrayLike<number>; shape: readonly number[]; size?: number; range?: readonly [number, number]; title?: string } & Record<`data-${string}`, string | number | undefined>) {
  const img = imagePixels(values, shape, range);
  const ref = usePixels(img);
  if (!img) return <span className="pixel-image pixel-image--none" title={`not an image: ${shape.join('×')}`} />;
  return <canvas ref={ref} className="pixel-image" style={{ width: size, height: size }} title={title} {...attrs} />;
}

export const PixelImage = memo(PixelImageView);
