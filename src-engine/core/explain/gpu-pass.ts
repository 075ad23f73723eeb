import type { TrainedModel } from '../export/model';
import { loadWeights } from '../export/infer';
import type { GpuContext } from '../gpu/context';
import { compileGpuGraph } from '../gpu/executor';
import { bindGraph } from '../train';
import type { CompilePass } from './explain';

/**
 * The GPU's pass for `explainPrediction`: the graph compiled for `gpu` at batch 1, `model`'s
 * weights loaded into its host mirror and uploaded; each run is one eval forward and the seeded
 * backward on the device (`GpuGraph.gradients`), and only the asked-for tensors are read back.
 */
export function gpuGradientPass(model: Pick<TrainedModel, 'params' | 'buffers'>, gpu: GpuContext): CompilePass {
  return async (checked, opts) => {
    const plan = await compileGpuGraph(checked, { gpu, batchSize: 1, seed: 0, ...opts });
    loadWeights(plan.host, model);
    plan.upload();
    const input = bindGraph(checked).featureInput;
    return {
      run: async (x) => {
        plan.setInput(input, x);
        await plan.gradients();
      },
      output: (id) => plan.read(id),
      grad: (id) => plan.readGrad(id),
      needsGradient: (id) => plan.host.needsGradient(id),
    };
  };
}
