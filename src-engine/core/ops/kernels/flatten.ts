import { flatten } from '../flatten';
import { defineKernel } from './kernel';
import { viewKernel } from './view';

/** Flatten's reference kernels: a copy, its values in another shape (the op's declaration: ops/flatten.ts). */
export const flattenKernel = defineKernel(flatten, viewKernel);
