import { reshape } from '../reshape';
import { defineKernel } from './kernel';
import { viewKernel } from './view';

/** Reshape's reference kernels: a copy, its values in another shape (the op's declaration: ops/reshape.ts). */
export const reshapeKernel = defineKernel(reshape, viewKernel);
