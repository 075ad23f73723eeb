import { intAttr } from '../shape-util';
import { oneHot } from '../one-hot';
import { defineKernel } from './kernel';
import { checkIds } from '../id-range';

/** OneHot's reference kernels (the op's declaration: ops/one-hot.ts). */
export const oneHotKernel = defineKernel(oneHot, {
  forward({ inputs, output, attrs }) {
    const c = intAttr(attrs, 'numClasses');
    const x = inputs[0].data;
    checkIds(x, c, 'OneHot', 'classes');
    const y = output.data;
    y.fill(0);
    for (let i = 0; i < x.length; i++) {
      let k = Math.trunc(x[i]);
      if (k < 0) k += c;
      if (k >= 0 && k < c) y[i * c + k] = 1;
    }
  },
  backward() {
    // No gradient: class indices are not differentiable.
  },
});
