import type { Backend, Conv2dGeometry, GemmArgs } from './types';

/**
 * The reference CPU backend: plain TypeScript loops, written for clarity and correctness. Every
 * faster backend is tested against it. `gemm` uses the cache-friendly i-k-j loop order for the
 * common layouts so small CPU training runs in tests stay tolerable.
 */
export function createReferenceBackend(): Backend {
  return {
    name: 'reference',
    description: 'CPU · reference (plain TypeScript)',
    alloc: (length: number) => new Float32Array(length),
    gemm,
    im2col,
    col2im,
  };
}

/** C (+)= op(A)·op(B), row-major. */
export function gemm(args: GemmArgs): void {
  const { transA, transB, m, n, k, a, b, c, accumulate } = args;
  if (!accumulate) c.fill(0, 0, m * n);
  if (!transA && !transB) {
    // A m×k, B k×n: i-k-j streams rows of B and C.
    for (let i = 0; i < m; i++) {
      const cRow = i * n;
      const aRow = i * k;
      for (let p = 0; p < k; p++) {
        const av = a[aRow + p];
        const bRow = p * n;
        for (let j = 0; j < n; j++) c[cRow + j] += av * b[bRow + j];
      }
    }
  } else if (transA && !transB) {
    // A stored k×m, B k×n: p-i-j keeps rows of B and C contiguous.
    for (let p = 0; p < k; p++) {
      const aRow = p * m;
      const bRow = p * n;
      for (let i = 0; i < m; i++) {
        const av = a[aRow + i];
        const cRow = i * n;
        for (let j = 0; j < n; j++) c[cRow + j] += av * b[bRow + j];
      }
    }
  } else if (!transA && transB) {
    // A m×k, B stored n×k: each C entry is a dot product of two contiguous rows.
    for (let i = 0; i < m; i++) {
      const aRow = i * k;
      const cRow = i * n;
      for (let j = 0; j < n; j++) {
        const bRow = j * k;
        let s = 0;
        for (let p = 0; p < k; p++) s += a[aRow + p] * b[bRow + p];
        c[cRow + j] += s;
      }
    }
  } else {
    // A stored k×m, B stored n×k.
    for (let i = 0; i < m; i++) {
      const cRow = i * n;
      for (let j = 0; j < n; j++) {
        const bRow = j * k;
        let s = 0;
        for (let p = 0; p < k; p++) s += a[p * m + i] * b[bRow + p];
        c[cRow + j] += s;
      }
    }
  }
}

/** Unfold `[C, H, W]` into `[C·kH·kW, outH·outW]`, zero outside the image (padding). */
export function im2col(image: Float32Array, g: Conv2dGeometry, cols: Float32Array): void {
  const { channels, height, width, kernelH, kernelW, strideH, strideW, padH, padW, dilationH, dilationW, outH, outW } = g;
  const outSize = outH * outW;
  let row = 0;
  for (let c = 0; c < channels; c++) {
    const imgBase = c * height * width;
    for (let ki = 0; ki < kernelH; ki++) {
      for (let kj = 0; kj < kernelW; kj++, row++) {
        const colBase = row * outSize;
        for (let oy = 0; oy < outH; oy++) {
          const y = oy * strideH - padH + ki * dilationH;
          const dst = colBase + oy * outW;
          if (y < 0 || y >= height) {
            cols.fill(0, dst, dst + outW);
            continue;
          }
          const src = imgBase + y * width;
          for (let ox = 0; ox < outW; ox++) {
            const x = ox * strideW - padW + kj * dilationW;
            cols[dst + ox] = x >= 0 && x < width ? image[src + x] : 0;
          }
        }
      }
    }
  }
}

/** `image += fold(cols)`: the adjoint of {@link im2col} (overlapping windows accumulate). */
export function col2im(cols: Float32Array, g: Conv2dGeometry, image: Float32Array): void {
  const { channels, height, width, kernelH, kernelW, strideH, strideW, padH, padW, dilationH, dilationW, outH, outW } = g;
  const outSize = outH * outW;
  let row = 0;
  for (let c = 0; c < channels; c++) {
    const imgBase = c * height * width;
    for (let ki = 0; ki < kernelH; ki++) {
      for (let kj = 0; kj < kernelW; kj++, row++) {
        const colBase = row * outSize;
        for (let oy = 0; oy < outH; oy++) {
          const y = oy * strideH - padH + ki * dilationH;
          if (y < 0 || y >= height) continue;
          const src = colBase + oy * outW;
          const dst = imgBase + y * width;
          for (let ox = 0; ox < outW; ox++) {
            const x = ox * strideW - padW + kj * dilationW;
            if (x >= 0 && x < width) image[dst + x] += cols[src + ox];
          }
        }
      }
    }
  }
}
