import type { ServiceHandlers } from '../../protocol/rpc';
import type { lessonsService } from '../../protocol';
import { inpaintingReport, inpaintingRows } from '../lessons/inpainting';
import type { ServiceContext } from './context';
import { inMemory } from '../../core/data';

/**
 * `lessons.report`: a Learn lesson's figure from several stored runs' last checkpoints. In-painting:
 * the in-painter's test split (as it trained: the same `limit`, so a quick run is judged on fewer
 * digits) masked as it trained, in-painted, and read by the judge, per class.
 */
export function lessonHandlers(ctx: ServiceContext): ServiceHandlers<typeof lessonsService> {
  return {
    'lessons.report': async ({ runs }) => {
      ctx.host();
      const store = ctx.runStore();
      const judge = store.model(runs.judge, 'last');
      const inpainter = store.model(runs.inpainter, 'last');
      const t = store.open(runs.inpainter).meta.settings.training;
      const data = await ctx.loadPrepared(t.dataset, t.seed);
      const test = inMemory(data.test, 'the in-painting report');
      return ctx.withBackend((backend) => ({ rows: inpaintingRows(inpaintingReport(judge, inpainter, { ...data, test }, backend), judge.classNames), samples: test.count }));
    },
  };
}
