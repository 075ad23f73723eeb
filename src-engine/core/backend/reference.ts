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

/**
 * C (+)= op(A)·op(B), row-major. Each C entry gets its terms in the order of the definition (p
 * ascending): untransposed-B layouts add each product into C (rounded to float32 every time),
 * transposed-B layouts sum a dot product in float64 and add it once. The loops work on four rows
 * (four columns for the dot products) at a time so one load of the shared operand serves four
 * entries; that reorders nothing within an entry, so the bits are those of one entry at a time
 * (test/unit/engine/reference-backend.test.ts checks them against that definition).
 */
export function gemm(args: GemmArgs): void {
  const { transA, transB, m, n, k, a, b, c, accumulate } = args;
  if (!accumulate) c.fill(0, 0, m * n);
  if (!transA && !transB) {
    // A m×k, B k×n: i-k-j streams rows of B and C, four rows of C per row of B.
    let i = 0;
    for (; i + 4 <= m; i += 4) {
      const c0 = i * n;
      const a0 = i * k;
      for (let p = 0; p < k; p++) addRow4(c, c0, n, a[a0 + p], a[a0 + k + p], a[a0 + 2 * k + p], a[a0 + 3 * k + p], b, p * n);
    }
    for (; i < m; i++) {
      const aRow = i * k;
      for (let p = 0; p < k; p++) addRow(c, i * n, n, a[aRow + p], b, p * n);
    }
  } else if (transA && !transB) {
    // A stored k×m, B k×n: p-i-j keeps rows of B and C contiguous.
    for (let p = 0; p < k; p++) {
      const aRow = p * m;
      const bRow = p * n;
      let i = 0;
      for (; i + 4 <= m; i += 4) addRow4(c, i * n, n, a[aRow + i], a[aRow + i + 1], a[aRow + i + 2], a[aRow + i + 3], b, bRow);
      for (; i < m; i++) addRow(c, i * n, n, a[aRow + i], b, bRow);
    }
  } else if (!transA && transB) {
    // A m×k, B stored n×k: each C entry is a dot product of two contiguous rows; four at a time share A's row.
    for (let i = 0; i < m; i++) {
      const aRow = i * k;
      const cRow = i * n;
      let j = 0;
      for (; j + 4 <= n; j += 4) {
        const b0 = j * k;
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        for (let p = 0; p < k; p++) {
          const av = a[aRow + p];
          s0 += av * b[b0 + p];
          s1 += av * b[b0 + k + p];
          s2 += av * b[b0 + 2 * k + p];
          s3 += av * b[b0 + 3 * k + p];
        }
        c[cRow + j] += s0;
        c[cRow + j + 1] += s1;
        c[cRow + j + 2] += s2;
        c[cRow + j + 3] += s3;
      }
      for (; j < n; j++) {
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

/** `c[row + j] += av·b[bRow + j]` for j < n. */
function addRow(c: Float32Array, row: number, n: number, av: number, b: Float32Array, bRow: number): void {
  for (let j = 0; j < n; j++) c[row + j] += av * b[bRow + j];
}

/** {@link addRow} into the four consecutive rows of C from `row`, scaled by a0…a3, reading B's row once. */
function addRow4(c: Float32Array, row: number, n: number, a0: number, a1: number, a2: number, a3: number, b: Float32Array, bRow: number): void {
  for (let j = 0; j < n; j++) {
    const bv = b[bRow + j];
    c[row + j] += a0 * bv;
    c[row + n + j] += a1 * bv;
    c[row + 2 * n + j] += a2 * bv;
    c[row + 3 * n + j] += a3 * bv;
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
